import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { writeFileAtomic } from '@vae/data/node';

/** File name of the per-epoch metrics inside a run folder. */
export const METRICS_FILE = 'metrics.jsonl';

/**
 * One line of `metrics.jsonl`: batch-mean values in nats per example (see `ObjectiveTerms` in core).
 * `null` where a term does not apply to the model kind (e.g. KL for plain autoencoders).
 */
export interface EpochMetrics {
  readonly epoch: number;
  /** Optimizer steps done so far (all epochs). */
  readonly step: number;
  /** Steps of this epoch (fewer than a full epoch when `maxSteps`/`maxMinutes` cut it short). */
  readonly epochSteps: number;
  readonly seconds: number;
  /** Mean over this epoch's steps of the training objective, as evaluated by core's `modelObjective`. */
  readonly trainLoss: number;
  readonly trainReconstruction: number;
  readonly trainKl: number | null;
  readonly trainElbo: number | null;
  /** Mean importance-weighted bound (nats, higher is better) when trained with K > 1 samples. */
  readonly trainIwBound: number | null;
  /** Validation objective with the same noise/ε conventions, one posterior sample. */
  readonly valLoss: number;
  readonly valReconstruction: number;
  readonly valKl: number | null;
  readonly valElbo: number | null;
  /** Active latent units (Cov_x(E_q[z]) > 0.01) on the validation set; variational kinds only. */
  readonly activeUnits: number | null;
}

/**
 * Writes `<runDir>/metrics.jsonl` with `records`, one JSON line each, atomically and durably (the
 * whole file is small): a kill leaves the previous or the new list, never a torn line.
 */
export async function writeMetrics(runDir: string, records: readonly EpochMetrics[]): Promise<void> {
  await writeFileAtomic(join(runDir, METRICS_FILE), records.map((r) => `${JSON.stringify(r)}\n`).join(''));
}

/** Reads `<runDir>/metrics.jsonl` (an empty list when absent); throws naming the file and line on bad JSON. */
export async function readMetrics(runDir: string): Promise<EpochMetrics[]> {
  const path = join(runDir, METRICS_FILE);
  let text: string;
  try {
    text = await readFile(path, 'utf8');
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return [];
    throw err;
  }
  return text
    .split('\n')
    .filter((line) => line.trim() !== '')
    .map((line, i) => {
      try {
        return JSON.parse(line) as EpochMetrics;
      } catch {
        throw new Error(`${path}: line ${i + 1} is not valid JSON: ${line.slice(0, 80)}`);
      }
    });
}
