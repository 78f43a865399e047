import { bernoulliKl, bernoulliLogProb, gaussianLogProb, klGaussianTerm, klStandardNormalTerm } from './losses-impl.js';
import { modelKindInfo } from './model-kinds.js';
import { float64ObjectiveOps, type F64 } from './objective-eval.js';
import { LIKELIHOODS, inputSize, type Likelihood, type ModelSpec } from './model-spec.js';
import { listParameters, validateModelSpec } from './model-shapes.js';
import { assertFinite, assertNumber, assertShape, assertTensor, type Tensor } from './tensor.js';

export {
  LOGVAR_CLAMP,
  RHO_HAT_CLAMP,
  clampLogvar,
  logSigmoid,
  logSumExp,
  sigmoid,
  softplus,
} from './losses-impl.js';

/** Per-example terms of the evidence lower bound, in nats. */
export interface ElboTerms {
  /** `log p(x|z) − KL(q(z|x) ‖ p(z))` per example. */
  readonly elbo: Float64Array;
  /** `log p(x|z)` per example. */
  readonly logLikelihood: Float64Array;
  /** `KL(q(z|x) ‖ N(0, I))` per example. */
  readonly kl: Float64Array;
}

/** Batch-mean terms of a model's training objective, in nats per example. */
export interface ObjectiveTerms {
  /** What training minimises: `reconstruction + regularizer`. */
  readonly loss: number;
  /** Mean `−log p(x|z)` (against the clean `x`). */
  readonly reconstruction: number;
  /** Mean KL(q(z|x) ‖ N(0, I)) for variational kinds, else `null`. */
  readonly kl: number | null;
  /** `β·KL` for variational kinds; the sparsity or contractive term for autoencoders (0 for `ae`, `denoising-ae`). */
  readonly regularizer: number;
  /** Mean ELBO (`log p(x|z) − KL`, β not applied) for variational kinds, else `null`. */
  readonly elbo: number | null;
}

/** Inputs of {@link modelObjective}; which ones are required depends on the model kind. */
export interface ObjectiveInputs {
  /** Clean input `[batch, D]` (for `denoising-ae` the uncorrupted image: the reconstruction target). */
  readonly x: Tensor;
  /** Decoder output `[batch, D]`: logits (Bernoulli) or the mean (Gaussian). */
  readonly decoded: Tensor;
  /** Variational kinds: posterior mean `[batch, latentDim]`. */
  readonly mu?: Tensor;
  /** Variational kinds: posterior log σ² `[batch, latentDim]` (clamped to `LOGVAR_CLAMP`). */
  readonly logvar?: Tensor;
  /** `sparse-ae` and `contractive-ae`: the code `h` `[batch, latentDim]`. */
  readonly code?: Tensor;
  /** `contractive-ae`: the `encoder.code.kernel` parameter `[D, latentDim]`. */
  readonly codeKernel?: Tensor;
  /** Variational kinds: the ε `[batch, latentDim]` the decoded sample was drawn with (required where the kind reads z). */
  readonly eps?: Tensor;
  /** Parameters the kind's objective reads (`modelKindInfo(kind).objectiveParams`), by canonical name. */
  readonly params?: Readonly<Record<string, Tensor>>;
}

function assertMatrix(t: Tensor, name: string, cols: number | null = null, rows: number | null = null): void {
  assertTensor(t, name);
  assertShape(t, [rows, cols], name);
  assertFinite(t, name);
}

function assertSameShape(a: Tensor, aName: string, b: Tensor, bName: string): void {
  assertMatrix(a, aName);
  assertMatrix(b, bName, a.shape[1]!, a.shape[0]!);
}

function assertInRange(t: Tensor, name: string, lo: number, hi: number): void {
  const { data } = t;
  for (let i = 0; i < data.length; i++) {
    const v = data[i]!;
    if (v < lo || v > hi)
      throw new RangeError(`${name}: expected values in [${lo}, ${hi}], got ${v} at flat index ${i}`);
  }
}

/** Sums `f(a[i], b[i])` over each row of two `[batch, n]` tensors into a float64 array. */
function rowSums(a: Tensor, b: Tensor, f: (u: number, v: number) => number): Float64Array {
  const [batch, n] = a.shape as [number, number];
  const out = new Float64Array(batch);
  const ad = a.data;
  const bd = b.data;
  for (let r = 0; r < batch; r++) {
    let s = 0;
    const o = r * n;
    for (let j = 0; j < n; j++) s += f(ad[o + j]!, bd[o + j]!);
    out[r] = s;
  }
  return out;
}

