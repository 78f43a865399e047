import { LOGVAR_CLAMP } from './losses-impl.js';
import type { ObjectiveIo, ObjectiveOps, ObjectiveParts } from './objective-ops.js';

/** Terms shared by several kinds' objectives, written against {@link ObjectiveOps}. */

/** Mean over the rows of a per-row value `[B]`. */
export function batchMean<T>(ops: ObjectiveOps<T>, perRow: T): T {
  return ops.mean(perRow, 0);
}

/** The head `name` of the encoder, or a `RangeError` naming it. */
export function head<T>(io: ObjectiveIo<T>, name: string): T {
  const h = io.heads[name];
  if (h === undefined) throw new RangeError(`heads.${name}: expected the encoder head for kind ${io.spec.kind}`);
  return h;
}

/** Mean reconstruction NLL of `decoded` against the clean input. */
export function reconstruction<T>(ops: ObjectiveOps<T>, io: ObjectiveIo<T>, decoded: T): T {
  return batchMean(ops, ops.negLogLikelihood(decoded, io.x));
}

/** Reconstruction plus a regularizer: the objective of every autoencoder kind. */
export function autoencoderObjective<T>(
  ops: ObjectiveOps<T>,
  io: ObjectiveIo<T>,
  regularizer: ((code: T) => T) | null,
): ObjectiveParts<T> {
  const code = head(io, 'code');
  const decoded = io.decode(code, 1);
  const rec = reconstruction(ops, io, decoded);
  const reg = regularizer ? regularizer(code) : ops.scalar(0);
  return {
    loss: regularizer ? ops.add(rec, reg) : rec,
    reconstruction: rec,
    kl: null,
    regularizer: reg,
    decoded,
    code,
  };
}

/** The posterior of a variational encoder with log σ² clamped to `LOGVAR_CLAMP`, and σ. */
export interface Posterior<T> {
  readonly mu: T;
  readonly logvar: T;
  readonly std: T;
}

/** μ, clamped log σ² and σ from the `mu` and `logvar` heads. */
export function posterior<T>(ops: ObjectiveOps<T>, io: ObjectiveIo<T>): Posterior<T> {
  const mu = head(io, 'mu');
  const logvar = ops.clip(head(io, 'logvar'), LOGVAR_CLAMP[0], LOGVAR_CLAMP[1]);
  return { mu, logvar, std: ops.exp(ops.mul(logvar, ops.scalar(0.5))) };
}

/** z = μ + σ·ε for S samples (example-major `[B·S, L]`); μ itself where the evaluator gives no ε. */
export function reparameterizeOps<T>(ops: ObjectiveOps<T>, io: ObjectiveIo<T>, q: Posterior<T>): T {
  if (!io.eps) return q.mu;
  const s = io.samples;
  return ops.add(ops.repeatRows(q.mu, s), ops.mul(ops.repeatRows(q.std, s), io.eps));
}

/** Mean closed-form KL(N(μ, σ²) ‖ N(0, I)) = mean ½Σ(μ² + σ² − 1 − log σ²). */
export function gaussianKl<T>(ops: ObjectiveOps<T>, q: Posterior<T>): T {
  const terms = ops.sub(ops.add(ops.mul(q.mu, q.mu), ops.mul(q.std, q.std)), ops.add(q.logvar, ops.scalar(1)));
  return ops.mul(batchMean(ops, ops.sum(terms, 1)), ops.scalar(0.5));
}

/**
 * One posterior sample per example and the mean KL: the engine's fused `ops.gaussianSample` where
 * it has one and ε is given, else {@link reparameterizeOps} and {@link gaussianKl}.
 */
export function sampleWithKl<T>(ops: ObjectiveOps<T>, io: ObjectiveIo<T>, q: Posterior<T>): { z: T; kl: T } {
  if (ops.gaussianSample && io.eps && io.samples === 1) return ops.gaussianSample(q.mu, q.logvar, io.eps);
  return { z: reparameterizeOps(ops, io, q), kl: gaussianKl(ops, q) };
}

/**
 * The variational objective: with one sample, `reconstruction + β·KL` (β = `io.beta`); with S > 1
 * samples the importance-weighted bound (Burda et al. 2016),
 * `−mean log (1/S) Σ_s p(x|z_s)p(z_s)/q(z_s|x)` (no β; the ½ log 2π terms cancel).
 * `kl` is the closed-form KL either way.
 */
export function variationalObjective<T>(ops: ObjectiveOps<T>, io: ObjectiveIo<T>): ObjectiveParts<T> {
  const q = posterior(ops, io);
  const { z, kl } = sampleWithKl(ops, io, q);
  const decoded = io.decode(z, io.samples);
  if (io.samples === 1) {
    const rec = reconstruction(ops, io, decoded);
    const reg = ops.mul(kl, io.beta);
    return { loss: ops.add(rec, reg), reconstruction: rec, kl, regularizer: reg, decoded, mu: q.mu, logvar: q.logvar };
  }
  const s = io.samples;
  const eps = io.eps!;
  const nll = ops.negLogLikelihood(decoded, ops.repeatRows(io.x, s));
  // log p(z) − log q(z|x) = ½Σ(ε² + log σ² − z²).
  const priorOverQ = ops.mul(
    ops.sum(ops.sub(ops.add(ops.mul(eps, eps), ops.repeatRows(q.logvar, s)), ops.mul(z, z)), 1),
    ops.scalar(0.5),
  );
  const logW = ops.splitRows(ops.sub(priorOverQ, nll), s);
  const bound = ops.sub(ops.logSumExp(logW, 1), ops.scalar(Math.log(s)));
  const loss = ops.sub(ops.scalar(0), batchMean(ops, bound));
  const rec = batchMean(ops, nll);
  // The bound is not reconstruction + a weighted KL; the regularizer is what the bound adds to the mean NLL.
  return { loss, reconstruction: rec, kl, regularizer: ops.sub(loss, rec), decoded, mu: q.mu, logvar: q.logvar };
}
