import { describe, expect, it } from 'vitest';
import { centreCropBox, fitImages } from '../src/image-fit.js';

describe("the pages' image rule: short side resized to N, centre crop (the CLI's --image-size)", () => {
  it('crops the centre of the long side, in source pixels', () => {
    expect(centreCropBox(40, 30, 16, 16)).toEqual({ x: 5, y: 0, width: 30, height: 30 });
    expect(centreCropBox(30, 40, 16, 16)).toEqual({ x: 0, y: 5, width: 30, height: 30 });
    expect(centreCropBox(28, 28, 64, 64)).toEqual({ x: 0, y: 0, width: 28, height: 28 });
    // A non-square target covers the source: 64×32 from 100×100 keeps the middle 100×50.
    expect(centreCropBox(100, 100, 64, 32)).toEqual({ x: 0, y: 25, width: 100, height: 50 });
  });

  it('resamples rows to the target shape: the crop keeps the middle, grey becomes RGB, RGB becomes luminance', () => {
    // One 2×4 grey image: columns 0.1, 0.2, 0.8, 0.9; to 2×2 the centre crop keeps columns 1 and 2.
    const grey = { data: Float32Array.from([0.1, 0.2, 0.8, 0.9, 0.1, 0.2, 0.8, 0.9]), shape: [1, 8] };
    const rgb = fitImages(grey, [2, 4, 1], [2, 2, 3]);
    expect(rgb.shape).toEqual([1, 12]);
    expect(Array.from(rgb.data, (v) => Number(v.toFixed(5)))).toEqual([
      0.2, 0.2, 0.2, 0.8, 0.8, 0.8, 0.2, 0.2, 0.2, 0.8, 0.8, 0.8,
    ]);
    // A pure red 1×1 image to grey: its luminance.
    const red = fitImages({ data: Float32Array.from([1, 0, 0]), shape: [1, 3] }, [1, 1, 3], [1, 1, 1]);
    expect(red.data[0]).toBeCloseTo(0.299, 6);
    // Upsampling a 2×2 colour image to 4×4 keeps the corners and blends in between (HWC order).
    const small = { data: Float32Array.from([1, 0, 0, 0, 1, 0, 0, 0, 1, 1, 1, 1]), shape: [1, 12] };
    const big = fitImages(small, [2, 2, 3], [4, 4, 3]);
    expect(Array.from(big.data.subarray(0, 3))).toEqual([1, 0, 0]);
    expect(Array.from(big.data.subarray(45, 48))).toEqual([1, 1, 1]);
    expect(big.data[3]).toBeCloseTo(0.75, 6);
    expect(fitImages(small, [2, 2, 3], [2, 2, 3])).toBe(small);
    expect(() => fitImages(small, [2, 2, 1], [4, 4, 1])).toThrow('x: expected rows of 2×2×1 = 4 values, got 12');
  });
});