/** Arithmetic mean in float64. Throws a `RangeError` naming `values` when it is empty. */
export function mean(values: ArrayLike<number>): number {
  if (values.length === 0) throw new RangeError('values: expected at least one value, got 0');
  let s = 0;
  for (let i = 0; i < values.length; i++) s += values[i]!;
  return s / values.length;
}

/**
 * Bernoulli log-likelihood per example from logits: `Σ_d x_d·ℓ_d − softplus(ℓ_d)`, in nats,
 * without any Gaussian constant. Stable for logits of any finite size (±1e4 gives finite results).
 * @param x targets `[batch, D]` in [0, 1] (grey levels are allowed: the cross-entropy form).
 * @param logits decoder logits `[batch, D]`.
 */
export function bernoulliLogLikelihood(x: Tensor, logits: Tensor): Float64Array {
  assertSameShape(x, 'x', logits, 'logits');
  assertInRange(x, 'x', 0, 1);
  return rowSums(x, logits, bernoulliLogProb);
}

/**
 * Gaussian log-likelihood per example with fixed σ:
 * `Σ_d −½((x_d − μ_d)/σ)² − log σ − ½ log 2π`, in nats.
 * @param x targets `[batch, D]`.
 * @param mean decoder means `[batch, D]`.
 * @param sigma the fixed standard deviation, > 0.
 */
export function gaussianLogLikelihood(x: Tensor, mean: Tensor, sigma: number): Float64Array {
  assertSameShape(x, 'x', mean, 'mean');
  assertNumber(sigma, 'sigma', Number.MIN_VALUE);
  const logSigma = Math.log(sigma);
  const inv = 1 / sigma;
  return rowSums(x, mean, (u, v) => gaussianLogProb(u, v, logSigma, inv));
}

/**
 * `log p(x|z)` per example for `likelihood`: {@link bernoulliLogLikelihood} on logits or
 * {@link gaussianLogLikelihood} on means (`sigma` is ignored for Bernoulli).
 */
export function logLikelihood(likelihood: Likelihood, x: Tensor, decoded: Tensor, sigma: number): Float64Array {
  if (likelihood === 'bernoulli') return bernoulliLogLikelihood(x, decoded);
  if (likelihood === 'gaussian') return gaussianLogLikelihood(x, decoded, sigma);
  throw new RangeError(
    `likelihood: expected one of ${Object.keys(LIKELIHOODS).join('|')}, got ${JSON.stringify(likelihood)}`,
  );
}

/**
 * KL(N(μ, σ²) ‖ N(0, I)) per example: `½ Σ_j (μ_j² + σ_j² − 1 − log σ_j²)`, with log σ² clamped
 * to `LOGVAR_CLAMP`. Always ≥ 0.
 * @param mu `[batch, L]`.
 * @param logvar `[batch, L]`.
 */
export function klStandardNormal(mu: Tensor, logvar: Tensor): Float64Array {
  assertSameShape(mu, 'mu', logvar, 'logvar');
  return rowSums(mu, logvar, klStandardNormalTerm);
}

/**
 * KL(N(μ, σ²) ‖ N(0, I)) per latent dimension, averaged over the batch:
 * `KL_j = mean_x ½(μ_j² + σ_j² − 1 − log σ_j²)` (log σ² clamped). The values sum to the mean of
 * {@link klStandardNormal}; dimensions near 0 carry no information (collapsed units).
 * @param mu `[batch, L]`, batch ≥ 1.
 * @param logvar `[batch, L]`.
 * @returns length `L`, nats.
 */
export function klPerDimension(mu: Tensor, logvar: Tensor): Float64Array {
  assertSameShape(mu, 'mu', logvar, 'logvar');
  const [batch, n] = mu.shape as [number, number];
  if (batch === 0) throw new RangeError('mu: expected at least one row, got 0');
  const out = new Float64Array(n);
  for (let r = 0; r < batch; r++)
    for (let j = 0; j < n; j++) out[j] = out[j]! + klStandardNormalTerm(mu.data[r * n + j]!, logvar.data[r * n + j]!);
  for (let j = 0; j < n; j++) out[j] = out[j]! / batch;
  return out;
}

