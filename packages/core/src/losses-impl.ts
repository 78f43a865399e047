/**
 * Scalar maths behind the losses: numerically stable, float64, no validation (callers validate).
 */

/**
 * The interval log σ² is clamped to everywhere (reparameterization, KL, importance sampling):
 * `[-30, 20]`, i.e. σ between about 3.1e-7 and 2.2e4. Unbounded log-variances are a common source
 * of NaN during training; the exported encoders, the training engines and evaluation all clamp.
 */
export const LOGVAR_CLAMP = Object.freeze([-30, 20] as const);

/**
 * Clamp applied to the batch-mean activation ρ̂ in KL-sparsity, `[1e-7, 1 − 1e-7]`, so that
 * `log ρ̂` and `log(1 − ρ̂)` stay finite when a float32 sigmoid saturates to exactly 0 or 1.
 */
export const RHO_HAT_CLAMP = Object.freeze([1e-7, 1 - 1e-7] as const);

/** ½ log 2π. */
export const HALF_LOG_2PI = 0.5 * Math.log(2 * Math.PI);

/** `v` clamped to {@link LOGVAR_CLAMP} (NaN stays NaN). */
export function clampLogvar(v: number): number {
  if (v < LOGVAR_CLAMP[0]) return LOGVAR_CLAMP[0];
  if (v > LOGVAR_CLAMP[1]) return LOGVAR_CLAMP[1];
  return v;
}

/**
 * `log Σ exp(vᵢ)` with the maximum subtracted first, so it neither overflows nor underflows.
 * Empty input or all −∞ gives −∞; any +∞ gives +∞; any NaN gives NaN.
 */
export function logSumExp(values: ArrayLike<number>): number {
  let max = -Infinity;
  for (let i = 0; i < values.length; i++) {
    const v = values[i]!;
    if (Number.isNaN(v)) return NaN;
    if (v > max) max = v;
  }
  if (max === -Infinity || max === Infinity) return max;
  let sum = 0;
  for (let i = 0; i < values.length; i++) sum += Math.exp(values[i]! - max);
  return max + Math.log(sum);
}

/** `log(1 + eˣ)`, stable for any finite `x` (exact `x` for large `x`, `eˣ` for very negative `x`). */
export function softplus(x: number): number {
  return x > 0 ? x + Math.log1p(Math.exp(-x)) : Math.log1p(Math.exp(x));
}

/** `log σ(x) = −softplus(−x)`, stable for any finite `x`. */
export function logSigmoid(x: number): number {
  return -softplus(-x);
}

/** `σ(x) = 1 / (1 + e⁻ˣ)`, evaluated without overflowing `exp`. */
export function sigmoid(x: number): number {
  if (x >= 0) return 1 / (1 + Math.exp(-x));
  const e = Math.exp(x);
  return e / (1 + e);
}

/** Bernoulli log-likelihood of one pixel from its logit: `x·ℓ − softplus(ℓ)` (no Gaussian constant). */
export function bernoulliLogProb(x: number, logit: number): number {
  return x * logit - softplus(logit);
}

/** Gaussian log-density of one value: `−½((x−μ)/σ)² − log σ − ½ log 2π`. */
export function gaussianLogProb(x: number, mean: number, logSigma: number, invSigma: number): number {
  const r = (x - mean) * invSigma;
  return -0.5 * r * r - logSigma - HALF_LOG_2PI;
}

/** One latent dimension of KL(N(μ, e^{lv}) ‖ N(0, 1)) = ½(μ² + e^{lv} − 1 − lv), lv clamped. */
export function klStandardNormalTerm(mu: number, logvar: number): number {
  const lv = clampLogvar(logvar);
  return 0.5 * (mu * mu + Math.exp(lv) - 1 - lv);
}

/**
 * One dimension of KL(N(μ₁, e^{lv₁}) ‖ N(μ₂, e^{lv₂})) =
 * ½(lv₂ − lv₁ + (e^{lv₁} + (μ₁ − μ₂)²)·e^{−lv₂} − 1), log-variances clamped.
 */
export function klGaussianTerm(mu1: number, logvar1: number, mu2: number, logvar2: number): number {
  const lv1 = clampLogvar(logvar1);
  const lv2 = clampLogvar(logvar2);
  const d = mu1 - mu2;
  return 0.5 * (lv2 - lv1 + (Math.exp(lv1) + d * d) * Math.exp(-lv2) - 1);
}

/**
 * Bernoulli KL(ρ ‖ ρ̂) = ρ log(ρ/ρ̂) + (1 − ρ) log((1 − ρ)/(1 − ρ̂)), with ρ̂ clamped to
 * {@link RHO_HAT_CLAMP}.
 */
export function bernoulliKl(rho: number, rhoHat: number): number {
  const r = Math.min(Math.max(rhoHat, RHO_HAT_CLAMP[0]), RHO_HAT_CLAMP[1]);
  return rho * Math.log(rho / r) + (1 - rho) * Math.log((1 - rho) / (1 - r));
}
