import { Rng } from '@vae/core';
import type { FactorSet, ImageDataset } from './dataset.js';
import {
  checkFactorRow,
  gridCounts,
  gridDataset,
  gridFactorsAt,
  sampleGridFactors,
  type GridDraw,
} from './factor-grid.js';
import type { FactorLabels, ImageSplit } from './image-split.js';

/**
 * A dSprites-like ground-truth-factor dataset (Matthey et al. 2017), generated deterministically in
 * TypeScript: binary 64×64 sprites on dSprites' factor grid, 3 shapes (square, ellipse, heart) ×
 * 6 scales (linspace(0.5, 1, 6)) × 40 orientations (linspace(0, 2π, 40), so orientations 0 and 39
 * coincide as in dSprites) × 32 × 32 positions (linspace(0, 1, 32) each). The drawing is ours
 * (pixel-centre rasterisation of analytic shapes), not a copy of dSprites' pixels.
 */

/** Side of a sprite image in pixels. */
export const SHAPES_SIZE = 64;

/** The factors of the grid, in the order of {@link FactorLabels.values}. */
export const SHAPES_FACTORS: Pick<FactorLabels, 'names' | 'sizes'> = Object.freeze({
  names: Object.freeze(['shape', 'scale', 'orientation', 'posX', 'posY']),
  sizes: Object.freeze([3, 6, 40, 32, 32]),
});

/** Number of distinct factor combinations (737,280). */
export const SHAPES_GRID_SIZE = SHAPES_FACTORS.sizes.reduce((a, b) => a * b, 1);

/** Shape names of factor 0, in index order. */
export const SHAPE_NAMES = Object.freeze(['square', 'ellipse', 'heart']);

/** Pixel radius of a sprite at scale 1 (a scale-1 sprite reaches at most ≈ 1.15 of it from its centre). */
const RADIUS = 10;
/** Sprite centres run over [MARGIN, SIZE − MARGIN] so that every sprite stays inside the image. */
const MARGIN = 12;
const NUM_FACTORS = SHAPES_FACTORS.sizes.length;

function inside(shape: number, u: number, v: number): boolean {
  if (shape === 0) return Math.abs(u) <= 0.8 && Math.abs(v) <= 0.8;
  if (shape === 1) return u * u + 4 * v * v <= 1;
  // Heart: (x² + y² − 1)³ − x²y³ ≤ 0, y up, scaled to a reach of ≈ 1.1.
  const x = 1.2 * u;
  const y = -1.2 * v + 0.15;
  const a = x * x + y * y - 1;
  return a * a * a - x * x * y * y * y <= 0;
}

/**
 * Draws the sprite with factor indices `f` (shape, scale, orientation, posX, posY) into
 * `out[offset … offset + 4096)` as 0/255 bytes (the rest of that range is cleared).
 */
export function renderShape(f: ArrayLike<number>, out: Uint8Array, offset = 0): void {
  checkFactorRow(SHAPES_FACTORS, f);
  const size = SHAPES_SIZE;
  out.fill(0, offset, offset + size * size);
  const shape = f[0]!;
  const r = RADIUS * (0.5 + 0.1 * f[1]!);
  const theta = (2 * Math.PI * f[2]!) / 39;
  const cos = Math.cos(theta);
  const sin = Math.sin(theta);
  const span = size - 2 * MARGIN;
  const cx = MARGIN + (span * f[3]!) / 31;
  const cy = MARGIN + (span * f[4]!) / 31;
  const reach = Math.ceil(1.2 * r) + 1;
  const x0 = Math.max(0, Math.floor(cx - reach));
  const x1 = Math.min(size - 1, Math.ceil(cx + reach));
  const y0 = Math.max(0, Math.floor(cy - reach));
  const y1 = Math.min(size - 1, Math.ceil(cy + reach));
  for (let py = y0; py <= y1; py++) {
    const dy = py + 0.5 - cy;
    for (let px = x0; px <= x1; px++) {
      const dx = px + 0.5 - cx;
      const u = (cos * dx + sin * dy) / r;
      const v = (-sin * dx + cos * dy) / r;
      if (inside(shape, u, v)) out[offset + py * size + px] = 255;
    }
  }
}

/** Factor indices of grid position `index` (row-major over {@link SHAPES_FACTORS}`.sizes`, posY fastest). */
export function shapesFactorsAt(index: number, out: Uint8Array = new Uint8Array(NUM_FACTORS), offset = 0): Uint8Array {
  return gridFactorsAt(SHAPES_FACTORS.sizes, index, out, offset);
}

/** `count` factor rows drawn independently and uniformly per factor (with replacement), as disentanglement_lib samples. */
export function sampleShapesFactors(count: number, rng: Rng): Uint8Array {
  return sampleGridFactors(SHAPES_FACTORS.sizes, count, rng);
}

/** Renders `count` sprites from `count × 5` factor rows into one `[count, 4096]` byte array. */
export function renderShapes(factors: Uint8Array, count: number): Uint8Array {
  const px = SHAPES_SIZE * SHAPES_SIZE;
  const images = new Uint8Array(count * px);
  for (let i = 0; i < count; i++) renderShape(factors.subarray(i * NUM_FACTORS, (i + 1) * NUM_FACTORS), images, i * px);
  return images;
}

/** Options of {@link generateShapes}: training images (default 20,000), test images (default 2,000), which subset of the grid (seed, default 0). */
export type ShapesOptions = GridDraw;

/**
 * A subset of the sprite grid: `train + test` distinct grid positions chosen by a seeded permutation
 * (the first `train` for training, the next `test` for testing, so the two never overlap). Labels are
 * the shape (3 classes); `factors` keeps all five factor indices of every image.
 */
export function generateShapes(o: ShapesOptions = {}): ImageDataset<ImageSplit> & { test: ImageSplit } {
  const { train, test, seed } = gridCounts(o, { train: 20_000, test: 2_000 }, SHAPES_GRID_SIZE);
  const order = new Rng(seed).permutation(SHAPES_GRID_SIZE).subarray(0, train + test);
  const source = `generated sprite grid (seed ${seed}, ${train} train + ${test} test of ${SHAPES_GRID_SIZE})`;
  return gridDataset('shapes', SHAPES_FACTOR_SET, SHAPE_NAMES, order, train, source);
}

/** The `shapes` factor grid as a {@link FactorSet} (sampled and rendered by the disentanglement metrics). */
export const SHAPES_FACTOR_SET: FactorSet = Object.freeze({
  ...SHAPES_FACTORS,
  imageShape: Object.freeze([SHAPES_SIZE, SHAPES_SIZE, 1]) as readonly [number, number, number],
  sample: sampleShapesFactors,
  render: renderShapes,
  labelOf: (factors: Uint8Array, row: number) => factors[row * NUM_FACTORS]!,
});
