import { describe, expect, it } from 'vitest';
import { Rng } from '../src/index.js';
import { binarizeKernel } from '../src/binarize-wasm.js';
import { polarKernel } from '../src/normals-wasm.js';
import { portableLog } from '../src/math-impl.js';

const M32 = (1n << 32n) - 1n;

/** Independent BigInt implementation of the seeding (splitmix32) and of xoshiro128**. */
class ReferenceXoshiro {
  private s: [bigint, bigint, bigint, bigint];
  constructor(seed: number) {
    let a = BigInt(seed >>> 0) ^ BigInt(Math.floor(seed / 4294967296) >>> 0);
    const next = (): bigint => {
      a = (a + 0x9e3779b9n) & M32;
      let z = a;
      z = ((z ^ (z >> 16n)) * 0x85ebca6bn) & M32;
      z = ((z ^ (z >> 13n)) * 0xc2b2ae35n) & M32;
      return (z ^ (z >> 16n)) & M32;
    };
    this.s = [next(), next(), next(), next()];
  }
  private static rotl(x: bigint, k: bigint): bigint {
    return ((x << k) | (x >> (32n - k))) & M32;
  }
  next(): bigint {
    const [s0, s1, s2, s3] = this.s;
    const result = (ReferenceXoshiro.rotl((s1 * 5n) & M32, 7n) * 9n) & M32;
    const t = (s1 << 9n) & M32;
    const n2 = s2 ^ s0;
    const n3 = s3 ^ s1;
    const n1 = s1 ^ n2;
    const n0 = s0 ^ n3;
    this.s = [n0, n1, n2 ^ t, ReferenceXoshiro.rotl(n3, 11n)];
    return result;
  }
  uniform(): number {
    const a = this.next() >> 5n;
    const b = this.next() >> 6n;
    return Number((a << 26n) | b) / 2 ** 53;
  }
}

describe('Rng golden values', () => {
  it('pins the first uint32, uniform and normal values of new Rng(42)', () => {
    const r = new Rng(42);
    expect(Array.from({ length: 6 }, () => r.nextUint32())).toEqual([
      2837322924, 544945897, 479756282, 3500138142, 339756180, 113173290,
    ]);
    const u = new Rng(42);
    expect(Array.from({ length: 4 }, () => u.uniform())).toEqual([
      0.6606157208001621, 0.1117019639532224, 0.0791056456144914, 0.015209237180418,
    ]);
    const n = new Rng(42);
    expect(Array.from({ length: 5 }, () => n.normal())).toEqual([
      0.31875784963858494, -0.7706160167419408, 0.15178267621950975, -0.12624145471928355, -0.3257678439811117,
    ]);
    expect(Array.from(new Rng(7).permutation(10))).toEqual([3, 9, 6, 5, 4, 7, 2, 1, 8, 0]);
  });

  it('matches an independent BigInt xoshiro128** for several seeds, incl. negative and > 2^32', () => {
    for (const seed of [0, 1, 42, -1, -123456789, 2 ** 32 + 5, 2 ** 40 + 17, Number.MAX_SAFE_INTEGER]) {
      const rng = new Rng(seed);
      const ref = new ReferenceXoshiro(seed);
      for (let i = 0; i < 1000; i++) expect(rng.nextUint32()).toBe(Number(ref.next()));
      const rng2 = new Rng(seed);
      const ref2 = new ReferenceXoshiro(seed);
      for (let i = 0; i < 200; i++) expect(rng2.uniform()).toBe(ref2.uniform());
    }
  });

  it('normal() is the polar method over the reference uniforms', () => {
    const rng = new Rng(9);
    const ref = new ReferenceXoshiro(9);
    for (let i = 0; i < 500; i++) {
      let u = 0;
      let v = 0;
      let s = 0;
      do {
        u = 2 * ref.uniform() - 1;
        v = 2 * ref.uniform() - 1;
        s = u * u + v * v;
      } while (!(s > 0 && s < 1));
      const f = Math.sqrt((-2 * Math.log(s)) / s);
      expect(rng.normal()).toBe(u * f);
      expect(rng.normal()).toBe(v * f);
    }
  });

  it('normal() has mean ≈ 0 and variance ≈ 1', () => {
    const rng = new Rng(3);
    const n = 100_000;
    let s = 0;
    let s2 = 0;
    for (let i = 0; i < n; i++) {
      const v = rng.normal();
      s += v;
      s2 += v * v;
    }
    expect(Math.abs(s / n)).toBeLessThan(4 / Math.sqrt(n));
    expect(Math.abs(s2 / n - 1)).toBeLessThan(4 * Math.sqrt(2 / n));
  });
});

