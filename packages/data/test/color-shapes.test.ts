import { describe, expect, it } from 'vitest';
import { Rng } from '@vae/core';
import {
  COLOR_SHAPES_FACTORS,
  COLOR_SHAPES_FACTOR_SET,
  SHAPES_FACTOR_SET,
  datasetInfo,
  generateColorShapes,
  hsvToRgb,
  renderColorShapes,
  renderShapes,
} from '../src/index.js';

describe('color-shapes', () => {
  it('colours the shapes sprite: object pixels in the object hue, the rest in the background hue', () => {
    expect(hsvToRgb(0, 1, 1)).toEqual([255, 0, 0]);
    expect(hsvToRgb(1 / 3, 1, 1)).toEqual([0, 255, 0]);
    expect(hsvToRgb(0.5, 0.6, 0.35)).toEqual([36, 89, 89]);
    const row = Uint8Array.from([2, 5, 10, 16, 16, 0, 4]);
    const img = renderColorShapes(row, 1);
    const mask = renderShapes(row.subarray(0, 5), 1);
    const bg = hsvToRgb(4 / 8, 0.6, 0.35);
    let object = 0;
    let wrong = 0;
    for (let p = 0; p < 64 * 64; p++) {
      const want = mask[p] ? [255, 0, 0] : bg;
      if (want.some((v, c) => img[3 * p + c] !== v)) wrong++;
      if (mask[p]) object++;
    }
    expect(wrong).toBe(0);
    expect(object).toBeGreaterThan(50);
    expect(() => renderColorShapes(Uint8Array.from([0, 0, 0, 0, 0, 8, 0]), 1)).toThrow(
      /factors\[5\] \(objectHue\): expected an integer in \[0, 7\], got 8/,
    );
  });

  it('is deterministic per seed, with distinct grid points, shape labels and seven factors; registered with them', () => {
    const a = generateColorShapes({ train: 60, test: 20, seed: 3 });
    const b = generateColorShapes({ train: 60, test: 20, seed: 3 });
    expect(a.imageShape).toEqual([64, 64, 3]);
    expect(a.train.images).toEqual(b.train.images);
    expect(a.train.images.length).toBe(60 * 64 * 64 * 3);
    const k = COLOR_SHAPES_FACTORS.names.length;
    expect(k).toBe(7);
    const keys = new Set<string>();
    for (const split of [a.train, a.test])
      for (let i = 0; i < split.count; i++) {
        const f = split.factors!.values.subarray(i * k, (i + 1) * k);
        keys.add(f.join());
        expect(split.labels[i]).toBe(f[0]);
      }
    expect(keys.size).toBe(80);
    const info = datasetInfo('color-shapes');
    expect(info.factors).toBe(COLOR_SHAPES_FACTOR_SET);
    expect(info.channels).toBe(3);
    expect(datasetInfo('shapes').factors).toBe(SHAPES_FACTOR_SET);
    const sampled = COLOR_SHAPES_FACTOR_SET.sample(500, new Rng(1));
    const hues = new Set(Array.from({ length: 500 }, (_, i) => sampled[i * k + 6]));
    expect(hues.size).toBe(8);
  });
});
