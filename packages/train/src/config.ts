import { assertInteger, assertNumber, type ModelSpecOptions } from '@vae/core';
import type { DatasetLoadOptions } from '@vae/data';
import { TFJS_BACKENDS, type BackendRequest } from './vocabularies.js';

/** Every value `TrainConfig.backend` accepts: `auto`, the tfjs backends, and `cuda` (ort engine only). */
export const TRAIN_BACKENDS: readonly TrainConfig['backend'][] = Object.freeze([
  'auto',
  ...(Object.keys(TFJS_BACKENDS) as BackendRequest[]),
  'cuda',
]);

/** How grey levels become model input: resampled per batch, thresholded once, or kept as grey levels. */
export const BINARIZATIONS = Object.freeze({
  dynamic:
    'each pixel is 1 with probability = its grey level, resampled every time a batch is drawn (from the seeded Rng)',
  static: 'pixels thresholded at 0.5 once',
  none: 'grey levels in [0, 1]',
});
/** A binarization name. */
export type Binarization = keyof typeof BINARIZATIONS;

/** Everything that defines one training run (saved as `config.json` and in every checkpoint). */
export interface TrainConfig {
  /** Options the model spec was created from (`createModelSpec`); the resolved spec is stored beside. */
  readonly model: ModelSpecOptions;
  /** Dataset registry name (`mnist`, `fashion-mnist`, `idx`, `images`, `shapes`, `color-shapes`, or one registered with `@vae/data`). */
  readonly dataset: string;
  /** Where the dataset is read from (`--data`): IDX files for `idx`, an image folder for `images`, or instead of a named dataset's default. */
  readonly dataDir: string | null;
  /** Image folders: resize the short side to this and centre-crop (`--image-size`); null keeps the images' own (equal) size. */
  readonly imageSize: number | null;
  /** Image folders and IDX: convert the images to this many channels (`--channels`); null: what the data has. */
  readonly channels: 1 | 3 | null;
  readonly binarize: Binarization;
  readonly epochs: number;
  readonly batchSize: number;
  /** Adam step size. */
  readonly learningRate: number;
  readonly seed: number;
  /** Validation examples held out from the training split; `null` → `valFraction` of it. */
  readonly valSize: number | null;
  readonly valFraction: number;
  /** Use only the first `trainSize` training examples after the split (`null` = all). */
  readonly trainSize: number | null;
  /**
   * Backend request: a tfjs backend (`tensorflow`, `webgpu`, `wasm`, `cpu`) or an ort execution
   * provider (`cpu`, `webgpu`, `cuda`); `auto` lets the engine pick the first that works.
   */
  readonly backend: BackendRequest | 'cuda';
  /** Training engine: a registry name (`tfjs`, `ort`) or `auto` (see `chooseEngine`). */
  readonly engine: string;
  /** Importance samples per example for variational kinds: 1 = the ELBO, K > 1 = the IWAE bound. */
  readonly iwSamples: number;
  /** Stop (after checkpointing) once this much wall time has passed; `null` = no limit. */
  readonly maxMinutes: number | null;
  /** Stop after this many optimizer steps in total; `null` = no limit. */
  readonly maxSteps: number | null;
  /** The run folder (`runs/<name>`). */
  readonly runDir: string;
}

/** Defaults of {@link TrainConfig}: the 784-400-20 Bernoulli VAE on MNIST, sized to finish in a few minutes on 2 cores. */
export const DEFAULT_TRAIN_CONFIG: TrainConfig = Object.freeze({
  model: Object.freeze({
    kind: 'vae',
    architecture: 'mlp',
    hidden: [400],
    latentDim: 20,
    likelihood: 'bernoulli',
  }) as ModelSpecOptions,
  dataset: 'mnist',
  dataDir: null,
  imageSize: null,
  channels: null,
  binarize: 'dynamic',
  epochs: 10,
  batchSize: 128,
  learningRate: 1e-3,
  seed: 1,
  valSize: null,
  valFraction: 1 / 12,
  trainSize: null,
  backend: 'auto',
  engine: 'auto',
  iwSamples: 1,
  maxMinutes: null,
  maxSteps: null,
  runDir: 'runs/default',
});

