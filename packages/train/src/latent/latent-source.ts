import { basename, resolve } from 'node:path';
import { Rng, oneHot, sizeText, type DeviceRequest, type Tensor, type VaeModel } from '@vae/core';
import { loadModel } from '@vae/runtime-node';
import { gatherPixels } from '../batches/batch-impl.js';
import { loadCheckpoint } from '../checkpoint/checkpoint.js';
import { holdOutValidation, type ImageSplit } from '@vae/data';
import { datasetInfo, loadDataset } from '@vae/data/node';
import {
  DEFAULT_TRAIN_CONFIG,
  resolveTrainConfig,
  validationSize,
  type Binarization,
  type TrainConfig,
} from '../config.js';
import { loadOnnxModel } from '../eval/onnx-model.js';

/** Where a latent view or metric reads its model from: a run folder (checkpoint) or an exported model directory. */
export type ModelLocation = { readonly run: string } | { readonly model: string };

/** A loaded model with the test split of the dataset it was trained on. */
export interface LatentSource {
  /** Short name for captions (the folder's name). */
  readonly name: string;
  readonly location: string;
  readonly model: VaeModel;
  readonly dataset: string;
  /** The dataset's test split, or the validation rows held out of its training split when it has none. */
  readonly test: ImageSplit;
  /** How images become model input (`dynamic` is read as grey levels, like the run plots). */
  readonly binarize: Binarization;
  /** Class names for legends. */
  readonly classNames: readonly string[];
  release(): Promise<void>;
}

/** Options of {@link openLatentSource}. */
export interface OpenLatentOptions {
  /** onnxruntime-node device (default `cpu`). */
  readonly device?: DeviceRequest;
  /** Dataset to read instead of the one recorded with the model (required when none is recorded). */
  readonly dataset?: string;
  /** Where to read it from instead of the run's `dataDir` (`--data`). */
  readonly dataDir?: string | null;
  /** Image folders: the pixel cache directory. */
  readonly cacheDir?: string | null;
}

/**
 * Loads a run folder's checkpoint (graphs built in memory, as `vae eval` does) or an exported model
 * directory on onnxruntime-node, and the test split of its dataset (from the run's config, or the
 * manifest's provenance, or `dataset`).
 */
export async function openLatentSource(at: ModelLocation, o: OpenLatentOptions = {}): Promise<LatentSource> {
  const device = o.device ?? 'cpu';
  let model: VaeModel;
  let dataset: string;
  let dataDir = o.dataDir ?? null;
  let binarize: Binarization = 'none';
  let location: string;
  let config: TrainConfig = DEFAULT_TRAIN_CONFIG;
  if ('run' in at) {
    location = resolve(at.run);
    const ckpt = await loadCheckpoint(at.run);
    config = resolveTrainConfig(ckpt.config);
    dataset = o.dataset ?? config.dataset;
    dataDir = o.dataDir ?? config.dataDir;
    binarize = config.binarize === 'dynamic' ? 'none' : config.binarize;
    model = await loadOnnxModel(ckpt.spec, ckpt.params, { device, location: `${location} (checkpoint)` });
  } else {
    location = resolve(at.model);
    model = await loadModel(at.model, { device });
    dataset = o.dataset ?? model.manifest.provenance.dataset;
  }
  try {
    const [h, w, c] = model.manifest.imageShape;
    // Decoded image files take the model's shape; other datasets have their own.
    const shaped = datasetInfo(dataset).resizable ? { imageSize: [h, w] as const, channels: c as 1 | 3 } : {};
    const cache = o.cacheDir ? { cacheDir: o.cacheDir } : {};
    const data = await loadDataset(dataset, { dataDir, ...shaped, ...cache });
    const d = model.inputSize;
    if (data.imageShape[0] * data.imageShape[1] * data.imageShape[2] !== d)
      throw new RangeError(
        `dataset: expected images of ${sizeText(...model.manifest.imageShape)} for ${location}, got ${sizeText(...data.imageShape)} from ${dataset}`,
      );
    const classNames = data.classNames ?? Array.from({ length: data.numClasses }, (_, k) => String(k));
    const test = data.test ?? (await holdOutValidation(data.train, d, validationSize(config, data.train.count))).val;
    return {
      name: basename(location),
      location,
      model,
      dataset,
      test,
      binarize,
      classNames,
      release: () => model.release(),
    };
  } catch (err) {
    await model.release();
    throw err;
  }
}

/** Model input `[n, D]` and (conditional models) one-hot labels for rows `[start, start + n)` of `split`. */
export function inputsOf(
  source: Pick<LatentSource, 'model' | 'binarize'>,
  split: ImageSplit,
  start: number,
  n: number,
  rng: Rng,
): { x: Tensor; y: Tensor | undefined } {
  const d = source.model.inputSize;
  const rows = Uint32Array.from({ length: n }, (_, i) => start + i);
  const x: Tensor = { data: gatherPixels(split.images, d, rows, source.binarize, rng), shape: [n, d] };
  const k = source.model.numClasses;
  return { x, y: k > 0 ? oneHot(split.labels.subarray(start, start + n), k) : undefined };
}
