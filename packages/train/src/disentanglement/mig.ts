import { Rng, assertInteger } from '@vae/core';
import { codesChecked, type GroundTruthCodes } from './ground-truth.js';

/** disentanglement_lib's MIG settings (`mig.num_train`, `discretizer.num_bins`). */
export const MIG_DEFAULTS = Object.freeze({ samples: 10_000, bins: 20 });

/** Result of {@link mutualInformationGap}; information in nats. */
export interface MigResult {
  /** Mean over factors of (largest − second-largest MI with a code dimension) / H(factor). */
  readonly score: number;
  /** The normalised gap of each factor. */
  readonly perFactor: readonly number[];
  /** Mutual information `[L, K]` (code dimension × factor), row-major. */
  readonly mutualInformation: Float64Array;
  /** Entropy of each factor over the samples. */
  readonly factorEntropy: readonly number[];
  readonly samples: number;
  readonly bins: number;
}

/**
 * disentanglement_lib's `histogram_discretize`: each code dimension is cut into `bins` equal-width
 * bins between its minimum and maximum (`np.digitize` on `np.histogram`'s edges: the maximum falls
 * in the last bin; a constant dimension falls in one bin). Returns bin indices `[L][n]`.
 */
export function histogramDiscretize(codes: ArrayLike<number>, n: number, dim: number, bins: number): Uint16Array[] {
  const out: Uint16Array[] = [];
  for (let j = 0; j < dim; j++) {
    let lo = Infinity;
    let hi = -Infinity;
    for (let i = 0; i < n; i++) {
      const v = codes[i * dim + j]!;
      if (v < lo) lo = v;
      if (v > hi) hi = v;
    }
    const col = new Uint16Array(n);
    const width = (hi - lo) / bins;
    if (width > 0)
      for (let i = 0; i < n; i++) col[i] = Math.min(bins - 1, Math.floor((codes[i * dim + j]! - lo) / width));
    out.push(col);
  }
  return out;
}

/** Mutual information (nats) of two discrete variables from their joint counts (sklearn's `mutual_info_score`). */
export function discreteMutualInformation(a: ArrayLike<number>, na: number, b: ArrayLike<number>, nb: number): number {
  const n = a.length;
  const joint = new Float64Array(na * nb);
  const pa = new Float64Array(na);
  const pb = new Float64Array(nb);
  for (let i = 0; i < n; i++) {
    joint[a[i]! * nb + b[i]!]! += 1;
    pa[a[i]!]! += 1;
    pb[b[i]!]! += 1;
  }
  let mi = 0;
  for (let x = 0; x < na; x++) {
    for (let y = 0; y < nb; y++) {
      const c = joint[x * nb + y]!;
      if (c > 0) mi += (c / n) * Math.log((c * n) / (pa[x]! * pb[y]!));
    }
  }
  return Math.max(0, mi);
}

/**
 * The mutual information gap from given codes `[n, L]` and factor indices `[n, K]`
 * (Chen et al. 2018, as computed by disentanglement_lib: codes discretised by
 * {@link histogramDiscretize}, factors used as they are).
 */
export function migFromCodes(
  codes: ArrayLike<number>,
  factors: Uint8Array,
  n: number,
  latentDim: number,
  sizes: readonly number[],
  bins: number = MIG_DEFAULTS.bins,
): MigResult {
  assertInteger(latentDim, 'latentDim', 2);
  assertInteger(bins, 'bins', 2, 65_535);
  const k = sizes.length;
  if (codes.length !== n * latentDim)
    throw new RangeError(`codes: expected ${n} × ${latentDim} values, got ${codes.length}`);
  if (factors.length !== n * k) throw new RangeError(`factors: expected ${n} × ${k} values, got ${factors.length}`);
  const binned = histogramDiscretize(codes, n, latentDim, bins);
  const columns = sizes.map((_, f) => Uint8Array.from({ length: n }, (_, i) => factors[i * k + f]!));
  const mi = new Float64Array(latentDim * k);
  const factorEntropy: number[] = [];
  const perFactor: number[] = [];
  for (let f = 0; f < k; f++) {
    const y = columns[f]!;
    const h = discreteMutualInformation(y, sizes[f]!, y, sizes[f]!);
    factorEntropy.push(h);
    for (let j = 0; j < latentDim; j++) mi[j * k + f] = discreteMutualInformation(binned[j]!, bins, y, sizes[f]!);
    const sorted = Array.from({ length: latentDim }, (_, j) => mi[j * k + f]!).sort((p, q) => q - p);
    perFactor.push(h > 0 ? (sorted[0]! - sorted[1]!) / h : 0);
  }
  const score = perFactor.reduce((s, v) => s + v, 0) / k;
  return { score, perFactor, mutualInformation: mi, factorEntropy, samples: n, bins };
}

/** MIG of a representation: `samples` factor rows drawn from `Rng(seed)`, encoded, then {@link migFromCodes}. */
export async function mutualInformationGap(
  gt: GroundTruthCodes,
  o: { readonly samples?: number; readonly bins?: number; readonly seed?: number } = {},
): Promise<MigResult> {
  const samples = assertInteger(o.samples ?? MIG_DEFAULTS.samples, 'samples', 2);
  const rng = new Rng(o.seed ?? 0);
  const factors = gt.sample(samples, rng);
  const codes = await codesChecked(gt, factors, samples);
  return migFromCodes(codes, factors, samples, gt.latentDim, gt.sizes, o.bins ?? MIG_DEFAULTS.bins);
}