/** Fills defaults and validates; errors name the field, the expected and the actual value. */
export function resolveTrainConfig(partial: Partial<TrainConfig> = {}): TrainConfig {
  const c: TrainConfig = { ...DEFAULT_TRAIN_CONFIG, ...partial };
  if (typeof c.dataset !== 'string' || c.dataset === '')
    throw new RangeError(`dataset: expected a dataset name, got ${JSON.stringify(c.dataset)}`);
  if (c.imageSize !== null) assertInteger(c.imageSize, 'imageSize', 1, 4096);
  if (c.channels !== null && c.channels !== 1 && c.channels !== 3)
    throw new RangeError(`channels: expected 1 or 3, got ${JSON.stringify(c.channels)}`);
  if (!(c.binarize in BINARIZATIONS))
    throw new RangeError(
      `binarize: expected one of ${Object.keys(BINARIZATIONS).join('|')}, got ${JSON.stringify(c.binarize)}`,
    );
  if (!TRAIN_BACKENDS.includes(c.backend))
    throw new RangeError(`backend: expected one of ${TRAIN_BACKENDS.join('|')}, got ${JSON.stringify(c.backend)}`);
  assertInteger(c.epochs, 'epochs', 1);
  assertInteger(c.batchSize, 'batchSize', 1);
  assertNumber(c.learningRate, 'learningRate', Number.MIN_VALUE);
  assertInteger(c.seed, 'seed', -Number.MAX_SAFE_INTEGER);
  if (c.valSize !== null) assertInteger(c.valSize, 'valSize', 1);
  assertNumber(c.valFraction, 'valFraction', Number.MIN_VALUE, 0.9);
  if (c.trainSize !== null) assertInteger(c.trainSize, 'trainSize', 1);
  assertInteger(c.iwSamples, 'iwSamples', 1, 5000);
  if (c.maxMinutes !== null) assertNumber(c.maxMinutes, 'maxMinutes', Number.MIN_VALUE);
  if (c.maxSteps !== null) assertInteger(c.maxSteps, 'maxSteps', 1);
  if (typeof c.runDir !== 'string' || c.runDir === '')
    throw new RangeError(`runDir: expected a directory path, got ${JSON.stringify(c.runDir)}`);
  return c;
}

/** How a run reads its data that is not part of its configuration (a resumed run may change it). */
export interface DataRuntimeOptions {
  /** Image folders: the pixel cache directory (default `$VAE_CACHE_DIR` or `~/.cache/vae-everywhere/images`). */
  readonly cacheDir?: string | null;
  /** Image folders: pixel bytes above which the training rows are read from disk in shuffled blocks (default 1 GiB). */
  readonly memoryBytes?: number;
  /** Rows read from disk: bytes shuffled together per buffer (default 128 MiB; two buffers are in memory). */
  readonly shuffleBufferBytes?: number;
}

/** The dataset registry's load options for a configuration. */
export function datasetLoadOptions(
  c: Pick<TrainConfig, 'dataDir' | 'imageSize' | 'channels'>,
  o: DataRuntimeOptions = {},
): DatasetLoadOptions {
  return {
    dataDir: c.dataDir,
    imageSize: c.imageSize ?? null,
    channels: c.channels ?? null,
    ...(o.cacheDir === undefined ? {} : { cacheDir: o.cacheDir }),
    ...(o.memoryBytes === undefined ? {} : { memoryBytes: o.memoryBytes }),
  };
}

/** Number of validation examples a configuration holds out of `count` training examples. */
export function validationSize(config: TrainConfig, count: number): number {
  return config.valSize ?? Math.max(1, Math.round(count * config.valFraction));
}
