import { rmSync } from 'node:fs';
import { mkdir, readFile, readdir, rename, rm, stat } from 'node:fs/promises';
import { join } from 'node:path';
import {
  getLogger,
  listParameters,
  listTrainableParameters,
  sizeOf,
  validateModelSpec,
  validateParameters,
  type ModelSpec,
  type ParameterSet,
  type RngState,
  type Tensor,
} from '@vae/core';
import {
  cleanupOnExit,
  faultPoint,
  parseTempPath,
  removeStaleTemps,
  syncDir,
  tempPathFor,
  writeFileDurable,
} from '@vae/data/node';
import type { TrainConfig } from '../config.js';
import { readMetrics, type EpochMetrics } from './metrics.js';

const log = getLogger('train:checkpoint');

/** Folder of the checkpoint inside a run folder. */
export const CHECKPOINT_DIR = 'checkpoint';
/** Identifies a checkpoint file of this product. */
export const CHECKPOINT_FORMAT = 'vae-everywhere/checkpoint';
/** Current checkpoint format version (2 added `adam.momentScale` and `metrics`). */
export const CHECKPOINT_VERSION = 2;
const READABLE_VERSIONS: readonly number[] = [1, 2];

/**
 * Adam state, framework-neutral: moment estimates per parameter (same names and shapes as the
 * parameters) and the number of updates applied. The update is the textbook one (Kingma & Ba):
 * `m ← β₁m + (1−β₁)g`, `v ← β₂v + (1−β₂)g²`, `θ ← θ − lr·(m/(1−β₁ᵗ)) / (√(v/(1−β₂ᵗ)) + ε)`.
 */
export interface AdamState {
  readonly step: number;
  readonly beta1: number;
  readonly beta2: number;
  readonly epsilon: number;
  readonly m: ParameterSet;
  readonly v: ParameterSet;
  /**
   * When present, `m` and `v` hold the moments divided by these factors, as an engine keeps them
   * (the ort graph keeps `m/(1−β₁)`, `v/(1−β₂)`), so the engine resumes bit-exactly; absent means
   * the true moments. {@link trueAdamMoments} converts.
   */
  readonly momentScale?: { readonly m: number; readonly v: number };
}

/** `state` with the true moments (multiplied by `momentScale` when the state carries one). */
export function trueAdamMoments(state: AdamState): AdamState {
  const { momentScale, ...rest } = state;
  if (!momentScale) return state;
  const scaleSet = (set: ParameterSet, by: number): ParameterSet =>
    Object.fromEntries(
      Object.entries(set).map(([n, t]) => [n, { data: Float32Array.from(t.data, (u) => u * by), shape: [...t.shape] }]),
    );
  return { ...rest, m: scaleSet(state.m, momentScale.m), v: scaleSet(state.v, momentScale.v) };
}

/** Everything needed to resume a run exactly. */
export interface CheckpointState {
  readonly spec: ModelSpec;
  readonly params: ParameterSet;
  readonly config: TrainConfig;
  /** Epochs completed. */
  readonly epoch: number;
  /** Optimizer steps completed (all epochs). */
  readonly step: number;
  /** State of the run's core `Rng` after `epoch` epochs (shuffling, ε, noise, binarization). */
  readonly rng: RngState;
  readonly optimizer: AdamState | null;
  /** e.g. `tfjs`, `ort`. */
  readonly engine: string;
  /** e.g. `wasm`, `cpu`. */
  readonly backend: string;
  /** The metrics line of every epoch ≤ `epoch`, so no epoch's line can be lost by a kill. */
  readonly metrics?: readonly EpochMetrics[];
}

/** Result of {@link loadCheckpoint}: the checkpoint plus the run's metrics when present. */
export interface LoadedCheckpoint extends CheckpointState {
  readonly metrics?: EpochMetrics[];
  /** The folder it was read from (`checkpoint/`, or a fallback after a kill mid-save). */
  readonly source: string;
}

