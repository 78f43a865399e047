import { describe, expect, it } from 'vitest';
import {
  Rng,
  latentTraversal,
  lerp,
  normalQuantile,
  oneHot,
  reparameterize,
  samplePosterior,
  samplePrior,
  sampleStandardNormal,
  sigmoidTensor,
  slerp,
  tensor,
  type Tensor,
} from '../src/index.js';

function row(t: Tensor, r: number): number[] {
  const l = t.shape[1]!;
  return Array.from(t.data.subarray(r * l, (r + 1) * l));
}

function norm(v: number[]): number {
  return Math.sqrt(v.reduce((s, x) => s + x * x, 0));
}

describe('normal sampling and reparameterization', () => {
  it('sampleStandardNormal fills row-major from rng.normal()', () => {
    const t = sampleStandardNormal(new Rng(42), [2, 3]);
    expect(t.shape).toEqual([2, 3]);
    const ref = new Rng(42);
    expect(Array.from(t.data)).toEqual(Array.from({ length: 6 }, () => Math.fround(ref.normal())));
    expect(() => sampleStandardNormal(new Rng(1), [2, -1])).toThrow(/^shape\[1\]: expected an integer in \[0, /);
  });

  it('reparameterize computes μ + exp(½·clamp(logvar))·ε', () => {
    const mu = tensor([1, -2, 0, 3], [2, 2]);
    const lv = tensor([0, Math.log(4), -100, 100], [2, 2]);
    const eps = tensor([0.5, -1, 2, 1], [2, 2]);
    const z = reparameterize(mu, lv, eps);
    expect(z.shape).toEqual([2, 2]);
    expect(z.data[0]).toBeCloseTo(1.5, 6);
    expect(z.data[1]).toBeCloseTo(-4, 5);
    expect(z.data[2]).toBeCloseTo(2 * Math.exp(-15), 12);
    expect(z.data[3]).toBeCloseTo(3 + Math.exp(10), 1);
    expect(() => reparameterize(mu, lv, tensor([0, 0], [1, 2]))).toThrow(/^eps: expected shape \[2, 2\], got \[1, 2\]/);
    expect(() => reparameterize(mu, tensor([0, 0, Number.NaN, 0], [2, 2]), eps)).toThrow(
      /^logvar: expected finite values, got NaN at flat index 2/,
    );
  });

  it('samplePosterior returns the ε it used, and its moments match N(μ, σ²)', () => {
    const n = 20_000;
    const mu = tensor(
      new Float32Array(2 * n).map((_, i) => (i % 2 === 0 ? 1 : -3)),
      [n, 2],
    );
    const lv = tensor(
      new Float32Array(2 * n).map((_, i) => (i % 2 === 0 ? Math.log(0.25) : Math.log(4))),
      [n, 2],
    );
    const { z, eps } = samplePosterior(mu, lv, new Rng(5));
    expect(Array.from(eps.data.subarray(0, 10))).toEqual(Array.from(sampleStandardNormal(new Rng(5), [5, 2]).data));
    expect(Array.from(z.data)).toEqual(Array.from(reparameterize(mu, lv, eps).data));
    const stats = [0, 1].map((j) => {
      let s = 0;
      let s2 = 0;
      for (let r = 0; r < n; r++) {
        const v = z.data[r * 2 + j]!;
        s += v;
        s2 += v * v;
      }
      return { mean: s / n, variance: s2 / n - (s / n) ** 2 };
    });
    expect(stats[0]!.mean).toBeCloseTo(1, 1);
    expect(stats[0]!.variance).toBeCloseTo(0.25, 1);
    expect(stats[1]!.mean).toBeCloseTo(-3, 1);
    expect(Math.abs(stats[1]!.variance - 4)).toBeLessThan(0.2);
  });

  it('samplePrior: [n, L], scaled by temperature, deterministic per seed', () => {
    const a = samplePrior(new Rng(3), 4, 3);
    expect(a.shape).toEqual([4, 3]);
    expect(Array.from(samplePrior(new Rng(3), 4, 3).data)).toEqual(Array.from(a.data));
    const half = samplePrior(new Rng(3), 4, 3, 0.5);
    for (let i = 0; i < 12; i++) expect(half.data[i]).toBeCloseTo(a.data[i]! * 0.5, 6);
    expect(samplePrior(new Rng(3), 2, 2, 0).data.every((v) => v === 0)).toBe(true);
    expect(() => samplePrior(new Rng(3), 2, 0)).toThrow(/^latentDim: expected an integer in \[1, /);
    expect(() => samplePrior(new Rng(3), -1, 2)).toThrow(/^n: expected an integer/);
    expect(() => samplePrior(new Rng(3), 2, 2, -1)).toThrow(
      /^temperature: expected a finite number in \[0, Infinity\], got -1/,
    );
  });
});

describe('interpolation and traversal', () => {
  const z0 = tensor([1, 0, 0], [3]);
  const z1 = tensor([0, 1, 0], [1, 3]);

  it('lerp includes both endpoints and is linear', () => {
    const t = lerp(z0, z1, 5);
    expect(t.shape).toEqual([5, 3]);
    expect(row(t, 0)).toEqual([1, 0, 0]);
    expect(row(t, 4)).toEqual([0, 1, 0]);
    expect(row(t, 2)).toEqual([0.5, 0.5, 0]);
    expect(row(t, 1)).toEqual([0.75, 0.25, 0]);
    expect(() => lerp(z0, z1, 1)).toThrow(/^steps: expected an integer in \[2, /);
    expect(() => lerp(z0, tensor([0, 1], [2]), 3)).toThrow(/^z1: expected 3 latent values \(as z0\), got 2/);
    expect(() => lerp(tensor([0, 1, 2, 3], [2, 2]), z1, 3)).toThrow(
      /^z0: expected shape \[L\] or \[1, L\], got \[2, 2\]/,
    );
  });

  it('slerp keeps unit norm between unit vectors, hits the endpoints and the great-circle midpoint', () => {
    const t = slerp(z0, z1, 7);
    expect(t.shape).toEqual([7, 3]);
    for (let r = 0; r < 7; r++) expect(norm(row(t, r))).toBeCloseTo(1, 6);
    expect(row(t, 0)[0]).toBeCloseTo(1, 6);
    expect(row(t, 6)[1]).toBeCloseTo(1, 6);
    const mid = row(slerp(z0, z1, 3), 1);
    expect(mid[0]).toBeCloseTo(Math.SQRT1_2, 6);
    expect(mid[1]).toBeCloseTo(Math.SQRT1_2, 6);
    // Random unit vectors in 8 dims.
    const rng = new Rng(2);
    const unit = (): Tensor => {
      const v = Array.from({ length: 8 }, () => rng.normal());
      const n = norm(v);
      return tensor(
        v.map((x) => x / n),
        [8],
      );
    };
    const s = slerp(unit(), unit(), 11);
    for (let r = 0; r < 11; r++) expect(norm(row(s, r))).toBeCloseTo(1, 5);
    // lerp of the same endpoints shrinks towards the chord.
    expect(norm(row(lerp(z0, z1, 3), 1))).toBeCloseTo(Math.SQRT1_2, 6);
  });

  it('slerp falls back to lerp for parallel or zero endpoints', () => {
    const a = tensor([1, 2], [2]);
    const b = tensor([2, 4], [2]);
    expect(Array.from(slerp(a, b, 3).data)).toEqual(Array.from(lerp(a, b, 3).data));
    const zero = tensor([0, 0], [2]);
    expect(Array.from(slerp(zero, b, 3).data)).toEqual(Array.from(lerp(zero, b, 3).data));
  });

  it('latentTraversal: [dims·values, L], dims outer, values inner', () => {
    const base = tensor([0.5, -1, 2], [1, 3]);
    const t = latentTraversal(base, [0, 2], [-1, 0, 1]);
    expect(t.shape).toEqual([6, 3]);
    expect(row(t, 0)).toEqual([-1, -1, 2]);
    expect(row(t, 2)).toEqual([1, -1, 2]);
    expect(row(t, 3)).toEqual([0.5, -1, -1]);
    expect(row(t, 5)).toEqual([0.5, -1, 1]);
    expect(() => latentTraversal(base, [3], [0])).toThrow(/^dims\[0\]: expected an integer in \[0, 2\], got 3/);
    expect(() => latentTraversal(base, [0], [Number.NaN])).toThrow(/^values\[0\]: expected a finite number/);
    expect(() => latentTraversal(base, [], [0])).toThrow(/^dims: expected a non-empty array/);
  });
});

describe('oneHot and sigmoidTensor', () => {
  it('oneHot encodes integer labels', () => {
    const t = oneHot([2, 0, 1], 3);
    expect(t.shape).toEqual([3, 3]);
    expect(Array.from(t.data)).toEqual([0, 0, 1, 1, 0, 0, 0, 1, 0]);
    expect(oneHot(new Uint8Array([1]), 2).data[1]).toBe(1);
    expect(() => oneHot([3], 3)).toThrow(/^labels\[0\]: expected an integer in \[0, 2\], got 3/);
    expect(() => oneHot([0.5], 3)).toThrow(/^labels\[0\]:/);
    expect(() => oneHot([0], 0)).toThrow(/^numClasses: expected an integer in \[1, /);
  });

  it('sigmoidTensor is overflow-free at ±1e4', () => {
    const t = sigmoidTensor(tensor([0, 1e4, -1e4, 2], [2, 2]));
    expect(Array.from(t.data.subarray(0, 3))).toEqual([0.5, 1, 0]);
    expect(t.data[3]).toBeCloseTo(1 / (1 + Math.exp(-2)), 6);
    expect(t.shape).toEqual([2, 2]);
    expect(() => sigmoidTensor(tensor([Number.NaN], [1]))).toThrow(/^logits: expected finite values/);
  });
});

describe('normalQuantile', () => {
  it('matches tabulated quantiles of the standard normal, is odd around 1/2, and rejects p outside (0, 1)', () => {
    expect(normalQuantile(0.5)).toBeCloseTo(0, 12);
    expect(normalQuantile(0.975)).toBeCloseTo(1.959963985, 8);
    expect(normalQuantile(0.8413447461)).toBeCloseTo(1, 8);
    expect(normalQuantile(0.001)).toBeCloseTo(-3.090232306, 8);
    expect(normalQuantile(1e-9)).toBeCloseTo(-5.997807015, 6);
    for (const p of [0.01, 0.2, 0.45]) expect(normalQuantile(p)).toBeCloseTo(-normalQuantile(1 - p), 9);
    expect(() => normalQuantile(0)).toThrow(/p: expected a probability in \(0, 1\), got 0/);
    expect(() => normalQuantile(Number.NaN)).toThrow(/got NaN/);
  });
});
