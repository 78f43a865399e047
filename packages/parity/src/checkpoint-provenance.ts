import { parametersSha256, type ModelManifest, type Provenance } from '@vae/core';
import type { LoadedCheckpoint } from '@vae/train';
import { PARITY_EXIT_CODES } from './parity-report.js';

/** The provenance fields a training checkpoint determines (what `vae export` records). */
export type CheckpointProvenance = Pick<Provenance, 'dataset' | 'epochs' | 'seed' | 'valElbo' | 'engine' | 'backend'>;

/** Provenance of a checkpoint: dataset, epochs, seed, last finite validation ELBO, engine/backend. */
export function checkpointProvenance(ckpt: LoadedCheckpoint): CheckpointProvenance {
  const lastElbo = [...(ckpt.metrics ?? [])]
    .reverse()
    .find((m) => typeof m.valElbo === 'number' && Number.isFinite(m.valElbo));
  return {
    dataset: ckpt.config.dataset,
    epochs: ckpt.epoch,
    seed: ckpt.config.seed,
    valElbo: lastElbo?.valElbo ?? null,
    engine: ckpt.engine,
    backend: ckpt.backend,
  };
}

/** The training checkpoint given to `vae parity` is not the one the model was exported from (exit 2). */
export class CheckpointMismatchError extends Error {
  override readonly name = 'CheckpointMismatchError';
  readonly exitCode = PARITY_EXIT_CODES.unavailable;
}

/**
 * Checks that `ckpt` (from `runDir`) is the checkpoint the model in `modelDir` was exported from:
 * the same spec and, when the manifest records it, the same weights fingerprint
 * (`provenance.paramsSha256`); older manifests are matched on dataset, epochs, seed, engine and
 * final validation ELBO. Throws a {@link CheckpointMismatchError} with a plain explanation.
 */
export async function assertCheckpointBelongs(
  manifest: ModelManifest,
  modelDir: string,
  ckpt: LoadedCheckpoint,
  runDir: string,
): Promise<void> {
  const head = `this checkpoint does not belong to this model: ${runDir} (epoch ${ckpt.epoch}, seed ${ckpt.config.seed}) is not the run ${modelDir} was exported from`;
  const tail = 'pass --run with the run folder the model was exported from (or export the model again from this run)';
  if (JSON.stringify(ckpt.spec) !== JSON.stringify(manifest.spec))
    throw new CheckpointMismatchError(`${head}: its model spec differs from the manifest's; ${tail}`);
  const p = manifest.provenance;
  if (p.paramsSha256) {
    const actual = await parametersSha256(ckpt.spec, ckpt.params);
    if (actual !== p.paramsSha256) {
      throw new CheckpointMismatchError(
        `${head}: its weights differ (manifest provenance.paramsSha256 ${p.paramsSha256.slice(0, 12)}…, checkpoint ${actual.slice(0, 12)}…); ${tail}`,
      );
    }
    return;
  }
  const c = checkpointProvenance(ckpt);
  const fields = (['dataset', 'epochs', 'seed', 'engine', 'valElbo'] as const).filter(
    (k) => !(k === 'valElbo' && p.valElbo === null) && c[k] !== p[k],
  );
  if (fields.length > 0) {
    const diff = fields
      .map((k) => `${k} ${JSON.stringify(p[k])} in the manifest, ${JSON.stringify(c[k])} in the checkpoint`)
      .join('; ');
    throw new CheckpointMismatchError(`${head}: provenance differs (${diff}); ${tail}`);
  }
}