/** One tensor's place in `weights.bin`: byte offset (multiple of 4) and shape; float32 little-endian. */
export interface TensorIndexEntry {
  readonly offset: number;
  readonly shape: readonly number[];
}

/**
 * `checkpoint/checkpoint.json`. Tensors live in `checkpoint/weights.bin` (float32 little-endian,
 * no header), in this order: every state tensor in `listParameters(spec)` order (buffers included), then
 * Adam's `m` (trainable parameters only), then
 * `v` (same order). Index keys: `params/<name>`, `adam.m/<name>`, `adam.v/<name>`.
 */
export interface CheckpointFile {
  readonly format: typeof CHECKPOINT_FORMAT;
  readonly version: number;
  readonly spec: ModelSpec;
  readonly config: TrainConfig;
  readonly epoch: number;
  readonly step: number;
  readonly rng: RngState;
  readonly adam: Omit<AdamState, 'm' | 'v'> | null;
  readonly engine: string;
  readonly backend: string;
  /** Version 2: metrics of every epoch ≤ `epoch`. */
  readonly metrics?: readonly EpochMetrics[];
  /** Total size of `weights.bin` in bytes. */
  readonly weightsBytes: number;
  readonly tensors: Readonly<Record<string, TensorIndexEntry>>;
  readonly savedAt: string;
}

function checkFinite(t: Tensor, name: string): void {
  for (let i = 0; i < t.data.length; i++) {
    if (!Number.isFinite(t.data[i]!))
      throw new RangeError(
        `${name}: expected finite values, got ${t.data[i]} at flat index ${i} (refusing to checkpoint)`,
      );
  }
}

/** Path of the folder kept as the previous checkpoint while a new one is swapped in. */
export function previousCheckpointPath(runDir: string): string {
  return `${join(runDir, CHECKPOINT_DIR)}.old`;
}

/**
 * Writes `<runDir>/checkpoint/` so that a kill at any point leaves a loadable checkpoint:
 * 1. fill a temp folder `checkpoint.tmp-<pid>-<hex>` (weights, then `checkpoint.json` last), fsync
 *    both files and the folder;
 * 2. a stale `checkpoint.old` is removed only while a complete `checkpoint` exists;
 * 3. rename `checkpoint` → `checkpoint.old`, then the temp → `checkpoint`, fsync the run folder;
 * 4. remove `checkpoint.old`, fsync the run folder.
 * {@link loadCheckpoint} falls back to `checkpoint.old` or a complete temp after a kill between
 * steps. Refuses non-finite parameters, so the last good checkpoint survives a diverging run.
 * An exit meanwhile (e.g. a second SIGINT: `cleanupOnExit`) removes the temp, keeping the previous
 * checkpoint, or once the new one is in place, `checkpoint.old`.
 * Fault points (see `faultPoint`): `checkpoint:temp-partial`, `checkpoint:temp-complete`,
 * `checkpoint:old-moved`, `checkpoint:new-in-place`, `checkpoint:done`.
 */
export async function saveCheckpoint(runDir: string, state: CheckpointState): Promise<void> {
  const { bytes, file } = encodeCheckpoint(state);
  await mkdir(runDir, { recursive: true });
  const final = join(runDir, CHECKPOINT_DIR);
  const tmp = tempPathFor(final);
  const old = previousCheckpointPath(runDir);
  // What an exit meanwhile removes: the temp until it is in place, then the previous checkpoint.
  let leftover = tmp;
  const forget = cleanupOnExit(() => rmSync(leftover, { recursive: true, force: true }));
  try {
    await writeTempCheckpoint(tmp, bytes, file);
    faultPoint('checkpoint:temp-complete');
    const hasFinal = await exists(join(final, 'checkpoint.json'));
    if (hasFinal) {
      await rm(old, { recursive: true, force: true });
      await rename(final, old);
      faultPoint('checkpoint:old-moved');
    } else if (await exists(final)) {
      await rm(final, { recursive: true, force: true });
    }
    await rename(tmp, final);
    leftover = old;
    await syncDir(runDir);
    faultPoint('checkpoint:new-in-place');
    await rm(old, { recursive: true, force: true });
    await syncDir(runDir);
    faultPoint('checkpoint:done');
  } finally {
    forget();
  }
}

