import { describe, expect, it } from 'vitest';
import { PNG } from 'pngjs';
import { imageGrid } from '../src/index.js';
import { CLASS_COLOURS, formatTick, lineChart, scatter } from '../src/plots-impl.js';
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
