import { describe, expect, it } from 'vitest';
import {
  assertFinite,
  assertInteger,
  assertShape,
  concatRows,
  sizeOf,
  sliceRows,
  tensor,
  zeros,
} from '../src/index.js';

describe('tensor helpers', () => {
  it('builds, slices and concatenates row-major tensors', () => {
    const t = tensor([1, 2, 3, 4, 5, 6], [3, 2]);
    expect(t.data).toBeInstanceOf(Float32Array);
    expect(sizeOf([3, 2])).toBe(6);
    expect(sizeOf([])).toBe(1);
    const s = sliceRows(t, 1, 3);
    expect(s.shape).toEqual([2, 2]);
    expect(Array.from(s.data)).toEqual([3, 4, 5, 6]);
    const c = concatRows([s, tensor([7, 8], [1, 2])]);
    expect(c.shape).toEqual([3, 2]);
    expect(Array.from(c.data)).toEqual([3, 4, 5, 6, 7, 8]);
    expect(Array.from(zeros([2, 2]).data)).toEqual([0, 0, 0, 0]);
  });

  it('validation errors name the argument, the expected and the actual value', () => {
    expect(() => tensor([1, 2, 3], [2, 2], 'x')).toThrow(/^x: expected 4 values for shape \[2, 2\], got 3/);
    expect(() => tensor([], [-1], 'x')).toThrow(/^x: shape must hold non-negative integers, got \[-1\]/);
    expect(() => assertShape(tensor([1, 2], [1, 2]), [null, 3], 'mu')).toThrow(
      /^mu: expected shape \[batch, 3\], got \[1, 2\]/,
    );
    expect(() => assertFinite(tensor([0, Infinity], [2]), 'z')).toThrow(
      /^z: expected finite values, got Infinity at flat index 1/,
    );
    expect(() => assertInteger(-1, 'samples', 1)).toThrow(/^samples: expected an integer in \[1, \d+\], got -1/);
    expect(() => concatRows([tensor([1, 2], [1, 2]), tensor([1], [1, 1])])).toThrow(
      /^parts\[1\]: expected shape \[batch, 2\], got \[1, 1\]/,
    );
    expect(() => concatRows([])).toThrow(/^parts: expected at least one tensor, got 0/);
  });
});