describe('Rng state, int, permutation, fork', () => {
  it('round-trips its state through JSON, including the cached normal', () => {
    const a = new Rng(11);
    a.normal();
    const state = JSON.parse(JSON.stringify(a.getState()));
    expect(state.spare).not.toBeNull();
    const b = Rng.fromState(state);
    for (let i = 0; i < 50; i++) expect(b.normal()).toBe(a.normal());
    for (let i = 0; i < 50; i++) expect(b.nextUint32()).toBe(a.nextUint32());
  });

  it('rejects bad seeds and states, naming the argument', () => {
    expect(() => new Rng(1.5)).toThrow(/^seed: expected an integer, got 1.5/);
    expect(() => new Rng(Number.NaN)).toThrow(/seed/);
    expect(() => new Rng('1' as unknown as number)).toThrow(/seed/);
    expect(() => Rng.fromState({ s: [1, 2, 3] as unknown as [number, number, number, number], spare: null })).toThrow(
      /^state: expected/,
    );
    expect(() => Rng.fromState({ s: [1, 2, 3, -1], spare: null })).toThrow(/state/);
  });

  it('int(n) stays in range, is roughly uniform and validates n', () => {
    const rng = new Rng(5);
    const counts = new Array<number>(7).fill(0);
    for (let i = 0; i < 70_000; i++) counts[rng.int(7)]!++;
    for (const c of counts) expect(Math.abs(c - 10_000)).toBeLessThan(500);
    expect(() => rng.int(0)).toThrow(/^n: expected an integer in \[1, 2\^32\], got 0/);
    expect(() => rng.int(2.5)).toThrow(/n:/);
  });

  it('permutation(n) is a permutation and differs between seeds', () => {
    for (const n of [0, 1, 2, 17, 1000]) {
      const p = new Rng(n + 1).permutation(n);
      expect(p.length).toBe(n);
      expect(Array.from(p).sort((a, b) => a - b)).toEqual(Array.from({ length: n }, (_, i) => i));
    }
    expect(Array.from(new Rng(1).permutation(50))).not.toEqual(Array.from(new Rng(2).permutation(50)));
  });

  it('fork() gives a generator independent of the parent stream', () => {
    const parent = new Rng(8);
    const child = parent.fork();
    const a = Array.from({ length: 20 }, () => parent.nextUint32());
    const b = Array.from({ length: 20 }, () => child.nextUint32());
    expect(a).not.toEqual(b);
    const again = new Rng(8).fork();
    expect(Array.from({ length: 20 }, () => again.nextUint32())).toEqual(b);
  });
});

describe('Rng.normals', () => {
  it('gives the numbers and the stream of normal() calls, cached deviates included', () => {
    // Below 64 deviates JavaScript draws them, from 64 on the WebAssembly kernel (pieces of 8,192;
    // odd pair counts use one lane of the kernel's last f64x2 step).
    for (const [seed, lengths] of [
      [11, [1]],
      [11, [2, 3]],
      [11, [7, 1, 1, 4]],
      [11, [1001]],
      [3, [3, 8193, 64, 63, 20_000]],
      [-7, [16_384, 65, 1]],
    ] as const) {
      const bulk = new Rng(seed);
      const one = new Rng(seed);
      for (const n of lengths) {
        expect(bulk.normals(n)).toEqual(Float32Array.from({ length: n }, () => one.normal()));
        expect(bulk.getState()).toEqual(one.getState());
      }
      expect(bulk.nextUint32()).toBe(one.nextUint32());
    }
    expect(new Rng(1).normals(0)).toEqual(new Float32Array(0));
  });

  it('agrees bit for bit over millions of deviates, lanes with q near a power of two included', () => {
    // The kernel takes the logarithm on two f64x2 lanes and falls back to its scalar fdlibm log for
    // a pair whose q = u² + v² lies within 2^-20 of a power of two (3 in 2^20 of the q drawn).
    expect(polarKernel()).not.toBeNull();
    const n = 3_000_000;
    const bulk = new Rng(5).normals(n);
    const one = new Rng(5);
    let differ = 0;
    for (let i = 0; i < n; i++) if (!Object.is(bulk[i], Math.fround(one.normal()))) differ++;
    expect(differ).toBe(0);
    const words = new Rng(5);
    const bits = new DataView(new ArrayBuffer(8));
    let near = 0;
    for (let pairs = 0; pairs < n / 2; ) {
      const u = 2 * words.uniform() - 1;
      const v = 2 * words.uniform() - 1;
      const q = u * u + v * v;
      if (!(q > 0 && q < 1)) continue;
      pairs++;
      bits.setFloat64(0, q);
      if (((bits.getUint32(0) + 2) & 0xfffff) < 3) near++;
    }
    expect(near).toBeGreaterThan(0);
  });
});

