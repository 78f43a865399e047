import { assertInteger, type Rng } from '@vae/core';
import type { FactorSet, ImageDataset } from './dataset.js';
import type { ImageSplit } from './image-split.js';

/** Factor indices of grid position `index` (row-major over `sizes`, the last factor fastest). */
export function gridFactorsAt(
  sizes: readonly number[],
  index: number,
  out: Uint8Array = new Uint8Array(sizes.length),
  offset = 0,
): Uint8Array {
  let rest = index;
  for (let k = sizes.length - 1; k >= 0; k--) {
    const n = sizes[k]!;
    out[offset + k] = rest % n;
    rest = Math.floor(rest / n);
  }
  return out;
}

/** `count` factor rows drawn independently and uniformly per factor (with replacement), as disentanglement_lib samples. */
export function sampleGridFactors(sizes: readonly number[], count: number, rng: Rng): Uint8Array {
  const k = sizes.length;
  const out = new Uint8Array(count * k);
  for (let i = 0; i < count; i++) for (let f = 0; f < k; f++) out[i * k + f] = rng.int(sizes[f]!);
  return out;
}

/** Throws a RangeError naming the factor when a row holds an index outside its range. */
export function checkFactorRow(set: Pick<FactorSet, 'names' | 'sizes'>, f: ArrayLike<number>): void {
  for (let k = 0; k < set.sizes.length; k++) {
    const v = f[k]!;
    if (!Number.isInteger(v) || v < 0 || v >= set.sizes[k]!)
      throw new RangeError(
        `factors[${k}] (${set.names[k]}): expected an integer in [0, ${set.sizes[k]! - 1}], got ${v}`,
      );
  }
}

/** The split of grid positions `indices`: rendered images, labels from the set's label factor, all factor indices. */
export function gridSplit(set: FactorSet, indices: ArrayLike<number>): ImageSplit {
  const count = indices.length;
  const k = set.sizes.length;
  const values = new Uint8Array(count * k);
  for (let i = 0; i < count; i++) gridFactorsAt(set.sizes, indices[i]!, values, i * k);
  const labels = new Uint8Array(count);
  for (let i = 0; i < count; i++) labels[i] = set.labelOf(values, i);
  return { images: set.render(values, count), labels, count, factors: { names: set.names, sizes: set.sizes, values } };
}

/** How many images a generated set draws from its grid, and with which seed. */
export interface GridDraw {
  readonly train?: number;
  readonly test?: number;
  readonly seed?: number;
}

/** `train`, `test` and `seed` of `o` with defaults, checked against the grid's size. */
export function gridCounts(
  o: GridDraw,
  defaults: { train: number; test: number },
  gridSize: number,
): { train: number; test: number; seed: number } {
  const train = assertInteger(o.train ?? defaults.train, 'train', 1);
  const test = assertInteger(o.test ?? defaults.test, 'test', 1);
  if (train + test > gridSize)
    throw new RangeError(
      `train + test: expected at most the grid size ${gridSize}, got ${train} + ${test} = ${train + test}`,
    );
  return { train, test, seed: o.seed ?? 0 };
}

/** A generated dataset of the grid positions `order` (the first `train` for training, the rest for testing). */
export function gridDataset(
  name: string,
  set: FactorSet,
  classNames: readonly string[],
  order: Uint32Array,
  train: number,
  source: string,
): ImageDataset<ImageSplit> & { test: ImageSplit } {
  return {
    name,
    imageShape: [set.imageShape[0], set.imageShape[1], set.imageShape[2]],
    numClasses: classNames.length,
    classNames,
    train: gridSplit(set, order.subarray(0, train)),
    test: gridSplit(set, order.subarray(train)),
    source,
  };
}
