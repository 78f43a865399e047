import {
  Rng,
  createModelSpec,
  float64ObjectiveOps,
  softplus,
  type F64,
  initParameters,
  listParameters,
  modelKindInfo,
  inputSize,
  type ModelSpec,
  type ModelSpecOptions,
} from '@vae/core';
import * as ort from 'onnxruntime-node';

/** One batch of graph inputs in float64; matrices are row-major. */
export interface ReferenceBatch {
  readonly batch: number;
  /** Clean input `[batch, D]`. */
  readonly x: Float64Array;
  /** `denoising-ae`: corrupted input `[batch, D]`. */
  readonly xInput?: Float64Array;
  /** Variational kinds: `[batch·S, latentDim]`, example-major. */
  readonly eps?: Float64Array;
  /** Conditional kinds: one-hot `[batch, K]`. */
  readonly y?: Float64Array;
  /** Importance samples per example (default 1). */
  readonly samples?: number;
}

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
  'beta-tcvae': {
    kind: 'beta-tcvae',
    imageShape: [4, 4, 1],
    hidden: [6],
    latentDim: 3,
    beta: 3,
    tcvae: { alpha: 2, gamma: 0.5, datasetSize: 100 },
  },
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
export function randomBatch(spec: ModelSpec, rng: Rng, batch: number, samples = 1): ReferenceBatch {
  const D = inputSize(spec);
  const info = modelKindInfo(spec.kind);
  const x = Float64Array.from({ length: batch * D }, () => rng.uniform());
  return {
    batch,
    x,
    ...(info.corruptsInput ? { xInput: x.map((v) => (rng.bernoulli(0.3) ? 0 : v)) } : {}),
    ...(info.variational
      ? { eps: Float64Array.from({ length: batch * samples * spec.latentDim }, () => rng.normal()), samples }
      : {}),
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
  if (b.eps)
    feeds.eps = new ort.Tensor(dtype, dtype === 'float64' ? b.eps : Float32Array.from(b.eps), [
      b.batch * (b.samples ?? 1),
      spec.latentDim,
    ]);
  if (b.y) feeds.y = make(b.y, spec.numClasses);
  if (modelKindInfo(spec.kind).variational)
    feeds.beta = new ort.Tensor(
      dtype,
      dtype === 'float64' ? Float64Array.of(spec.beta) : Float32Array.of(spec.beta),
      [],
    );
  return feeds;
}

/** Loss terms of a graph or of core's float64 evaluator (batch means, nats per example). */
export interface Terms {
  readonly loss: number;
  readonly reconstruction: number;
  readonly regularizer: number;
  readonly kl: number | null;
}

/**
 * The kind's objective evaluated by core in float64 (`float64ObjectiveOps`) on a graph's own
 * float64 forward outputs (`exposeForward`): the same objective code on other ops, so every term
 * must agree with the graph's to rounding.
 */
export function coreTerms(
  spec: ModelSpec,
  out: Readonly<Record<string, ort.Tensor>>,
  b: ReferenceBatch,
  params: Readonly<Record<string, Float64Array>>,
): Terms {
  const f64 = (t: ort.Tensor): F64 => ({ shape: t.dims as number[], data: t.data as Float64Array });
  const D = inputSize(spec);
  const ops = float64ObjectiveOps((decoded, target) => {
    const rows = decoded.shape[0]!;
    const data = new Float64Array(rows);
    const s = spec.gaussianSigma;
    for (let r = 0; r < rows; r++)
      for (let j = 0; j < D; j++) {
        const l = decoded.data[r * D + j]!;
        const x = target.data[r * D + j]!;
        data[r]! +=
          spec.likelihood === 'bernoulli'
            ? softplus(l) - x * l
            : 0.5 * ((x - l) / s) ** 2 + Math.log(s) + 0.5 * Math.log(2 * Math.PI);
      }
    return { shape: [rows], data };
  });
  const info = modelKindInfo(spec.kind);
  const heads: Record<string, F64> = {};
  for (const h of info.heads) heads[h] = f64(out[h]!);
  const paramValues: Record<string, F64> = {};
  for (const p of listParameters(spec)) paramValues[p.name] = { shape: p.shape, data: params[p.name]! };
  const samples = b.samples ?? 1;
  const parts = info.objective(ops, {
    spec,
    x: { shape: [b.batch, D], data: b.x },
    heads,
    decode: () => f64(out.decoded!),
    eps: b.eps ? { shape: [b.batch * samples, spec.latentDim], data: b.eps } : null,
    beta: ops.scalar(spec.beta),
    samples,
    params: paramValues,
  });
  const v = (t: F64) => t.data[0]!;
  return {
    loss: v(parts.loss),
    reconstruction: v(parts.reconstruction),
    regularizer: v(parts.regularizer),
    kl: parts.kl ? v(parts.kl) : null,
  };
}

export { createModelSpec, ort };
