import { mkdir, readFile, rename, rm, stat, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { listParameters, sizeOf, validateModelSpec, validateParameters, type ModelSpec, type ParameterSet, type RngState, type Tensor } from '@vae/core';
import { tempPathFor } from './atomic-write.js';
import type { TrainConfig } from './config.js';
import { readMetrics, type EpochMetrics } from './metrics.js';

/** Folder of the checkpoint inside a run folder. */
export const CHECKPOINT_DIR = 'checkpoint';
/** Identifies a checkpoint file of this product. */
export const CHECKPOINT_FORMAT = 'vae-everywhere/checkpoint';
/** Current checkpoint format version. */
export const CHECKPOINT_VERSION = 1;

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
}

/** Result of {@link loadCheckpoint}: the checkpoint plus the run's metrics when present. */
export interface LoadedCheckpoint extends CheckpointState {
  readonly metrics?: EpochMetrics[];
}

/** One tensor's place in `weights.bin`: byte offset (multiple of 4) and shape; float32 little-endian. */
export interface TensorIndexEntry {
  readonly offset: number;
  readonly shape: readonly number[];
}

/**
 * `checkpoint/checkpoint.json`. Tensors live in `checkpoint/weights.bin` (float32 little-endian,
 * no header), in this order: every parameter in `listParameters(spec)` order, then Adam's `m`, then
 * `v` (same order). Index keys: `params/<name>`, `adam.m/<name>`, `adam.v/<name>`.
 */
export interface CheckpointFile {
  readonly format: typeof CHECKPOINT_FORMAT;
  readonly version: typeof CHECKPOINT_VERSION;
  readonly spec: ModelSpec;
  readonly config: TrainConfig;
  readonly epoch: number;
  readonly step: number;
  readonly rng: RngState;
  readonly adam: Omit<AdamState, 'm' | 'v'> | null;
  readonly engine: string;
  readonly backend: string;
  /** Total size of `weights.bin` in bytes. */
  readonly weightsBytes: number;
  readonly tensors: Readonly<Record<string, TensorIndexEntry>>;
  readonly savedAt: string;
}

function checkFinite(t: Tensor, name: string): void {
  for (let i = 0; i < t.data.length; i++) {
    if (!Number.isFinite(t.data[i]!)) throw new RangeError(`${name}: expected finite values, got ${t.data[i]} at flat index ${i} (refusing to checkpoint)`);
  }
}

/**
 * Writes `<runDir>/checkpoint/` atomically: a temp folder is filled and renamed into place; the
 * previous checkpoint is kept as `checkpoint.old` during the swap and removed afterwards. Refuses
 * non-finite parameters, so the last good checkpoint survives a diverging run.
 */
export async function saveCheckpoint(runDir: string, state: CheckpointState): Promise<void> {
  validateModelSpec(state.spec);
  validateParameters(state.spec, state.params);
  const names = listParameters(state.spec).map((p) => p.name);
  const groups: [string, ParameterSet][] = [['params', state.params]];
  if (state.optimizer) {
    validateParameters(state.spec, state.optimizer.m, 'optimizer.m');
    validateParameters(state.spec, state.optimizer.v, 'optimizer.v');
    groups.push(['adam.m', state.optimizer.m], ['adam.v', state.optimizer.v]);
  }
  const tensors: Record<string, TensorIndexEntry> = {};
  let floats = 0;
  for (const [prefix, set] of groups) {
    for (const name of names) {
      const t = set[name]!;
      checkFinite(t, `${prefix}/${name}`);
      tensors[`${prefix}/${name}`] = { offset: floats * 4, shape: [...t.shape] };
      floats += t.data.length;
    }
  }
  const weights = new Float32Array(floats);
  for (const [prefix, set] of groups) {
    for (const name of names) weights.set(set[name]!.data, tensors[`${prefix}/${name}`]!.offset / 4);
  }
  const bytes = new Uint8Array(weights.buffer);
  if (new Uint8Array(new Uint16Array([1]).buffer)[0] !== 1) throw new Error('saveCheckpoint: big-endian hosts are not supported');
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
    weightsBytes: bytes.length,
    tensors,
    savedAt: new Date().toISOString(),
  };
  await mkdir(runDir, { recursive: true });
  const final = join(runDir, CHECKPOINT_DIR);
  const tmp = tempPathFor(final);
  const old = `${final}.old`;
  try {
    await mkdir(tmp);
    await writeFile(join(tmp, 'weights.bin'), bytes);
    await writeFile(join(tmp, 'checkpoint.json'), `${JSON.stringify(file, null, 2)}\n`);
    await rm(old, { recursive: true, force: true });
    if (await exists(final)) await rename(final, old);
    await rename(tmp, final);
    await rm(old, { recursive: true, force: true });
  } catch (err) {
    await rm(tmp, { recursive: true, force: true });
    throw err;
  }
}

