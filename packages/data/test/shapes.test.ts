import { describe, expect, it } from 'vitest';
import { Rng } from '@vae/core';
import { inMemory, listDatasets, loadDataset, splitValidation } from '../src/index.js';
import {
  SHAPES_FACTORS,
  SHAPES_GRID_SIZE,
  generateShapes,
  renderShape,
  sampleShapesFactors,
  shapesFactorsAt,
} from '../src/shapes.js';

const PX = 64 * 64;

function render(f: number[]): Uint8Array {
  const out = new Uint8Array(PX);
  renderShape(f, out);
  return out;
}

function onPixels(img: Uint8Array): { count: number; cx: number; cy: number } {
  let count = 0;
  let sx = 0;
  let sy = 0;
  for (let i = 0; i < img.length; i++) {
    if (img[i] === 0) continue;
    expect(img[i]).toBe(255);
    count++;
    sx += i % 64;
    sy += Math.floor(i / 64);
  }
  return { count, cx: sx / count, cy: sy / count };
}

describe('shapes generator', () => {
  it("is dSprites' factor grid: 3 × 6 × 40 × 32 × 32 = 737,280 points, indexed row-major", () => {
    expect(SHAPES_FACTORS.names).toEqual(['shape', 'scale', 'orientation', 'posX', 'posY']);
    expect(SHAPES_FACTORS.sizes).toEqual([3, 6, 40, 32, 32]);
    expect(SHAPES_GRID_SIZE).toBe(737_280);
    expect(Array.from(shapesFactorsAt(0))).toEqual([0, 0, 0, 0, 0]);
    expect(Array.from(shapesFactorsAt(1))).toEqual([0, 0, 0, 0, 1]);
    expect(Array.from(shapesFactorsAt(32))).toEqual([0, 0, 0, 1, 0]);
    expect(Array.from(shapesFactorsAt(SHAPES_GRID_SIZE - 1))).toEqual([2, 5, 39, 31, 31]);
  });

  it('draws binary sprites whose area follows scale, centroid follows position, and shapes differ', () => {
    const small = onPixels(render([0, 0, 0, 16, 16]));
    const large = onPixels(render([0, 5, 0, 16, 16]));
    // Area grows with scale² (0.5 → 1): about 4×.
    expect(large.count / small.count).toBeGreaterThan(3.3);
    expect(large.count / small.count).toBeLessThan(4.7);
    const left = onPixels(render([1, 3, 0, 0, 31]));
    const right = onPixels(render([1, 3, 0, 31, 31]));
    expect(right.cx - left.cx).toBeCloseTo(40, 0);
    expect(left.cy).toBeCloseTo(right.cy, 5);
    expect(left.cy).toBeGreaterThan(48);
    const shapes = [0, 1, 2].map((s) => render([s, 5, 7, 16, 16]));
    expect(shapes[0]).not.toEqual(shapes[1]);
    expect(shapes[1]).not.toEqual(shapes[2]);
    // Orientation 0 and 39 are both 0 and 2π (dSprites' linspace), orientation 10 differs.
    expect(render([2, 5, 39, 10, 20])).toEqual(render([2, 5, 0, 10, 20]));
    expect(render([2, 5, 10, 10, 20])).not.toEqual(render([2, 5, 0, 10, 20]));
    // Every sprite stays inside the frame: the largest ones at the corners leave the border empty.
    for (const s of [0, 1, 2])
      for (const o of [0, 5, 10, 15, 25])
        for (const [x, y] of [
          [0, 0],
          [31, 31],
          [0, 31],
          [31, 0],
        ]) {
          const img = render([s, 5, o, x!, y!]);
          for (let i = 0; i < 64; i++)
            expect(img[i]! + img[63 * 64 + i]! + img[i * 64]! + img[i * 64 + 63]!, `${s},${o},${x},${y}`).toBe(0);
        }
  });

  it('rejects factor indices outside the grid, naming the factor', () => {
    expect(() => render([0, 6, 0, 0, 0])).toThrow(/factors\[1\] \(scale\): expected an integer in \[0, 5\], got 6/);
    expect(() => render([3, 0, 0, 0, 0])).toThrow(/factors\[0\] \(shape\): expected an integer in \[0, 2\], got 3/);
  });

  it('is deterministic per seed, picks distinct grid points, keeps factor labels, and other seeds give other subsets', () => {
    const a = generateShapes({ train: 300, test: 50, seed: 7 });
    const b = generateShapes({ train: 300, test: 50, seed: 7 });
    const c = generateShapes({ train: 300, test: 50, seed: 8 });
    expect(a.imageShape).toEqual([64, 64, 1]);
    expect(a.numClasses).toBe(3);
    expect(a.train.count).toBe(300);
    expect(a.test.count).toBe(50);
    expect(a.train.images).toEqual(b.train.images);
    expect(a.train.factors!.values).toEqual(b.train.factors!.values);
    expect(a.train.factors!.values).not.toEqual(c.train.factors!.values);
    const f = a.train.factors!;
    expect(f.names).toEqual(SHAPES_FACTORS.names);
    expect(f.values.length).toBe(300 * 5);
    const seen = new Set<string>();
    for (const split of [a.train, a.test]) {
      const v = split.factors!.values;
      for (let i = 0; i < split.count; i++) {
        const row = Array.from(v.subarray(i * 5, i * 5 + 5));
        seen.add(row.join());
        expect(split.labels[i]).toBe(row[0]);
        expect(split.images.subarray(i * PX, (i + 1) * PX)).toEqual(render(row));
      }
    }
    expect(seen.size).toBe(350);
    expect(() => generateShapes({ train: SHAPES_GRID_SIZE, test: 1 })).toThrow(
      /train \+ test: expected at most the grid size 737280, got 737280 \+ 1 = 737281/,
    );
  });

  it('samples factors uniformly per factor', () => {
    const v = sampleShapesFactors(20_000, new Rng(3));
    for (let k = 0; k < 5; k++) {
      const n = SHAPES_FACTORS.sizes[k]!;
      const counts = new Array<number>(n).fill(0);
      for (let i = 0; i < 20_000; i++) counts[v[i * 5 + k]!]!++;
      for (const c of counts) expect(Math.abs(c - 20_000 / n)).toBeLessThan(6 * Math.sqrt(20_000 / n));
    }
  });

  it('is registered as `shapes` with factors kept through the validation split', async () => {
    expect(listDatasets().map((d) => d.name)).toContain('shapes');
    const data = await loadDataset('shapes');
    expect(data.train.count).toBe(20_000);
    expect(data.test!.count).toBe(2_000);
    const { train, val } = splitValidation(inMemory(data.train), PX, 1000);
    expect(val.factors!.values.length).toBe(1000 * 5);
    expect(Array.from(val.factors!.values.subarray(0, 5))).toEqual(
      Array.from(inMemory(data.train).factors!.values.subarray(19_000 * 5, 19_000 * 5 + 5)),
    );
    expect(train.factors!.values.length).toBe(19_000 * 5);
  });
});
