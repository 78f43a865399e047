/**
 * How many factors σ(|ℓ|) ∈ [½, 1] one product takes when a graph sums log σ(|ℓ|) over `d` pixels as
 * the logarithms of products (one `Log` per group instead of per pixel, the costliest element-wise
 * kernel): the largest divisor of `d` that is ≤ `max`, so the pixels split into equal groups and each
 * product stays ≥ 2^−max (no underflow). 1 when `d` has no divisor in [2, max] (a prime above max).
 * The training objective and the scorer's MLP path use up to 16 factors, the scorer's general path 4.
 */
export function logGroup(d: number, max: number): number {
  if (!(Number.isInteger(d) && d >= 1)) throw new RangeError(`d: expected a positive integer, got ${d}`);
  for (let k = Math.min(max, d); k > 1; k--) if (d % k === 0) return k;
  return 1;
}
