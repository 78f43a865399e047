import {
  Rng,
  createModelSpec,
  initParameters,
  listParameters,
  modelKindInfo,
  inputSize,
  type ModelSpec,
  type ModelSpecOptions,
} from '@vae/core';
import * as ort from 'onnxruntime-node';
import type { ReferenceBatch } from './reference-objective.js';

/** Tiny specs of every MLP kind the training graph supports. */
export const TINY_SPECS: Readonly<Record<string, ModelSpecOptions>> = {
  vae: { kind: 'vae', imageShape: [4, 4, 1], hidden: [6], latentDim: 3 },
  'vae-gaussian-tanh': {
    kind: 'vae',
    imageShape: [4, 4, 1],
    hidden: [7, 5],
    latentDim: 2,
    likelihood: 'gaussian',
    gaussianSigma: 0.7,
    activation: 'tanh',
  },
  // Colour (C = 3, HWC) with PyTorch-VAE's LeakyReLU: the likelihoods sum over every channel of every pixel.
  'vae-colour-leaky-relu': {
    kind: 'vae',
    imageShape: [2, 2, 3],
    hidden: [6, 5],
    latentDim: 3,
    activation: 'leaky-relu',
  },
  'vae-colour-gaussian': {
    kind: 'vae',
    imageShape: [2, 3, 3],
    hidden: [7],
    latentDim: 2,
    likelihood: 'gaussian',
    gaussianSigma: 0.3,
    activation: 'leaky-relu',
  },
  'beta-vae': { kind: 'beta-vae', imageShape: [4, 4, 1], hidden: [6], latentDim: 3, beta: 4 },
  cvae: { kind: 'cvae', imageShape: [4, 4, 1], hidden: [6], latentDim: 3, numClasses: 3 },
  ae: { kind: 'ae', imageShape: [4, 4, 1], hidden: [6], latentDim: 3 },
  'denoising-ae': {
    kind: 'denoising-ae',
    imageShape: [4, 4, 1],
    hidden: [6],
    latentDim: 3,
    noise: { type: 'mask', fraction: 0.3 },
  },
  'sparse-ae-l1': {
    kind: 'sparse-ae',
    imageShape: [4, 4, 1],
    hidden: [6],
    latentDim: 3,
    sparsity: { type: 'l1', weight: 0.3 },
  },
  'sparse-ae-kl': {
    kind: 'sparse-ae',
    imageShape: [4, 4, 1],
    hidden: [6],
    latentDim: 3,
    sparsity: { type: 'kl', rho: 0.1, weight: 0.5 },
  },
  'contractive-ae': { kind: 'contractive-ae', imageShape: [4, 4, 1], latentDim: 5, contractiveWeight: 0.2 },
};

/** Random float64 parameters (Glorot kernels, small random biases so no unit is symmetric). */
export function randomParams(spec: ModelSpec, rng: Rng): Record<string, Float64Array> {
  const init = initParameters(spec, rng);
  const out: Record<string, Float64Array> = {};
  for (const p of listParameters(spec)) {
    const a = Float64Array.from(init[p.name]!.data);
    if (p.init === 'zeros') for (let i = 0; i < a.length; i++) a[i] = 0.2 * rng.normal();
    out[p.name] = a;
  }
  return out;
}

/** A random batch for `spec` (x in [0, 1], masked x_input, ε, one-hot y). */
export function randomBatch(spec: ModelSpec, rng: Rng, batch: number): ReferenceBatch {
  const D = inputSize(spec);
  const info = modelKindInfo(spec.kind);
  const x = Float64Array.from({ length: batch * D }, () => rng.uniform());
  return {
    batch,
    x,
    ...(info.corruptsInput ? { xInput: x.map((v) => (rng.bernoulli(0.3) ? 0 : v)) } : {}),
    ...(info.variational ? { eps: Float64Array.from({ length: batch * spec.latentDim }, () => rng.normal()) } : {}),
    ...(info.conditional
      ? {
          y: Float64Array.from({ length: batch * spec.numClasses }, (_, k) =>
            k % spec.numClasses === Math.floor(k / spec.numClasses) % spec.numClasses ? 1 : 0,
          ),
        }
      : {}),
  };
}

/** Graph feeds of a batch, in float64 or float32. */
export function batchFeeds(
  spec: ModelSpec,
  b: ReferenceBatch,
  dtype: 'float32' | 'float64',
): Record<string, ort.Tensor> {
  const make = (a: Float64Array, cols: number) =>
    new ort.Tensor(dtype, dtype === 'float64' ? a : Float32Array.from(a), [b.batch, cols]);
  const feeds: Record<string, ort.Tensor> = { x: make(b.x, inputSize(spec)) };
  if (b.xInput) feeds.x_input = make(b.xInput, inputSize(spec));
  if (b.eps) feeds.eps = make(b.eps, spec.latentDim);
  if (b.y) feeds.y = make(b.y, spec.numClasses);
  if (modelKindInfo(spec.kind).variational)
    feeds.beta = new ort.Tensor(
      dtype,
      dtype === 'float64' ? Float64Array.of(spec.beta) : Float32Array.of(spec.beta),
      [],
    );
  return feeds;
}

export { createModelSpec, ort };
