/** Image splits as bytes, and the training/validation split (browser-safe: no Node built-ins). */

/** Images `[count, H·W·C]` as raw grey levels 0–255 (HWC order) and their labels. */
export interface ImageSplit {
  readonly images: Uint8Array;
  readonly labels: Uint8Array;
  readonly count: number;
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
  return {
    train: { images: split.images.subarray(0, n * pixels), labels: split.labels.subarray(0, n), count: n },
    val: { images: split.images.subarray(n * pixels), labels: split.labels.subarray(n), count: valSize },
  };
}

/** The first `count` examples of `split` (all of it when `count` is null or not smaller). */
export function firstExamples(split: ImageSplit, pixels: number, count: number | null): ImageSplit {
  if (count === null || count >= split.count) return split;
  if (!Number.isInteger(count) || count < 1)
    throw new RangeError(`count: expected an integer ≥ 1 or null, got ${String(count)}`);
  return { images: split.images.subarray(0, count * pixels), labels: split.labels.subarray(0, count), count };
}