describe('Rng.binarizeLevels', () => {
  /** The definition: one word r per level, 1 when r·255 < level·2³² (probability level/255). */
  const reference = (rng: Rng, levels: Uint8Array) =>
    Float32Array.from(levels, (v) => (rng.nextUint32() * 255 < v * 2 ** 32 ? 1 : 0));

  it('gives the values and the stream of its definition for every grey level, in JavaScript and WebAssembly', () => {
    expect(binarizeKernel()).not.toBeNull();
    // 40 × 256 levels run in the WebAssembly kernel, 200 in JavaScript; 40,000 span three kernel pieces.
    for (const n of [256 * 40, 200, 40_000]) {
      const levels = Uint8Array.from({ length: n }, (_, i) => (i * 7) % 256);
      const fast = new Rng(7);
      const slow = new Rng(7);
      fast.normal(); // a cached polar deviate is left alone (binarization draws words only)
      slow.normal();
      const out = fast.binarizeLevels(levels, new Float32Array(n));
      expect(out).toEqual(reference(slow, levels));
      expect(fast.getState()).toEqual(slow.getState());
      expect(fast.normal()).toBe(slow.normal());
      // level 0 never and level 255 always; the middle levels near their probability
      expect(out.filter((_, i) => levels[i] === 0).every((v) => v === 0)).toBe(true);
      expect(out.filter((_, i) => levels[i] === 255).every((v) => v === 1)).toBe(true);
    }
    const levels = new Uint8Array(100_000).fill(51);
    const ones = new Rng(1).binarizeLevels(levels, new Float32Array(levels.length)).reduce((a, v) => a + v, 0);
    expect(Math.abs(ones / levels.length - 0.2)).toBeLessThan(0.005); // 4 σ
  });

  it('continues one stream across calls of either path', () => {
    const levels = Uint8Array.from({ length: 1000 }, (_, i) => (i * 31) % 256);
    const split = new Rng(5);
    const a = split.binarizeLevels(levels.subarray(0, 100), new Float32Array(100)); // JavaScript
    const b = split.binarizeLevels(levels.subarray(100), new Float32Array(900)); // WebAssembly
    const whole = new Rng(5).binarizeLevels(levels, new Float32Array(1000));
    expect([...a, ...b]).toEqual([...whole]);
  });

  it('fills only out.length values and rejects fewer levels than that, naming them', () => {
    const rng = new Rng(3);
    const before = rng.getState();
    expect(rng.binarizeLevels(new Uint8Array([255, 255, 255]), new Float32Array(2))).toEqual(Float32Array.of(1, 1));
    const ref = Rng.fromState(before);
    ref.nextUint32();
    ref.nextUint32();
    expect(rng.getState()).toEqual(ref.getState());
    expect(() => rng.binarizeLevels(new Uint8Array(1), new Float32Array(2))).toThrow(
      /^levels: expected at least 2 values \(as out\), got 1$/,
    );
  });
});

describe('portableLog', () => {
  const view = new DataView(new ArrayBuffer(8));
  function check(x: number): void {
    const p = portableLog(x);
    const m = Math.log(x);
    expect(Math.abs(p - m)).toBeLessThanOrEqual(2e-16 * Math.abs(m));
  }

  it('agrees with Math.log to relative 2e-16 over random doubles of every exponent', () => {
    const rng = new Rng(1);
    for (let i = 0; i < 50_000; i++) {
      view.setUint32(0, rng.nextUint32() & 0x7fefffff);
      view.setUint32(4, rng.nextUint32());
      const x = view.getFloat64(0);
      if (x > 0) check(x);
    }
  });

  it('is accurate near 1 and on subnormals', () => {
    const rng = new Rng(2);
    for (let i = 0; i < 20_000; i++) check(1 + (rng.uniform() - 0.5) * 2 ** -(rng.int(50) + 1));
    for (let i = 0; i < 5_000; i++) {
      view.setUint32(0, rng.nextUint32() & 0x000fffff);
      view.setUint32(4, rng.nextUint32());
      const x = view.getFloat64(0);
      if (x > 0) check(x);
    }
    for (const x of [Number.MIN_VALUE, 1e-310, 2.2250738585072014e-308, 0.5, 2, Math.E, Number.MAX_VALUE]) check(x);
    expect(portableLog(1)).toBe(0);
    expect(portableLog(Math.E)).toBe(1);
  });

  it('handles the special values', () => {
    expect(portableLog(0)).toBe(-Infinity);
    expect(portableLog(Infinity)).toBe(Infinity);
    expect(portableLog(-1)).toBeNaN();
    expect(portableLog(Number.NaN)).toBeNaN();
  });
});