/** Step 1 of {@link saveCheckpoint}: the temp folder, filled and fsynced (removed again if that fails). */
async function writeTempCheckpoint(tmp: string, bytes: Uint8Array, file: CheckpointFile): Promise<void> {
  try {
    await mkdir(tmp);
    await writeFileDurable(join(tmp, 'weights.bin'), bytes);
    faultPoint('checkpoint:temp-partial');
    await writeFileDurable(join(tmp, 'checkpoint.json'), `${JSON.stringify(file, null, 2)}\n`);
    await syncDir(tmp);
  } catch (err) {
    await rm(tmp, { recursive: true, force: true });
    throw err;
  }
}

function encodeCheckpoint(state: CheckpointState): { bytes: Uint8Array; file: CheckpointFile } {
  validateModelSpec(state.spec);
  validateParameters(state.spec, state.params);
  const all = listParameters(state.spec).map((p) => p.name);
  const trainable = listTrainableParameters(state.spec).map((p) => p.name);
  const groups: [string, ParameterSet, string[]][] = [['params', state.params, all]];
  if (state.optimizer) {
    validateParameters(state.spec, state.optimizer.m, 'optimizer.m', true);
    validateParameters(state.spec, state.optimizer.v, 'optimizer.v', true);
    groups.push(['adam.m', state.optimizer.m, trainable], ['adam.v', state.optimizer.v, trainable]);
  }
  const tensors: Record<string, TensorIndexEntry> = {};
  let floats = 0;
  for (const [prefix, set, names] of groups) {
    for (const name of names) {
      const t = set[name]!;
      checkFinite(t, `${prefix}/${name}`);
      tensors[`${prefix}/${name}`] = { offset: floats * 4, shape: [...t.shape] };
      floats += t.data.length;
    }
  }
  const weights = new Float32Array(floats);
  for (const [prefix, set, names] of groups) {
    for (const name of names) weights.set(set[name]!.data, tensors[`${prefix}/${name}`]!.offset / 4);
  }
  if (new Uint8Array(new Uint16Array([1]).buffer)[0] !== 1)
    throw new Error('saveCheckpoint: big-endian hosts are not supported');
  const { m: _m, v: _v, ...adam } = state.optimizer ?? { m: null, v: null };
  const file: CheckpointFile = {
    format: CHECKPOINT_FORMAT,
    version: CHECKPOINT_VERSION,
    spec: state.spec,
    config: state.config,
    epoch: state.epoch,
    step: state.step,
    rng: state.rng,
    adam: state.optimizer ? (adam as Omit<AdamState, 'm' | 'v'>) : null,
    engine: state.engine,
    backend: state.backend,
    ...(state.metrics ? { metrics: state.metrics } : {}),
    weightsBytes: weights.byteLength,
    tensors,
    savedAt: new Date().toISOString(),
  };
  return { bytes: new Uint8Array(weights.buffer), file };
}

async function exists(path: string): Promise<boolean> {
  try {
    await stat(path);
    return true;
  } catch {
    return false;
  }
}