/**
 * KL(N(μ₁, σ₁²) ‖ N(μ₂, σ₂²)) per example for diagonal Gaussians:
 * `½ Σ_j (log σ₂² − log σ₁² + (σ₁² + (μ₁ − μ₂)²)/σ₂² − 1)`, log-variances clamped to `LOGVAR_CLAMP`.
 * All four tensors are `[batch, L]`.
 */
export function klDiagonalGaussians(mu1: Tensor, logvar1: Tensor, mu2: Tensor, logvar2: Tensor): Float64Array {
  assertSameShape(mu1, 'mu1', logvar1, 'logvar1');
  assertSameShape(mu1, 'mu1', mu2, 'mu2');
  assertSameShape(mu1, 'mu1', logvar2, 'logvar2');
  const [batch, n] = mu1.shape as [number, number];
  const out = new Float64Array(batch);
  for (let r = 0; r < batch; r++) {
    let s = 0;
    for (let j = r * n; j < (r + 1) * n; j++) {
      s += klGaussianTerm(mu1.data[j]!, logvar1.data[j]!, mu2.data[j]!, logvar2.data[j]!);
    }
    out[r] = s;
  }
  return out;
}

/**
 * ELBO per example with the closed-form KL: `log p(x|z) − KL(q(z|x) ‖ N(0, I))`, where `decoded`
 * is the decoder output for one z drawn from q(z|x).
 */
export function elbo(a: {
  x: Tensor;
  mu: Tensor;
  logvar: Tensor;
  decoded: Tensor;
  likelihood: Likelihood;
  sigma: number;
}): ElboTerms {
  const ll = logLikelihood(a.likelihood, a.x, a.decoded, a.sigma);
  const kl = klStandardNormal(a.mu, a.logvar);
  if (kl.length !== ll.length)
    throw new RangeError(`mu: expected ${ll.length} rows (the batch of x), got ${kl.length}`);
  const out = new Float64Array(ll.length);
  for (let i = 0; i < ll.length; i++) out[i] = ll[i]! - kl[i]!;
  return { elbo: out, logLikelihood: ll, kl };
}

/** The β-VAE objective, mean over the batch of `−(log p(x|z) − β·KL)`. */
export function betaObjective(
  terms: { logLikelihood: ArrayLike<number>; kl: ArrayLike<number> },
  beta: number,
): number {
  assertNumber(beta, 'beta', 0);
  const { logLikelihood: ll, kl } = terms;
  if (ll.length !== kl.length)
    throw new RangeError(`terms.kl: expected ${ll.length} values (as terms.logLikelihood), got ${kl.length}`);
  if (ll.length === 0) throw new RangeError('terms.logLikelihood: expected at least one value, got 0');
  let s = 0;
  for (let i = 0; i < ll.length; i++) s += -(ll[i]! - beta * kl[i]!);
  return s / ll.length;
}

/** L1 sparsity per example: `Σ_j |h_j|` over the code `[batch, H]`. */
export function l1Sparsity(code: Tensor): Float64Array {
  assertMatrix(code, 'code');
  return rowSums(code, code, (u) => Math.abs(u));
}

/**
 * KL-sparsity of a batch: `Σ_j KL(ρ ‖ ρ̂_j)` where `ρ̂_j` is the mean of unit j over the batch
 * (per hidden unit, not over all units) and
 * `KL(ρ ‖ ρ̂) = ρ log(ρ/ρ̂) + (1 − ρ) log((1 − ρ)/(1 − ρ̂))`; ρ̂ is clamped to `RHO_HAT_CLAMP`.
 * @param code sigmoid code `[batch, H]`, values in [0, 1].
 * @param rho target activation in (0, 1).
 */
export function klSparsity(code: Tensor, rho: number): number {
  assertMatrix(code, 'code');
  assertInRange(code, 'code', 0, 1);
  if (typeof rho !== 'number' || !(rho > 0 && rho < 1))
    throw new RangeError(`rho: expected a number in (0, 1), got ${String(rho)}`);
  const [batch, h] = code.shape as [number, number];
  if (batch === 0) throw new RangeError('code: expected at least one row, got 0');
  let total = 0;
  for (let j = 0; j < h; j++) {
    let s = 0;
    for (let r = 0; r < batch; r++) s += code.data[r * h + j]!;
    total += bernoulliKl(rho, s / batch);
  }
  return total;
}

