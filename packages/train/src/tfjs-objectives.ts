import { RHO_HAT_CLAMP, modelKindInfo, type ModelKind, type ModelSpec, type RegularizerName } from '@vae/core';
import { clampLogvarTf, type TfNetwork, type TfParameterMap } from './tfjs-network.js';
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

/** A training objective in tfjs ops (differentiable), mirroring core's `modelObjective`. */
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

function repeatRows(t: tf.Tensor2D, times: number): tf.Tensor2D {
  if (times === 1) return t;
  const [b, n] = t.shape;
  return tf.tile(t.expandDims(1), [1, times, 1]).reshape([b * times, n]);
}

function requireEps(a: TfObjectiveInputs): tf.Tensor2D {
  const rows = a.x.shape[0] * a.samples;
  if (!a.eps || a.eps.shape[0] !== rows || a.eps.shape[1] !== a.spec.latentDim) {
    throw new RangeError(
      `eps: expected shape [${rows}, ${a.spec.latentDim}] for kind ${a.spec.kind}, got ${a.eps ? `[${a.eps.shape.join(', ')}]` : 'none'}`,
    );
  }
  return a.eps;
}

/** ELBO (β-weighted KL) for one sample, or the importance-weighted bound for S > 1 samples. */
const variationalObjective: TfObjective = (a) => {
  const enc = a.net.encode(a.x, a.y);
  if (!('mu' in enc)) throw new Error(`kind ${a.spec.kind}: the encoder has no mu/logvar heads`);
  const { mu, logvar } = enc;
  const lv = clampLogvarTf(logvar) as tf.Tensor2D;
  const eps = requireEps(a);
  const s = a.samples;
  const muR = repeatRows(mu, s);
  const lvR = repeatRows(lv, s);
  const z = tf.add(muR, tf.mul(tf.exp(tf.mul(lvR, 0.5)), eps)) as tf.Tensor2D;
  const yR = a.y ? repeatRows(a.y, s) : undefined;
  const decoded = a.net.decode(z, yR);
  const nll = negLogLikelihoodTf(a.spec, repeatRows(a.target, s), decoded);
  if (s === 1) {
    const kl = tf.mul(tf.sum(tf.sub(tf.add(tf.square(mu), tf.exp(lv)), tf.add(lv, 1)), 1), 0.5);
    const loss = tf.mean(tf.add(nll, tf.mul(kl, a.spec.beta))) as tf.Scalar;
    return { loss, decoded, mu, logvar };
  }
  // log w = log p(x|z) + log p(z) − log q(z|x); the ½ log 2π terms cancel.
  const logPriorOverQ = tf.mul(tf.sum(tf.sub(tf.add(tf.square(eps), lvR), tf.square(z)), 1), 0.5);
  const logW = tf.sub(logPriorOverQ, nll).reshape([a.x.shape[0], s]);
  const bound = tf.sub(tf.logSumExp(logW, 1), Math.log(s));
  return { loss: tf.neg(tf.mean(bound)) as tf.Scalar, decoded, mu, logvar };
};

function autoencode(a: TfObjectiveInputs): { code: tf.Tensor2D; decoded: tf.Tensor2D; reconstruction: tf.Scalar } {
  const enc = a.net.encode(a.x, a.y);
  if (!('code' in enc)) throw new Error(`kind ${a.spec.kind}: the encoder has no code head`);
  const decoded = a.net.decode(enc.code, a.y);
  return {
    code: enc.code,
    decoded,
    reconstruction: tf.mean(negLogLikelihoodTf(a.spec, a.target, decoded)) as tf.Scalar,
  };
}

type TfRegularizer = (a: TfObjectiveInputs, code: tf.Tensor2D) => tf.Scalar;

/** The autoencoder regularizers in tfjs ops (batch means), keyed by the kind's regularizer name. */
const TF_REGULARIZERS: Partial<Record<RegularizerName, TfRegularizer>> = {
  sparsity(a, code) {
    const s = a.spec.sparsity!;
    let penalty: tf.Tensor;
    if (s.type === 'l1') penalty = tf.mean(tf.sum(tf.abs(code), 1));
    else {
      const rhoHat = tf.clipByValue(tf.mean(code, 0), RHO_HAT_CLAMP[0], RHO_HAT_CLAMP[1]);
      const r = s.rho;
      penalty = tf.sum(
        tf.add(tf.mul(r, tf.log(tf.div(r, rhoHat))), tf.mul(1 - r, tf.log(tf.div(1 - r, tf.sub(1, rhoHat))))),
      );
    }
    return tf.mul(penalty, s.weight) as tf.Scalar;
  },
  contractive(a, code) {
    const kernel = a.params['encoder.code.kernel'];
    if (!kernel) throw new RangeError('params: missing parameter "encoder.code.kernel"');
    const colNorms = tf.sum(tf.square(kernel), 0);
    const g = tf.mul(code, tf.sub(1, code));
    return tf.mul(tf.mean(tf.sum(tf.mul(tf.square(g), colNorms), 1)), a.spec.contractiveWeight!) as tf.Scalar;
  },
};

/** Reconstruction NLL plus the kind's regularizer, for autoencoders. */
const autoencoderObjective: TfObjective = (a) => {
  const { code, decoded, reconstruction } = autoencode(a);
  const reg = TF_REGULARIZERS[modelKindInfo(a.spec.kind).regularizer]?.(a, code);
  return { loss: reg ? (tf.add(reconstruction, reg) as tf.Scalar) : reconstruction, decoded, code };
};

const overrides = new Map<string, TfObjective>();

/** Replaces the tfjs objective of a known model kind (e.g. to inject faults in tests); pass `null` to restore the default. */
export function registerTfObjective(kind: ModelKind, objective: TfObjective | null): void {
  modelKindInfo(kind);
  if (objective) overrides.set(kind, objective);
  else overrides.delete(kind);
}

/**
 * The tfjs objective of `kind`: the ELBO/IWAE bound for variational kinds, else reconstruction plus
 * the kind's regularizer; a `RangeError` lists the kinds for an unknown one.
 */
export function getTfObjective(kind: ModelKind | string): TfObjective {
  const info = modelKindInfo(kind);
  return overrides.get(kind) ?? (info.variational ? variationalObjective : autoencoderObjective);
}