function readGroup(
  file: CheckpointFile,
  weights: Float32Array,
  prefix: string,
  spec: ModelSpec,
  path: string,
): ParameterSet {
  const out: ParameterSet = {};
  const trainableOnly = prefix !== 'params';
  for (const p of trainableOnly ? listTrainableParameters(spec) : listParameters(spec)) {
    const key = `${prefix}/${p.name}`;
    const entry = file.tensors[key];
    if (!entry)
      throw new Error(
        `${path}: tensor index lacks ${JSON.stringify(key)}; the checkpoint is incomplete — retrain or restore it`,
      );
    const n = sizeOf(entry.shape);
    if (entry.offset % 4 !== 0 || entry.offset / 4 + n > weights.length) {
      throw new Error(
        `${path}: tensor ${key} (offset ${entry.offset}, ${n} floats) lies outside weights.bin (${weights.length * 4} bytes); the file is truncated or corrupt`,
      );
    }
    out[p.name] = { data: weights.slice(entry.offset / 4, entry.offset / 4 + n), shape: [...entry.shape] };
  }
  validateParameters(spec, out, `${path} ${prefix}`, trainableOnly);
  return out;
}

async function readCheckpointFolder(folder: string, runDir: string): Promise<LoadedCheckpoint> {
  const jsonPath = join(folder, 'checkpoint.json');
  if (!(await exists(jsonPath)))
    throw new Error(`${jsonPath}: not found; expected a run folder written by \`vae train\` (--run-dir)`);
  let file: CheckpointFile;
  try {
    file = JSON.parse(await readFile(jsonPath, 'utf8')) as CheckpointFile;
  } catch (err) {
    throw new Error(`${jsonPath}: could not be read as JSON (${err instanceof Error ? err.message : String(err)})`);
  }
  if (file.format !== CHECKPOINT_FORMAT)
    throw new Error(
      `${jsonPath}: expected format ${JSON.stringify(CHECKPOINT_FORMAT)}, got ${JSON.stringify(file.format)}`,
    );
  if (!READABLE_VERSIONS.includes(file.version))
    throw new Error(
      `${jsonPath}: expected version ${READABLE_VERSIONS.join(' or ')}, got ${JSON.stringify(file.version)}`,
    );
  validateModelSpec(file.spec);
  const binPath = join(folder, 'weights.bin');
  const raw = await readFile(binPath);
  if (raw.length !== file.weightsBytes)
    throw new Error(
      `${binPath}: expected ${file.weightsBytes} bytes, got ${raw.length}; the file is truncated or corrupt`,
    );
  const weights = new Float32Array(raw.buffer.slice(raw.byteOffset, raw.byteOffset + raw.length));
  const params = readGroup(file, weights, 'params', file.spec, binPath);
  const optimizer: AdamState | null = file.adam
    ? {
        ...file.adam,
        m: readGroup(file, weights, 'adam.m', file.spec, binPath),
        v: readGroup(file, weights, 'adam.v', file.spec, binPath),
      }
    : null;
  const metrics = file.metrics ? [...file.metrics] : (await readMetrics(runDir)).filter((m) => m.epoch <= file.epoch);
  return {
    spec: file.spec,
    params,
    config: file.config,
    epoch: file.epoch,
    step: file.step,
    rng: file.rng,
    optimizer,
    engine: file.engine,
    backend: file.backend,
    source: folder,
    ...(metrics.length ? { metrics } : {}),
  };
}

/** Folders that may hold the checkpoint of a run after a kill, besides `checkpoint/`: `.old` and complete temps. */
async function fallbackFolders(runDir: string): Promise<string[]> {
  const final = join(runDir, CHECKPOINT_DIR);
  let names: string[] = [];
  try {
    names = await readdir(runDir);
  } catch {
    return [];
  }
  const temps = names.map((n) => join(runDir, n)).filter((p) => parseTempPath(p)?.target === final);
  return [previousCheckpointPath(runDir), ...temps];
}

/**
 * Loads the checkpoint of a run folder (`dir/checkpoint/`, or `dir` itself when it holds
 * `checkpoint.json`). After a kill mid-save the newest loadable of `checkpoint/`, `checkpoint.old`
 * and complete `checkpoint.tmp-*` folders is used (a temp is complete once its `checkpoint.json`,
 * written after the fsynced weights, reads back whole). Metrics come from the checkpoint itself (or
 * `metrics.jsonl` for older checkpoints). Errors name the file and what is wrong with it.
 */
