/** Error statistics of one output of one runtime against the reference runtime. */
export interface ErrorStats {
  /** max |a − r| */
  readonly maxAbs: number;
  /** max |a − r| / max(|r|, floor) with floor = 1e-6 (so near-zero references do not explode). */
  readonly maxRel: number;
  readonly meanAbs: number;
  /** 99th percentile of |a − r|. */
  readonly p99Abs: number;
  /** Number of compared values. */
  readonly count: number;
  /** Number of non-finite values in the candidate where the reference is finite. */
  readonly nonFinite: number;
}

const REL_FLOOR = 1e-6;

/**
 * Compares `actual` with `reference` value by value. Lengths must match; a NaN or ±∞ in `actual`
 * counts as an infinite error (reported in `nonFinite` and in `maxAbs`).
 */
export function errorStats(actual: ArrayLike<number>, reference: ArrayLike<number>): ErrorStats {
  if (actual.length !== reference.length) {
    throw new RangeError(`actual: expected ${reference.length} values (as the reference), got ${actual.length}`);
  }
  const n = actual.length;
  const diffs = new Float64Array(n);
  let maxAbs = 0;
  let maxRel = 0;
  let sum = 0;
  let nonFinite = 0;
  for (let i = 0; i < n; i++) {
    const r = reference[i]!;
    const a = actual[i]!;
    let d = Math.abs(a - r);
    if (!Number.isFinite(d)) {
      if (Number.isFinite(r) || !Object.is(a, r)) nonFinite++;
      d = Number.isFinite(r) || !Object.is(a, r) ? Infinity : 0;
    }
    diffs[i] = d;
    sum += d;
    if (d > maxAbs) maxAbs = d;
    const rel = d / Math.max(Math.abs(r), REL_FLOOR);
    if (rel > maxRel) maxRel = rel;
  }
  diffs.sort();
  const p99 = n === 0 ? 0 : diffs[Math.min(n - 1, Math.ceil(0.99 * n) - 1)]!;
  return { maxAbs, maxRel, meanAbs: n ? sum / n : 0, p99Abs: p99, count: n, nonFinite };
}

/** An `allclose`-style tolerance: a value passes when |a − r| ≤ abs + rel·|r|. */
export interface Tolerance {
  readonly abs: number;
  readonly rel: number;
}

/** Number of values violating `tol`, and the index of the worst one (largest excess), or −1. */
export function violations(
  actual: ArrayLike<number>,
  reference: ArrayLike<number>,
  tol: Tolerance,
): { count: number; worst: number } {
  let count = 0;
  let worst = -1;
  let worstExcess = 0;
  for (let i = 0; i < reference.length; i++) {
    const r = reference[i]!;
    const d = Math.abs(actual[i]! - r);
    const excess = Number.isNaN(d) ? Infinity : d - (tol.abs + tol.rel * Math.abs(r));
    if (excess > 0) {
      count++;
      if (excess > worstExcess) {
        worstExcess = excess;
        worst = i;
      }
    }
  }
  return { count, worst };
}
