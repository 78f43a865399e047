/** Image splits as bytes, and the training/validation split (browser-safe: no Node built-ins). */

/**
 * Ground-truth generative factors of every image of a split (datasets generated from a factor grid,
 * e.g. `shapes`): what disentanglement metrics compare latent codes with.
 */
export interface FactorLabels {
  /** Factor names, e.g. `shape`, `scale`, `orientation`, `posX`, `posY`. */
  readonly names: readonly string[];
  /** Number of values of each factor (factor `f` takes the indices `0 … sizes[f] − 1`). */
  readonly sizes: readonly number[];
  /** Factor indices, row-major `[count, names.length]`. */
  readonly values: Uint8Array;
}

/** Images `[count, H·W·C]` as raw grey levels 0–255 (HWC order) and their labels. */
export interface ImageSplit {
  readonly images: Uint8Array;
  readonly labels: Uint8Array;
  readonly count: number;
  /** The factors each image was generated from, for datasets that have them (absent for MNIST and IDX files). */
  readonly factors?: FactorLabels;
}

/** Rows `[start, end)` of a split (factors included). */
export function sliceSplit(split: ImageSplit, pixels: number, start: number, end: number): ImageSplit {
  const f = split.factors;
  const width = f ? f.names.length : 0;
  return {
    images: split.images.subarray(start * pixels, end * pixels),
    labels: split.labels.subarray(start, end),
    count: end - start,
    ...(f ? { factors: { ...f, values: f.values.subarray(start * width, end * width) } } : {}),
  };
}

/** Training and validation parts of a training split: the validation set is its last `valSize` examples. */
export function splitValidation(
  split: ImageSplit,
  pixels: number,
  valSize: number,
): { train: ImageSplit; val: ImageSplit } {
  if (!Number.isInteger(valSize) || valSize < 1 || valSize >= split.count) {
    throw new RangeError(`valSize: expected an integer in [1, ${split.count - 1}], got ${String(valSize)}`);
  }
  const n = split.count - valSize;
  return { train: sliceSplit(split, pixels, 0, n), val: sliceSplit(split, pixels, n, split.count) };
}

/** The first `count` examples of `split` (all of it when `count` is null or not smaller). */
export function firstExamples(split: ImageSplit, pixels: number, count: number | null): ImageSplit {
  if (count === null || count >= split.count) return split;
  if (!Number.isInteger(count) || count < 1)
    throw new RangeError(`count: expected an integer ≥ 1 or null, got ${String(count)}`);
  return sliceSplit(split, pixels, 0, count);
}