/**
 * Contractive penalty per example, the squared Frobenius norm of the Jacobian ∂h/∂x of a sigmoid
 * layer `h = σ(xW + b)`: `Σ_j (h_j(1 − h_j))² Σ_i W_ij²`.
 * @param code `h` `[batch, H]`, values in [0, 1].
 * @param kernel `W` `[D, H]` (TensorFlow layout, as `encoder.code.kernel`).
 */
export function contractivePenalty(code: Tensor, kernel: Tensor): Float64Array {
  assertMatrix(code, 'code');
  assertInRange(code, 'code', 0, 1);
  const [batch, h] = code.shape as [number, number];
  assertMatrix(kernel, 'kernel', h);
  const d = kernel.shape[0]!;
  const colNorms = new Float64Array(h);
  for (let i = 0; i < d; i++) {
    for (let j = 0; j < h; j++) {
      const w = kernel.data[i * h + j]!;
      colNorms[j] = colNorms[j]! + w * w;
    }
  }
  const out = new Float64Array(batch);
  for (let r = 0; r < batch; r++) {
    let s = 0;
    for (let j = 0; j < h; j++) {
      const v = code.data[r * h + j]!;
      const g = v * (1 - v);
      s += g * g * colNorms[j]!;
    }
    out[r] = s;
  }
  return out;
}

function required(t: Tensor | undefined, name: string, kind: string): Tensor {
  if (t === undefined) throw new TypeError(`${name}: expected a tensor for kind ${kind}, got undefined`);
  return t;
}

function f64(t: Tensor): F64 {
  return { shape: t.shape, data: Float64Array.from(t.data) };
}

/**
 * The training objective of `spec`'s model on one batch, every term in nats per example
 * (summed over pixels and latent dims, averaged over the batch): the kind's own objective
 * (`modelKindInfo(kind).objective`, the one every training engine runs) evaluated in float64 on
 * the forward outputs given. `decoded` is the decoder output for z = μ + σ·ε (variational kinds;
 * give `eps` for kinds that read z itself, e.g. `beta-tcvae`) or for the code. `elbo` is
 * `−reconstruction − KL` for variational kinds.
 */
export function modelObjective(spec: ModelSpec, a: ObjectiveInputs): ObjectiveTerms {
  validateModelSpec(spec);
  const info = modelKindInfo(spec.kind);
  const d = inputSize(spec);
  assertMatrix(a.x, 'x', d);
  const batch = a.x.shape[0]!;
  if (batch === 0) throw new RangeError('x: expected at least one row, got 0');
  assertMatrix(a.decoded, 'decoded', d, batch);
  const heads: Record<string, F64> = {};
  for (const h of info.heads) {
    const t = required((a as unknown as Record<string, Tensor | undefined>)[h], h, spec.kind);
    assertMatrix(t, h, spec.latentDim, batch);
    heads[h] = f64(t);
  }
  const params: Record<string, F64> = {};
  const given: Record<string, Tensor | undefined> = { ...a.params };
  if (a.codeKernel) given['encoder.code.kernel'] = a.codeKernel;
  for (const name of info.objectiveParams ?? []) {
    const t = required(given[name], name, spec.kind);
    const shape = listParameters(spec).find((p) => p.name === name)?.shape;
    if (shape) assertMatrix(t, name, shape[1] ?? null, shape[0] ?? null);
    params[name] = f64(t);
  }
  if (info.needsEps) required(a.eps, 'eps', spec.kind);
  if (a.eps) assertMatrix(a.eps, 'eps', spec.latentDim, batch);
  const ops = float64ObjectiveOps((decoded, target) => {
    // Both are float64 copies of float32 tensors (x and the decoder output), so the round trip is exact.
    const f32 = (t: F64): Tensor => ({ data: Float32Array.from(t.data), shape: t.shape });
    const ll = logLikelihood(spec.likelihood, f32(target), f32(decoded), spec.gaussianSigma);
    return { shape: [ll.length], data: ll.map((v) => -v) };
  });
  const decoded = f64(a.decoded);
  const parts = info.objective(ops, {
    spec,
    x: f64(a.x),
    heads,
    decode: () => decoded,
    eps: a.eps ? f64(a.eps) : null,
    beta: ops.scalar(spec.beta),
    samples: 1,
    params,
  });
  const value = (t: F64) => t.data[0]!;
  const kl = parts.kl ? value(parts.kl) : null;
  const reconstruction = value(parts.reconstruction);
  return {
    loss: value(parts.loss),
    reconstruction,
    kl,
    regularizer: value(parts.regularizer),
    elbo: kl === null ? null : -reconstruction - kl,
  };
}
