import { describe, expect, it } from 'vitest';
import { hasNonFinite, setNonFiniteScan } from '../src/finite-scan.js';

describe('hasNonFinite', () => {
  const sizes = [1, 15, 4095, 4096, 4097, 65536 + 16 * 3 + 5, 3 * 65536];
  it('is false for finite values, extremes included (max float, subnormals, −0)', () => {
    for (const n of sizes) {
      const d = new Float32Array(n).map(
        (_, i) => [3.4028234663852886e38, -3.4028234663852886e38, 1e-45, -0, 0.5][i % 5]!,
      );
      expect(hasNonFinite(d), `n=${n}`).toBe(false);
      // Finite values whose float32 sum overflows: the sum test's false alarm, settled per piece.
      expect(hasNonFinite(new Float32Array(n).fill(3e38)), `n=${n} all 3e38`).toBe(false);
    }
  });

  it('finds NaN, Infinity and −Infinity anywhere: first, last, piece boundaries, the unaligned tail', () => {
    for (const n of sizes) {
      for (const at of new Set(
        [0, n - 1, Math.floor(n / 2), 65535, 65536, n - (n % 16), n - (n % 16) - 1].filter((i) => i >= 0 && i < n),
      )) {
        for (const bad of [NaN, Infinity, -Infinity]) {
          const d = new Float32Array(n).fill(0.25);
          d[at] = bad;
          expect(hasNonFinite(d), `n=${n} at=${at} ${bad}`).toBe(true);
        }
      }
    }
  });

  it('reads only the view it is given (a subarray of a larger buffer)', () => {
    const big = new Float32Array(20000).fill(1);
    big[5] = NaN;
    big[19990] = Infinity;
    expect(hasNonFinite(big.subarray(6, 19990))).toBe(false);
    expect(hasNonFinite(big.subarray(5, 19990))).toBe(true);
    expect(hasNonFinite(big.subarray(6, 19991))).toBe(true);
  });
});

describe('setNonFiniteScan', () => {
  it('sends arrays of 256 values or more to the installed scan, and back to WebAssembly after null', () => {
    const seen: number[] = [];
    setNonFiniteScan((d) => {
      seen.push(d.length);
      return true;
    });
    try {
      expect(hasNonFinite(new Float32Array(256))).toBe(true);
      expect(hasNonFinite(new Float32Array(255))).toBe(false);
      expect(seen).toEqual([256]);
    } finally {
      setNonFiniteScan(null);
    }
    expect(hasNonFinite(new Float32Array(5000))).toBe(false);
    expect(seen).toEqual([256]);
  });
});
