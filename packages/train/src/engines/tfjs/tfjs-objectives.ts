import { modelKindInfo, type ModelKind, type ModelSpec, type ObjectiveOps } from '@vae/core';
import type { TfNetwork, TfParameterMap } from './tfjs-network.js';
import { tf } from './tf.js';

/** Inputs of one objective evaluation, as tfjs tensors. */
export interface TfObjectiveInputs {
  readonly spec: ModelSpec;
  readonly net: TfNetwork;
  readonly params: TfParameterMap;
  /** Encoder input `[B, D]` (corrupted for `denoising-ae`). */
  readonly x: tf.Tensor2D;
  /** Reconstruction target `[B, D]` (the clean input). */
  readonly target: tf.Tensor2D;
  /** One-hot labels `[B, K]` for conditional kinds. */
  readonly y?: tf.Tensor2D;
  /** Variational kinds: ε `[B·S, L]`, example-major (row `b·S + s` is sample `s` of example `b`). */
  readonly eps?: tf.Tensor2D;
  /** Importance samples S per example (1 = the ELBO). */
  readonly samples: number;
}

/** The scalar to minimise plus the forward outputs (decoded has `B·S` rows for S samples). */
export interface TfObjectiveResult {
  readonly loss: tf.Scalar;
  readonly decoded: tf.Tensor2D;
  readonly mu?: tf.Tensor2D;
  readonly logvar?: tf.Tensor2D;
  readonly code?: tf.Tensor2D;
}

/** A training objective in tfjs ops (differentiable): the kind's objective, as core's `modelObjective` evaluates it. */
export type TfObjective = (a: TfObjectiveInputs) => TfObjectiveResult;

const HALF_LOG_2PI = 0.5 * Math.log(2 * Math.PI);

/** `−log p(target | decoded)` per example `[B]`: Bernoulli on logits (no constant) or Gaussian with fixed σ. */
export function negLogLikelihoodTf(spec: ModelSpec, target: tf.Tensor2D, decoded: tf.Tensor2D): tf.Tensor1D {
  if (spec.likelihood === 'bernoulli') {
    // softplus(ℓ) − xℓ = relu(ℓ) − xℓ + log1p(exp(−|ℓ|)), stable for any ℓ.
    const l = decoded;
    const terms = tf.add(tf.sub(tf.relu(l), tf.mul(target, l)), tf.log1p(tf.exp(tf.neg(tf.abs(l)))));
    return tf.sum(terms, 1) as tf.Tensor1D;
  }
  const s = spec.gaussianSigma;
  const sq = tf.sum(tf.square(tf.div(tf.sub(target, decoded), s)), 1);
  return tf.add(tf.mul(sq, 0.5), target.shape[1] * (Math.log(s) + HALF_LOG_2PI)) as tf.Tensor1D;
}

/** {@link ObjectiveOps} in TensorFlow.js (differentiable by tfjs's own gradients). */
export function tfObjectiveOps(spec: ModelSpec): ObjectiveOps<tf.Tensor> {
  return {
    scalar: (v) => tf.scalar(v),
    add: (a, b) => tf.add(a, b),
    sub: (a, b) => tf.sub(a, b),
    mul: (a, b) => tf.mul(a, b),
    div: (a, b) => tf.div(a, b),
    exp: (a) => tf.exp(a),
    log: (a) => tf.log(a),
    abs: (a) => tf.abs(a),
    clip: (a, lo, hi) => tf.clipByValue(a, lo, hi),
    sum: (a, axis) => tf.sum(a, axis),
    mean: (a, axis) => tf.mean(a, axis),
    logSumExp: (a, axis) => tf.logSumExp(a, axis),
    unsqueeze: (a, axis) => tf.expandDims(a, axis),
    repeatRows: (a, times) =>
      times === 1 ? a : tf.tile(tf.expandDims(a, 1), [1, times, 1]).reshape([-1, a.shape[1]!]),
    splitRows: (a, times) => tf.reshape(a, [-1, times]),
    rows: (a) => tf.scalar(a.shape[0]!),
    negLogLikelihood: (decoded, target) => negLogLikelihoodTf(spec, target as tf.Tensor2D, decoded as tf.Tensor2D),
  };
}

function checkEps(a: TfObjectiveInputs): void {
  const rows = a.x.shape[0] * a.samples;
  if (!a.eps || a.eps.shape[0] !== rows || a.eps.shape[1] !== a.spec.latentDim) {
    throw new RangeError(
      `eps: expected shape [${rows}, ${a.spec.latentDim}] for kind ${a.spec.kind}, got ${a.eps ? `[${a.eps.shape.join(', ')}]` : 'none'}`,
    );
  }
}

/** The kind's own objective (written once in `@vae/core`) run on {@link tfObjectiveOps}. */
const kindObjective: TfObjective = (a) => {
  const info = modelKindInfo(a.spec.kind);
  if (info.variational) checkEps(a);
  const ops = tfObjectiveOps(a.spec);
  const heads = a.net.encode(a.x, a.y) as unknown as Record<string, tf.Tensor>;
  const parts = info.objective(ops, {
    spec: a.spec,
    x: a.target,
    heads,
    decode: (z, s) => a.net.decode(z as tf.Tensor2D, a.y ? (ops.repeatRows(a.y, s) as tf.Tensor2D) : undefined),
    eps: a.eps ?? null,
    beta: tf.scalar(a.spec.beta),
    samples: a.samples,
    params: a.params as unknown as Record<string, tf.Tensor>,
  });
  return {
    loss: parts.loss as tf.Scalar,
    decoded: parts.decoded as tf.Tensor2D,
    ...(parts.mu ? { mu: parts.mu as tf.Tensor2D } : {}),
    ...(parts.logvar ? { logvar: parts.logvar as tf.Tensor2D } : {}),
    ...(parts.code ? { code: parts.code as tf.Tensor2D } : {}),
  };
};

const overrides = new Map<string, TfObjective>();

/** Replaces the tfjs objective of a known model kind (e.g. to inject faults in tests); pass `null` to restore the default. */
export function registerTfObjective(kind: ModelKind, objective: TfObjective | null): void {
  modelKindInfo(kind);
  if (objective) overrides.set(kind, objective);
  else overrides.delete(kind);
}

/**
 * The tfjs objective of `kind`: the kind's own objective on tfjs ops (or a test's override); a
 * `RangeError` lists the kinds for an unknown one.
 */
export function getTfObjective(kind: ModelKind | string): TfObjective {
  modelKindInfo(kind);
  return overrides.get(kind) ?? kindObjective;
}
