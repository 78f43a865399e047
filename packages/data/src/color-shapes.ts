import { Rng } from '@vae/core';
import type { FactorSet, ImageDataset } from './dataset.js';
import { checkFactorRow, gridCounts, gridDataset, sampleGridFactors, type GridDraw } from './factor-grid.js';
import type { ImageSplit } from './image-split.js';
import { SHAPES_FACTORS, SHAPES_SIZE, SHAPE_NAMES, renderShape } from './shapes.js';

/**
 * `color-shapes`: the `shapes` sprite grid in colour, 64×64×3, with two more ground-truth factors:
 * the object's hue and the background's hue (8 each, evenly spaced round the colour wheel). The
 * object is drawn at full saturation and value, the background at saturation 0.6 and value 0.35, so
 * an object stays visible on a background of its own hue. Generated deterministically like `shapes`.
 */

/** Hues per colour factor. */
export const COLOR_SHAPES_HUES = 8;

/** The factors, in the order of `FactorLabels.values`: the five of `shapes`, then objectHue, backgroundHue. */
export const COLOR_SHAPES_FACTORS = Object.freeze({
  names: Object.freeze([...SHAPES_FACTORS.names, 'objectHue', 'backgroundHue']),
  sizes: Object.freeze([...SHAPES_FACTORS.sizes, COLOR_SHAPES_HUES, COLOR_SHAPES_HUES]),
});

/** Number of distinct factor combinations (737,280 × 64). */
export const COLOR_SHAPES_GRID_SIZE = COLOR_SHAPES_FACTORS.sizes.reduce((a, b) => a * b, 1);

const NUM_FACTORS = COLOR_SHAPES_FACTORS.sizes.length;
const SHAPE_FACTORS = SHAPES_FACTORS.sizes.length;
const OBJECT = { saturation: 1, value: 1 };
const BACKGROUND = { saturation: 0.6, value: 0.35 };

/** RGB bytes of hue `h` in [0, 1) at saturation `s` and value `v` (the HSV cone). */
export function hsvToRgb(h: number, s: number, v: number): [number, number, number] {
  const f = (n: number): number => {
    const k = (n + h * 6) % 6;
    return Math.round(255 * (v - v * s * Math.max(0, Math.min(k, 4 - k, 1))));
  };
  return [f(5), f(3), f(1)];
}

/** Renders `count` colour sprites from `count × 7` factor rows into one `[count, 64·64·3]` byte array. */
export function renderColorShapes(factors: Uint8Array, count: number): Uint8Array {
  const px = SHAPES_SIZE * SHAPES_SIZE;
  const mask = new Uint8Array(px);
  const images = new Uint8Array(count * px * 3);
  for (let i = 0; i < count; i++) {
    const row = factors.subarray(i * NUM_FACTORS, (i + 1) * NUM_FACTORS);
    checkFactorRow(COLOR_SHAPES_FACTORS, row);
    renderShape(row.subarray(0, SHAPE_FACTORS), mask);
    const fg = hsvToRgb(row[SHAPE_FACTORS]! / COLOR_SHAPES_HUES, OBJECT.saturation, OBJECT.value);
    const bg = hsvToRgb(row[SHAPE_FACTORS + 1]! / COLOR_SHAPES_HUES, BACKGROUND.saturation, BACKGROUND.value);
    const base = i * px * 3;
    for (let p = 0; p < px; p++) {
      const c = mask[p] ? fg : bg;
      images[base + 3 * p] = c[0];
      images[base + 3 * p + 1] = c[1];
      images[base + 3 * p + 2] = c[2];
    }
  }
  return images;
}

/** The `color-shapes` factor grid as a {@link FactorSet}; the label is the shape. */
export const COLOR_SHAPES_FACTOR_SET: FactorSet = Object.freeze({
  ...COLOR_SHAPES_FACTORS,
  imageShape: Object.freeze([SHAPES_SIZE, SHAPES_SIZE, 3]) as readonly [number, number, number],
  sample: (count: number, rng: Rng) => sampleGridFactors(COLOR_SHAPES_FACTORS.sizes, count, rng),
  render: renderColorShapes,
  labelOf: (factors: Uint8Array, row: number) => factors[row * NUM_FACTORS]!,
});

/** `k` distinct integers in `[0, n)` in a seeded order (Floyd's sampling: no permutation of the whole grid). */
function distinctIndices(n: number, k: number, rng: Rng): Uint32Array {
  const chosen = new Set<number>();
  const out = new Uint32Array(k);
  for (let j = n - k, i = 0; j < n; j++, i++) {
    const t = Math.floor(rng.uniform() * (j + 1));
    const v = chosen.has(t) ? j : t;
    chosen.add(v);
    out[i] = v;
  }
  // Floyd's order is biased towards late picks for large j: shuffle so that train/test are exchangeable.
  const perm = rng.permutation(k);
  return Uint32Array.from(perm, (p) => out[p]!);
}

/** Options of {@link generateColorShapes}: training images (default 10,000: 123 MB of pixels), test images (default 1,000), which subset (seed, default 0). */
export type ColorShapesOptions = GridDraw;

/**
 * `train + test` distinct positions of the colour sprite grid chosen by a seeded draw (the first
 * `train` for training, the rest for testing). Labels are the shape; `factors` keeps all seven
 * factor indices of every image.
 */
export function generateColorShapes(o: ColorShapesOptions = {}): ImageDataset<ImageSplit> & { test: ImageSplit } {
  const { train, test, seed } = gridCounts(o, { train: 10_000, test: 1_000 }, COLOR_SHAPES_GRID_SIZE);
  const order = distinctIndices(COLOR_SHAPES_GRID_SIZE, train + test, new Rng(seed));
  const source = `generated colour sprite grid (seed ${seed}, ${train} train + ${test} test of ${COLOR_SHAPES_GRID_SIZE})`;
  return gridDataset('color-shapes', COLOR_SHAPES_FACTOR_SET, SHAPE_NAMES, order, train, source);
}
