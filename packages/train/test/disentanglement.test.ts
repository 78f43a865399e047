import { describe, expect, it } from 'vitest';
import { Rng } from '@vae/core';
import {
  discreteMutualInformation,
  factorVaeScore,
  histogramDiscretize,
  migFromCodes,
  mutualInformationGap,
  type GroundTruthCodes,
} from '../src/index.js';
import { SHAPES_FACTORS } from '@vae/data';

/** Synthetic ground truth: factors uniform on `sizes`, codes = `map(factor row, noise rng)`. */
function synthetic(
  sizes: readonly number[],
  latentDim: number,
  map: (f: Uint8Array, out: Float32Array, noise: Rng) => void,
): GroundTruthCodes {
  const noise = new Rng(99);
  return {
    names: sizes.map((_, i) => `f${i}`),
    sizes,
    latentDim,
    sample(count, rng) {
      const out = new Uint8Array(count * sizes.length);
      for (let i = 0; i < out.length; i++) out[i] = rng.int(sizes[i % sizes.length]!);
      return out;
    },
    async codes(factors, count) {
      const out = new Float32Array(count * latentDim);
      const k = sizes.length;
      for (let i = 0; i < count; i++)
        map(factors.subarray(i * k, (i + 1) * k), out.subarray(i * latentDim, (i + 1) * latentDim), noise);
      return out;
    },
  };
}

const SMALL = [3, 6, 10, 12, 20];
const GRID = SHAPES_FACTORS.sizes;
const identity = (f: Uint8Array, out: Float32Array): void => out.set(f);
const randomCode = (_f: Uint8Array, out: Float32Array, noise: Rng): void => void noise.normals(out.length, out);
/** Each code dimension is its factor plus a little noise (continuous, so bin edges are never hit exactly). */
const noisy = (f: Uint8Array, out: Float32Array, noise: Rng): void => {
  for (let i = 0; i < f.length; i++) out[i] = f[i]! + 0.05 * noise.normal();
};
/**
 * {@link noisy}, then permuted and rescaled with signs and offsets. The scales keep every variance
 * above FactorVAE's 0.05 pruning threshold: that threshold is on raw variances, so shrinking a
 * dimension below it (scale 0.01 here) would drop it and change the FactorVAE score.
 */
const PERM = [3, 0, 4, 1, 2];
const SCALE = [2.5, -0.3, 7, -11, 0.1];
const permutedRescaled = (f: Uint8Array, out: Float32Array, noise: Rng): void => {
  const tmp = new Float32Array(f.length);
  noisy(f, tmp, noise);
  for (let i = 0; i < f.length; i++) out[PERM[i]!] = SCALE[i]! * tmp[i]! + 3 * i;
};

describe('MIG building blocks', () => {
  it('discretises like disentanglement_lib (equal-width bins, maximum in the last bin) and computes MI in nats', () => {
    const codes = Float32Array.from([0, 5, 2, 5, 4, 5, 10, 5]);
    const [col, constant] = histogramDiscretize(codes, 4, 2, 4);
    expect(Array.from(col!)).toEqual([0, 0, 1, 3]);
    expect(Array.from(constant!)).toEqual([0, 0, 0, 0]);
    const a = [0, 0, 1, 1];
    expect(discreteMutualInformation(a, 2, a, 2)).toBeCloseTo(Math.log(2), 12);
    expect(discreteMutualInformation(a, 2, [0, 1, 0, 1], 2)).toBeCloseTo(0, 12);
  });

  it('rejects mismatched inputs, naming the argument', () => {
    expect(() => migFromCodes([1, 2], Uint8Array.from([0, 1]), 2, 1, [2])).toThrow(
      /latentDim: expected .*≥ 2.*got 1|latentDim/,
    );
    expect(() => migFromCodes([1, 2, 3], Uint8Array.from([0, 1]), 2, 2, [2])).toThrow(
      /codes: expected 2 × 2 values, got 3/,
    );
  });
});

