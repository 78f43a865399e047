import { describe, expect, it } from 'vitest';
import { Rng } from '@vae/core';
import { pixelsToUnit } from '../src/unit-pixels.js';

describe('pixelsToUnit', () => {
  it('gives b / 255 exactly (as float32) for all 256 levels, in every position of a SIMD block', () => {
    const bytes = new Uint8Array(256 * 17);
    for (let i = 0; i < bytes.length; i++) bytes[i] = (i * 7 + (i >> 8)) & 255;
    const out = pixelsToUnit(bytes);
    for (let i = 0; i < bytes.length; i++) expect(out[i]).toBe(Math.fround(bytes[i]! / 255));
  });

  it('equals the training batches’ conversion over pieces and a tail that is no multiple of 16', () => {
    const n = 70_001;
    const bytes = new Uint8Array(n);
    const rng = new Rng(3);
    for (let i = 0; i < n; i++) bytes[i] = Math.floor(rng.uniform() * 256);
    const into = new Float32Array(n).fill(-1);
    expect(pixelsToUnit(bytes, into)).toBe(into);
    expect(into).toEqual(Float32Array.from(bytes, (b) => b / 255));
    expect(pixelsToUnit(bytes.subarray(0, 5))).toEqual(into.subarray(0, 5));
  });

  it('rejects an output of another length, naming it', () => {
    expect(() => pixelsToUnit(new Uint8Array(4), new Float32Array(3))).toThrow(
      /out: expected 4 values \(one per byte\), got 3/,
    );
  });
});
