import { describe, expect, it } from 'vitest';
import { fitPca, projectPca, Rng } from '../src/index.js';

/** Data with known axes: independent Gaussians with standard deviations `sd`, rotated by `basis` (orthonormal rows). */
function rotatedGaussian(rows: number, sd: number[], basis: number[][], seed: number): Float64Array {
  const rng = new Rng(seed);
  const dim = sd.length;
  const out = new Float64Array(rows * dim);
  for (let r = 0; r < rows; r++) {
    const z = sd.map((s) => s * rng.normal());
    for (let j = 0; j < dim; j++) {
      let v = 3;
      for (let a = 0; a < dim; a++) v += z[a]! * basis[a]![j]!;
      out[r * dim + j] = v;
    }
  }
  return out;
}

describe('fitPca', () => {
  const s = Math.SQRT1_2;
  const basis = [
    [s, s, 0],
    [0, 0, 1],
    [s, -s, 0],
  ];

  it('recovers known axes and variances, largest first', () => {
    const data = rotatedGaussian(20000, [3, 1, 0.2], basis, 7);
    const pca = fitPca(data, 20000, 3, 3);
    expect(pca.variances[0]).toBeCloseTo(9, 0);
    expect(pca.variances[1]).toBeCloseTo(1, 1);
    expect(pca.variances[2]).toBeCloseTo(0.04, 2);
    for (let c = 0; c < 3; c++) {
      const axis = Array.from(pca.components.subarray(c * 3, c * 3 + 3));
      const dot = axis.reduce((acc, x, j) => acc + x * basis[c]![j]!, 0);
      expect(Math.abs(dot)).toBeGreaterThan(0.999);
    }
    expect(pca.mean[0]).toBeCloseTo(3, 1);
    const sum = pca.variances.reduce((a, b) => a + b, 0);
    expect(pca.totalVariance).toBeCloseTo(sum, 8);
  });

  it('gives orthonormal axes with a fixed sign, deterministically', () => {
    const data = rotatedGaussian(
      500,
      [2, 1.5, 1, 0.5],
      [
        [1, 0, 0, 0],
        [0, 1, 0, 0],
        [0, 0, 1, 0],
        [0, 0, 0, 1],
      ],
      3,
    );
    const a = fitPca(data, 500, 4, 4);
    const b = fitPca(Float32Array.from(data), 500, 4, 4);
    for (let i = 0; i < 4; i++) {
      for (let j = 0; j < 4; j++) {
        let dot = 0;
        for (let d = 0; d < 4; d++) dot += a.components[i * 4 + d]! * a.components[j * 4 + d]!;
        expect(dot).toBeCloseTo(i === j ? 1 : 0, 10);
      }
      const axis = Array.from(a.components.subarray(i * 4, i * 4 + 4));
      const largest = axis.reduce((m, x) => (Math.abs(x) > Math.abs(m) ? x : m), 0);
      expect(largest).toBeGreaterThan(0);
    }
    expect(Array.from(fitPca(data, 500, 4, 4).components)).toEqual(Array.from(a.components));
    for (let i = 0; i < a.components.length; i++) expect(b.components[i]).toBeCloseTo(a.components[i]!, 5);
  });

  it('projects so that coordinates are centred, uncorrelated and carry the variances', () => {
    const rows = 4000;
    const data = rotatedGaussian(rows, [3, 1, 0.2], basis, 11);
    const pca = fitPca(data, rows, 3);
    expect(pca.k).toBe(2);
    const xy = projectPca(pca, data, rows);
    let mx = 0;
    let my = 0;
    for (let r = 0; r < rows; r++) {
      mx += xy[r * 2]!;
      my += xy[r * 2 + 1]!;
    }
    expect(Math.abs(mx / rows)).toBeLessThan(1e-4);
    expect(Math.abs(my / rows)).toBeLessThan(1e-4);
    let vx = 0;
    let cxy = 0;
    for (let r = 0; r < rows; r++) {
      vx += xy[r * 2]! ** 2;
      cxy += xy[r * 2]! * xy[r * 2 + 1]!;
    }
    expect(vx / rows).toBeCloseTo(pca.variances[0]!, 3);
    expect(Math.abs(cxy / rows)).toBeLessThan(1e-4);
  });

  it('handles constant data and a single row', () => {
    const pca = fitPca([1, 2, 1, 2], 2, 2);
    expect(Array.from(pca.variances)).toEqual([0, 0]);
    expect(Array.from(projectPca(pca, [1, 2], 1))).toEqual([0, 0]);
  });

  it('names the argument, the expected and the actual value on bad input', () => {
    expect(() => fitPca([1, 2, 3], 2, 2)).toThrow('data: expected rows × dim = 2 × 2 = 4 values, got 3');
    expect(() => fitPca([1, 2], 1, 2, 3)).toThrow('k: expected an integer in [1, 2], got 3');
    expect(() => fitPca([1, Number.NaN], 1, 2)).toThrow('data: expected finite values, got NaN at [0, 1]');
    expect(() => fitPca([], 0, 2)).toThrow('rows: expected an integer ≥ 1, got 0');
    const pca = fitPca([0, 1, 1, 0], 2, 2);
    expect(() => projectPca(pca, [1, 2, 3], 1)).toThrow('data: expected rows × dim = 1 × 2 = 2 values, got 3');
  });
});