export async function loadCheckpoint(dir: string): Promise<LoadedCheckpoint> {
  if (await exists(join(dir, 'checkpoint.json'))) return readCheckpointFolder(dir, join(dir, '..'));
  const { best, primaryError } = await findCheckpoint(dir);
  if (best.source !== join(dir, CHECKPOINT_DIR)) {
    const why = primaryError ? primaryError.message : 'a newer complete checkpoint was left by an interrupted save';
    log.warn(`${join(dir, CHECKPOINT_DIR)}: ${why}; using ${best.source} (epoch ${best.epoch})`);
  }
  return best;
}

/** The newest loadable checkpoint of a run folder, and why `checkpoint/` itself could not be read (if so). */
async function findCheckpoint(runDir: string): Promise<{ best: LoadedCheckpoint; primaryError: Error | null }> {
  let primaryError: Error | null = null;
  let best = await readCheckpointFolder(join(runDir, CHECKPOINT_DIR), runDir).catch((err: unknown) => {
    primaryError = err instanceof Error ? err : new Error(String(err));
    return null;
  });
  for (const folder of await fallbackFolders(runDir)) {
    const c = await readCheckpointFolder(folder, runDir).catch(() => null);
    if (c && (!best || c.step > best.step)) best = c;
  }
  if (!best) throw primaryError ?? new Error(`${join(runDir, CHECKPOINT_DIR)}: no checkpoint`);
  return { best, primaryError };
}

/**
 * Loads a run's checkpoint for resuming and cleans up after a crash: the newest loadable checkpoint
 * (see {@link loadCheckpoint}) is swapped into `checkpoint/` (an older `checkpoint/` becomes
 * `checkpoint.old` until the swap is done; an unreadable one is kept aside as `checkpoint.corrupt`),
 * then `checkpoint.old` and temps of dead processes are removed. Throws as {@link loadCheckpoint}
 * when there is no loadable checkpoint.
 */
export async function recoverCheckpoint(runDir: string): Promise<LoadedCheckpoint> {
  const final = join(runDir, CHECKPOINT_DIR);
  const old = previousCheckpointPath(runDir);
  const { best, primaryError } = await findCheckpoint(runDir);
  let loaded = best;
  if (loaded.source !== final) {
    if (await exists(final)) {
      const aside = primaryError ? `${final}.corrupt` : old;
      await rm(aside, { recursive: true, force: true });
      await rename(final, aside);
    }
    await rename(loaded.source, final);
    await syncDir(runDir);
    log.warn(
      `recovered the checkpoint of epoch ${loaded.epoch} from ${loaded.source}${primaryError ? ` (${primaryError.message})` : ''}`,
    );
    loaded = { ...loaded, source: final };
  }
  await rm(old, { recursive: true, force: true });
  await syncDir(runDir);
  await removeRunTemps(runDir);
  return loaded;
}

/**
 * Whether a run folder holds no checkpoint at all, not even a damaged one: no `checkpoint/`, no
 * `checkpoint.old`, no temp with a `checkpoint.json` (a temp with only weights is a save cut short).
 * What a run killed during its first epoch or its first save leaves.
 */
export async function neverCheckpointed(runDir: string): Promise<boolean> {
  if (await exists(join(runDir, CHECKPOINT_DIR))) return false;
  for (const folder of await fallbackFolders(runDir)) if (await exists(join(folder, 'checkpoint.json'))) return false;
  return true;
}

/** Removes temps (checkpoint folders, files) that killed processes left in a run folder. */
export async function removeRunTemps(runDir: string): Promise<void> {
  const removed = await removeStaleTemps(runDir);
  if (removed.length)
    log.info(`removed ${removed.length} stale temp file(s)/folder(s) of killed runs: ${removed.join(', ')}`);
}
