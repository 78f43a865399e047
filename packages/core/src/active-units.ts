import { assertFinite, assertNumber, assertShape, type Tensor } from './tensor.js';

/** Threshold of Var_x(μ_j) above which a latent unit counts as active (Burda et al. 2016). */
export const ACTIVE_UNIT_THRESHOLD = 0.01;

/**
 * Active latent units (Burda et al., 2016): dimension j is active when the variance over the data
 * set of the posterior mean, `Var_x(μ_j(x))`, exceeds `threshold` (default {@link ACTIVE_UNIT_THRESHOLD}). The variance is the
 * population variance (divided by N), computed in float64 with the two-pass formula.
 * @param mu posterior means `[N, L]` over the data set, N ≥ 1.
 */
export function activeUnits(mu: Tensor, threshold = ACTIVE_UNIT_THRESHOLD): { count: number; variances: Float64Array } {
  assertShape(mu, [null, null], 'mu');
  assertFinite(mu, 'mu');
  assertNumber(threshold, 'threshold', 0);
  const [n, l] = mu.shape as [number, number];
  if (n === 0) throw new RangeError('mu: expected at least one row, got 0');
  const means = new Float64Array(l);
  for (let r = 0; r < n; r++) for (let j = 0; j < l; j++) means[j] = means[j]! + mu.data[r * l + j]!;
  for (let j = 0; j < l; j++) means[j] = means[j]! / n;
  const variances = new Float64Array(l);
  for (let r = 0; r < n; r++) {
    for (let j = 0; j < l; j++) {
      const dv = mu.data[r * l + j]! - means[j]!;
      variances[j] = variances[j]! + dv * dv;
    }
  }
  let count = 0;
  for (let j = 0; j < l; j++) {
    variances[j] = variances[j]! / n;
    if (variances[j]! > threshold) count++;
  }
  return { count, variances };
}
