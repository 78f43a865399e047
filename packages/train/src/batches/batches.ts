import { inputSize, modelKindInfo, type ModelSpec, type Rng } from '@vae/core';
import { corrupt, gatherPixels, oneHotRows } from './batch-impl.js';
import type { Binarization } from '../config.js';
import type { ImageSplit } from '@vae/data';
import type { TrainBatch } from '../engines/engine.js';

/** What {@link makeBatch} needs besides the rows. */
export interface BatchOptions {
  readonly spec: ModelSpec;
  readonly binarize: Binarization;
  /** Importance samples per example for variational kinds. */
  readonly samples: number;
}

/**
 * Builds a batch from rows `indices` of `split`, drawing from `rng` in this order: binarization,
 * then the denoising corruption, then ε `[B·S, L]` (example-major, the order core's
 * `importanceSampledLogLikelihood` uses for one chunk of S samples).
 */
export function makeBatch(split: ImageSplit, indices: Uint32Array, rng: Rng, o: BatchOptions): TrainBatch {
  const { spec } = o;
  const d = inputSize(spec);
  const info = modelKindInfo(spec.kind);
  const b = indices.length;
  const target = gatherPixels(split.images, d, indices, o.binarize, rng);
  const x = info.corruptsInput && spec.noise ? corrupt(target, spec.noise, rng) : target;
  const samples = info.variational ? o.samples : 1;
  const epsRngState = info.variational ? rng.getState() : undefined;
  return {
    x: { data: x, shape: [b, d] },
    target: { data: target, shape: [b, d] },
    ...(info.conditional
      ? { y: { data: oneHotRows(split.labels, indices, spec.numClasses), shape: [b, spec.numClasses] } }
      : {}),
    ...(epsRngState ? { epsRngState } : {}),
    ...(info.variational
      ? { eps: { data: rng.normals(b * samples * spec.latentDim), shape: [b * samples, spec.latentDim] } }
      : {}),
    samples,
    indices,
  };
}
