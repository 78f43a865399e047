import { describe, expect, it } from 'vitest';
import { directAddon, directBindingStatus } from '../src/index.js';

const status = directBindingStatus();

describe('the direct onnxruntime binding', () => {
  it('is built wherever CI runs (scripts/setup.sh builds it), and says why not elsewhere', () => {
    if (process.env.CI) expect(status).toMatchObject({ available: true });
    if (status.available) expect(status.version).toMatch(/^\d+\.\d+\.\d+/);
    expect(directAddon() !== null).toBe(status.available);
  });
});

describe.runIf(status.available)('its nonFinite kernel (the API input check on Node)', () => {
  const nonFinite = (x: Float32Array) => directAddon()!.nonFinite(x);
  const sizes = [1, 15, 1023, 1024, 1025, 3 * 1024 + 7, 200_704];

  it('is false for finite values, extremes included (max float, subnormals, −0)', () => {
    for (const n of sizes) {
      const d = new Float32Array(n).map(
        (_, i) => [3.4028234663852886e38, -3.4028234663852886e38, 1e-45, -0, 0.5][i % 5]!,
      );
      expect(nonFinite(d), `n=${n}`).toBe(false);
    }
    expect(nonFinite(new Float32Array(0))).toBe(false);
  });

  it('finds NaN, Infinity and −Infinity anywhere: first, last, piece boundaries', () => {
    for (const n of sizes) {
      for (const at of new Set([0, n - 1, n >> 1, 1023, 1024, 2047].filter((i) => i < n))) {
        for (const bad of [NaN, Infinity, -Infinity]) {
          const d = new Float32Array(n).fill(0.25);
          d[at] = bad;
          expect(nonFinite(d), `n=${n} at=${at} ${bad}`).toBe(true);
        }
      }
    }
  });

  it('reads only the view it is given, and names its argument when it is not a Float32Array', () => {
    const big = new Float32Array(5000).fill(1);
    big[5] = NaN;
    big[4990] = Infinity;
    expect(nonFinite(big.subarray(6, 4990))).toBe(false);
    expect(nonFinite(big.subarray(5, 4990))).toBe(true);
    expect(nonFinite(big.subarray(6, 4991))).toBe(true);
    expect(() => nonFinite(new Float64Array(4) as unknown as Float32Array)).toThrow(
      'nonFinite: x: expected a Float32Array',
    );
  });
});
