import { describe, expect, it } from 'vitest';
import { PNG } from 'pngjs';
import { imageGrid } from '../src/index.js';
import { CLASS_COLOURS, formatTick, lineChart, scatter, sideBySide } from '../src/plots-impl.js';
import { barChart, errorBarChart } from '../src/plots-bars.js';
import { latentPlane } from '../src/latent/latent-views.js';
import { PngCanvas } from '../src/png-canvas.js';

function pixel(png: PNG, x: number, y: number): number[] {
  const o = (y * png.width + x) * 4;
  return Array.from(png.data.subarray(o, o + 4));
}

describe('PNG drawing', () => {
  it('draws pixels, lines and text into a decodable PNG', () => {
    const c = new PngCanvas(20, 10, [0, 0, 0]);
    c.line(0, 0, 19, 0, [255, 0, 0]);
    c.set(5, 5, [1, 2, 3]);
    c.text(10, 3, '1', [0, 255, 0]);
    const png = PNG.sync.read(Buffer.from(c.encode()));
    expect([png.width, png.height]).toEqual([20, 10]);
    expect(pixel(png, 19, 0)).toEqual([255, 0, 0, 255]);
    expect(pixel(png, 5, 5)).toEqual([1, 2, 3, 255]);
    expect(pixel(png, 11, 3)).toEqual([0, 255, 0, 255]);
    expect(pixel(png, 10, 3)).toEqual([0, 0, 0, 255]);
    expect(() => new PngCanvas(0, 3)).toThrow(/size: expected positive integer width and height, got 0×3/);
  });

  it('lays out image grids with scaled grey pixels', () => {
    const img = new Float32Array(2 * 4).fill(0);
    img[4 + 3] = 1;
    const png = PNG.sync.read(Buffer.from(imageGrid(img, 2, [2, 2, 1], 2, 3).encode()));
    expect([png.width, png.height]).toEqual([2 * (2 * 3 + 2) + 2, 2 * 3 + 4]);
    const ox = 2 + (2 * 3 + 2) + 3;
    expect(pixel(png, ox + 1, 2 + 4)).toEqual([255, 255, 255, 255]);
    expect(pixel(png, 3, 3)).toEqual([0, 0, 0, 255]);
  });

  it('formats ticks compactly and draws charts in the series colours', () => {
    expect(formatTick(123.456)).toBe('123');
    expect(formatTick(-12.34)).toBe('-12.3');
    expect(formatTick(0.5)).toBe('0.50');
    expect(formatTick(123456)).toBe('1.2e5');
    const chart = PNG.sync.read(
      Buffer.from(lineChart([{ name: 'a', x: [1, 2], y: [3, 1], colour: [10, 20, 30] }], 't').encode()),
    );
    const found = (png: PNG, c: readonly number[]) => {
      for (let i = 0; i < png.data.length; i += 4)
        if (png.data[i] === c[0] && png.data[i + 1] === c[1] && png.data[i + 2] === c[2]) return true;
      return false;
    };
    expect(found(chart, [10, 20, 30])).toBe(true);
    const sc = PNG.sync.read(Buffer.from(scatter(Float32Array.from([0, 0, 1, 1]), [3, 7], 's').encode()));
    expect(found(sc, CLASS_COLOURS[3]!)).toBe(true);
    expect(found(sc, CLASS_COLOURS[7]!)).toBe(true);
  });
});

function hasColour(png: PNG, c: readonly number[]): boolean {
  for (let i = 0; i < png.data.length; i += 4)
    if (png.data[i] === c[0] && png.data[i + 1] === c[1] && png.data[i + 2] === c[2]) return true;
  return false;
}

describe('latent-view charts', () => {
  it('bar chart marks highlighted bars blue and the others grey; error bars use the class colours', () => {
    const bars = PNG.sync.read(
      Buffer.from(barChart([0.5, 3, 0.01], [true, true, false], 'kl', ['active', 'off']).encode()),
    );
    expect(hasColour(bars, [31, 119, 180])).toBe(true);
    expect(hasColour(bars, [190, 190, 190])).toBe(true);
    const eb = PNG.sync.read(
      Buffer.from(
        errorBarChart(
          [
            { mean: [0, 1], sd: [1, 0.5] },
            { mean: [-1, 2], sd: [0.1, 0.1] },
          ],
          'mu',
        ).encode(),
      ),
    );
    expect(hasColour(eb, CLASS_COLOURS[0]!)).toBe(true);
    expect(hasColour(eb, CLASS_COLOURS[1]!)).toBe(true);
  });

  it('side by side copies each panel below its caption', () => {
    const a = new PngCanvas(10, 5, [255, 0, 0]);
    const b = new PngCanvas(7, 9, [0, 0, 255]);
    const out = PNG.sync.read(
      Buffer.from(
        sideBySide(
          [
            { canvas: a, caption: 'a' },
            { canvas: b, caption: 'b' },
          ],
          4,
        ).encode(),
      ),
    );
    expect([out.width, out.height]).toEqual([10 + 7 + 3 * 4, 9 + 20 + 4]);
    expect(pixel(out, 4, 20)).toEqual([255, 0, 0, 255]);
    expect(pixel(out, 4 + 10 + 4 + 6, 20 + 8)).toEqual([0, 0, 255, 255]);
  });

  it('latent plane: codes as they are for L = 2, the first two principal components otherwise', () => {
    const two = Float32Array.from([1, 2, 3, 4]);
    expect(latentPlane(two, 2, 2)).toMatchObject({ points: two, explained: 1 });
    // 3-D points on a line along (1, 1, 0): all variance on pc1.
    const line = Float32Array.from([0, 0, 5, 1, 1, 5, 2, 2, 5, 3, 3, 5]);
    const p = latentPlane(line, 4, 3);
    expect(p.explained).toBeCloseTo(1, 6);
    const pc1 = [0, 1, 2, 3].map((i) => p.points[2 * i]!);
    expect(pc1[3]! - pc1[0]!).toBeCloseTo(3 * Math.SQRT2, 5);
    for (let i = 0; i < 4; i++) expect(p.points[2 * i + 1]).toBeCloseTo(0, 5);
  });
});