async function exists(path: string): Promise<boolean> {
  try {
    await stat(path);
    return true;
  } catch {
    return false;
  }
}

function readGroup(file: CheckpointFile, weights: Float32Array, prefix: string, spec: ModelSpec, path: string): ParameterSet {
  const out: ParameterSet = {};
  for (const p of listParameters(spec)) {
    const key = `${prefix}/${p.name}`;
    const entry = file.tensors[key];
    if (!entry) throw new Error(`${path}: tensor index lacks ${JSON.stringify(key)}; the checkpoint is incomplete — retrain or restore it`);
    const n = sizeOf(entry.shape);
    if (entry.offset % 4 !== 0 || entry.offset / 4 + n > weights.length) {
      throw new Error(`${path}: tensor ${key} (offset ${entry.offset}, ${n} floats) lies outside weights.bin (${weights.length * 4} bytes); the file is truncated or corrupt`);
    }
    out[p.name] = { data: weights.slice(entry.offset / 4, entry.offset / 4 + n), shape: [...entry.shape] };
  }
  validateParameters(spec, out, `${path} ${prefix}`);
  return out;
}

/**
 * Loads the checkpoint of a run folder (`dir/checkpoint/`, or `dir` itself when it holds
 * `checkpoint.json`; falls back to `checkpoint.old` if a swap was interrupted), plus
 * `dir/metrics.jsonl` when present. Errors name the file and what is wrong with it.
 */
export async function loadCheckpoint(dir: string): Promise<LoadedCheckpoint> {
  let folder = join(dir, CHECKPOINT_DIR);
  let runDir = dir;
  if (!(await exists(join(folder, 'checkpoint.json')))) {
    if (await exists(join(dir, 'checkpoint.json'))) {
      folder = dir;
      runDir = join(dir, '..');
    } else if (await exists(join(`${folder}.old`, 'checkpoint.json'))) folder = `${folder}.old`;
    else throw new Error(`${join(folder, 'checkpoint.json')}: not found; expected a run folder written by \`vae train\` (--run-dir)`);
  }
  const jsonPath = join(folder, 'checkpoint.json');
  let file: CheckpointFile;
  try {
    file = JSON.parse(await readFile(jsonPath, 'utf8')) as CheckpointFile;
  } catch (err) {
    throw new Error(`${jsonPath}: could not be read as JSON (${err instanceof Error ? err.message : String(err)})`);
  }
  if (file.format !== CHECKPOINT_FORMAT) throw new Error(`${jsonPath}: expected format ${JSON.stringify(CHECKPOINT_FORMAT)}, got ${JSON.stringify(file.format)}`);
  if (file.version !== CHECKPOINT_VERSION) throw new Error(`${jsonPath}: expected version ${CHECKPOINT_VERSION}, got ${JSON.stringify(file.version)}`);
  validateModelSpec(file.spec);
  const binPath = join(folder, 'weights.bin');
  const raw = await readFile(binPath);
  if (raw.length !== file.weightsBytes) throw new Error(`${binPath}: expected ${file.weightsBytes} bytes, got ${raw.length}; the file is truncated or corrupt`);
  const weights = new Float32Array(raw.buffer.slice(raw.byteOffset, raw.byteOffset + raw.length));
  const params = readGroup(file, weights, 'params', file.spec, binPath);
  const optimizer: AdamState | null = file.adam
    ? { ...file.adam, m: readGroup(file, weights, 'adam.m', file.spec, binPath), v: readGroup(file, weights, 'adam.v', file.spec, binPath) }
    : null;
  const metrics = await readMetrics(runDir);
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
    ...(metrics.length ? { metrics } : {}),
  };
}