describe('MIG on synthetic codes with known answers (10k samples, 20 bins)', () => {
  it('code = factors ⇒ ≈ 1 when every factor has ≤ 20 values', async () => {
    const r = await mutualInformationGap(synthetic(SMALL, 5, identity));
    expect(r.samples).toBe(10_000);
    expect(r.score).toBeGreaterThan(0.97);
    expect(r.score).toBeLessThanOrEqual(1);
  });

  it("code = factors on dSprites' grid ⇒ ≈ 0.9: 20 bins cannot resolve 40 orientations or 32 positions", async () => {
    const r = await mutualInformationGap(synthetic(GRID, 5, identity));
    expect(r.perFactor[0]).toBeGreaterThan(0.98);
    expect(r.perFactor[1]).toBeGreaterThan(0.98);
    // 40 values in 20 bins: MI = log 20, H = log 40.
    expect(r.perFactor[2]).toBeCloseTo(Math.log(20) / Math.log(40), 1);
    expect(r.score).toBeGreaterThan(0.85);
    expect(r.score).toBeLessThan(0.95);
  });

  it('random code ⇒ ≈ 0', async () => {
    const r = await mutualInformationGap(synthetic(GRID, 10, randomCode));
    expect(r.score).toBeGreaterThanOrEqual(0);
    expect(r.score).toBeLessThan(0.02);
  });

  it('a permuted and rescaled code scores like the original', async () => {
    const a = await mutualInformationGap(synthetic(GRID, 5, noisy));
    const b = await mutualInformationGap(synthetic(GRID, 5, permutedRescaled));
    expect(a.score).toBeGreaterThan(0.8);
    expect(b.score).toBeCloseTo(a.score, 2);
  });

  it('an entangled code (two factors mixed in two dimensions) scores lower', async () => {
    const mixed = (f: Uint8Array, out: Float32Array, noise: Rng): void => {
      noisy(f, out, noise);
      const x = out[3]!;
      const y = out[4]!;
      out[3] = x + y;
      out[4] = x - y;
    };
    const a = await mutualInformationGap(synthetic(GRID, 5, noisy));
    const b = await mutualInformationGap(synthetic(GRID, 5, mixed));
    expect(b.perFactor[3]!).toBeLessThan(a.perFactor[3]! - 0.3);
    expect(b.perFactor[0]).toBeCloseTo(a.perFactor[0]!, 2);
  });
});

describe('FactorVAE metric on synthetic codes (10k train / 5k eval votes, batch 64)', () => {
  it('code = factors ⇒ 1', async () => {
    const r = await factorVaeScore(synthetic(GRID, 5, identity));
    expect(r.settings).toMatchObject({ trainVotes: 10_000, evalVotes: 5_000, batchSize: 64, pruneThreshold: 0.05 });
    expect(r.activeDims).toEqual([0, 1, 2, 3, 4]);
    expect(r.score).toBe(1);
    expect(r.trainAccuracy).toBe(1);
  });

  it('random code ⇒ about the chance level 1/K (the floor of this metric, not 0)', async () => {
    const r = await factorVaeScore(synthetic(GRID, 10, randomCode));
    expect(r.chance).toBe(0.2);
    expect(r.score).toBeGreaterThan(0.12);
    expect(r.score).toBeLessThan(0.3);
  });

  it('a permuted and rescaled code scores like the original', async () => {
    const a = await factorVaeScore(synthetic(GRID, 5, noisy));
    const b = await factorVaeScore(synthetic(GRID, 5, permutedRescaled));
    expect(a.score).toBeGreaterThan(0.99);
    expect(b.score).toBeCloseTo(a.score, 2);
  });

  it('drops dimensions with variance < 0.05, and scores 0 when none is left', async () => {
    const withDead = (f: Uint8Array, out: Float32Array, noise: Rng): void => {
      noisy(f, out, noise);
      out[5] = 0.1 * noise.normal();
    };
    const r = await factorVaeScore(synthetic(GRID, 6, withDead), { trainVotes: 500, evalVotes: 200 });
    expect(r.activeDims).toEqual([0, 1, 2, 3, 4]);
    expect(r.globalVariances[5]).toBeLessThan(0.05);
    expect(r.score).toBe(1);
    const dead = await factorVaeScore(
      synthetic(GRID, 3, (_f, out) => out.fill(1)),
      { trainVotes: 10, evalVotes: 10 },
    );
    expect(dead.activeDims).toEqual([]);
    expect(dead.score).toBe(0);
  });
});
