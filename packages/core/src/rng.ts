import { portableLog } from './math-impl.js';
import { BINARIZE_PIECE, binarizeKernel, type BinarizeKernel } from './binarize-wasm.js';
import { POLAR_PIECE_PAIRS, polarKernel, type PolarKernel } from './normals-wasm.js';

/** Deviates below which {@link Rng.normals} stays in JavaScript (the WebAssembly call costs more). */
const MIN_WASM_NORMALS = 64;
/** Grey levels below which {@link Rng.binarizeLevels} stays in JavaScript. */
const MIN_WASM_LEVELS = 256;

/** Serializable state of an {@link Rng}: four 32-bit words and the cached second normal deviate. */
export interface RngState {
  readonly s: readonly [number, number, number, number];
  readonly spare: number | null;
}

function splitmix32(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x9e3779b9) >>> 0;
    let z = a;
    z = Math.imul(z ^ (z >>> 16), 0x85ebca6b) >>> 0;
    z = Math.imul(z ^ (z >>> 13), 0xc2b2ae35) >>> 0;
    return (z ^ (z >>> 16)) >>> 0;
  };
}

/**
 * Seeded pseudo-random generator (xoshiro128**), platform-independent: it uses only 32-bit integer
 * arithmetic and correctly rounded float operations, so the same seed yields the same numbers in
 * Node and in every browser.
 */
export class Rng {
  private s0: number;
  private s1: number;
  private s2: number;
  private s3: number;
  /** The cached second deviate of the polar method (valid when `hasSpare`; a plain number field stays unboxed). */
  private spare = 0;
  private hasSpare = false;

  /** @param seed any integer; two generators with the same seed produce the same stream. */
  constructor(seed: number) {
    if (typeof seed !== 'number' || !Number.isInteger(seed)) {
      throw new RangeError(`seed: expected an integer, got ${String(seed)}`);
    }
    const mix = splitmix32((seed >>> 0) ^ Math.floor(seed / 4294967296));
    this.s0 = mix() | 0;
    this.s1 = mix() | 0;
    this.s2 = mix() | 0;
    this.s3 = mix() | 0;
    if ((this.s0 | this.s1 | this.s2 | this.s3) === 0) this.s0 = 1;
  }

  /** Restores a generator from {@link Rng.getState}. */
  static fromState(state: RngState): Rng {
    const rng = new Rng(0);
    rng.setState(state);
    return rng;
  }

  /** Rewinds (or advances) this generator to a state from {@link Rng.getState}. */
  setState(state: RngState): void {
    if (
      !state ||
      !Array.isArray(state.s) ||
      state.s.length !== 4 ||
      !state.s.every((w) => Number.isInteger(w) && w >= 0 && w <= 0xffffffff)
    ) {
      throw new RangeError(`state: expected { s: four uint32 words, spare }, got ${JSON.stringify(state)}`);
    }
    [this.s0, this.s1, this.s2, this.s3] = state.s.map((w) => w | 0) as [number, number, number, number];
    this.hasSpare = state.spare !== null && state.spare !== undefined;
    this.spare = this.hasSpare ? state.spare! : 0;
  }

  /** The full state, JSON-serializable, for checkpoints. */
  getState(): RngState {
    return {
      s: [this.s0 >>> 0, this.s1 >>> 0, this.s2 >>> 0, this.s3 >>> 0],
      spare: this.hasSpare ? this.spare : null,
    };
  }

  /** Next unsigned 32-bit integer. */
  nextUint32(): number {
    const result = Math.imul(rotl(Math.imul(this.s1, 5), 7), 9) >>> 0;
    const t = this.s1 << 9;
    this.s2 ^= this.s0;
    this.s3 ^= this.s1;
    this.s1 ^= this.s2;
    this.s0 ^= this.s3;
    this.s2 ^= t;
    this.s3 = rotl(this.s3, 11);
    return result;
  }

  /** Uniform double in [0, 1) with 53 random bits. */
  uniform(): number {
    const a = this.nextUint32() >>> 5;
    const b = this.nextUint32() >>> 6;
    return (a * 67108864 + b) / 9007199254740992;
  }

  /** Uniform integer in [0, n), without modulo bias. */
  int(n: number): number {
    if (!Number.isInteger(n) || n <= 0 || n > 0x100000000) {
      throw new RangeError(`n: expected an integer in [1, 2^32], got ${String(n)}`);
    }
    const limit = 0x100000000 - (0x100000000 % n);
    for (;;) {
      const r = this.nextUint32();
      if (r < limit) return r % n;
    }
  }

  /** Standard normal deviate (Marsaglia's polar method with a portable logarithm). */
  normal(): number {
    if (this.hasSpare) {
      this.hasSpare = false;
      return this.spare;
    }
    return this.polarPair();
  }

  /** One accepted pair of the polar method: returns the first deviate and caches the second. */
  private polarPair(): number {
    for (;;) {
      const u = 2 * this.uniform() - 1;
      const v = 2 * this.uniform() - 1;
      const s = u * u + v * v;
      if (s > 0 && s < 1) {
        const f = Math.sqrt((-2 * portableLog(s)) / s);
        this.spare = v * f;
        this.hasSpare = true;
        return u * f;
      }
    }
  }

  /**
   * Fills `out` (or a new array of length `n`) with standard normal deviates: the numbers and the
   * stream of {@link Rng.normal} (a cached deviate first, the second of the last pair cached), with
   * the generator state in locals (~2× faster than calling `normal()`: ε for importance sampling and
   * training batches come from here); from 64 deviates on, in core's WebAssembly kernel (bit-identical,
   * ~5× faster again) where WebAssembly runs.
   */
  normals(n: number, out: Float32Array = new Float32Array(n)): Float32Array {
    const len = out.length;
    let i = 0;
    if (len > 0 && this.hasSpare) {
      this.hasSpare = false;
      out[i++] = this.spare;
    }
    const k = len - i >= MIN_WASM_NORMALS ? polarKernel() : null;
    if (k) return this.normalsWasm(k, out, i);
    let s0 = this.s0;
    let s1 = this.s1;
    let s2 = this.s2;
    let s3 = this.s3;
    while (i < len) {
      // Four steps of nextUint32, inlined: two uniform() values, as 2·uniform() − 1.
      let a = Math.imul(rotl(Math.imul(s1, 5), 7), 9) >>> 5;
      let t = s1 << 9;
      s2 ^= s0;
      s3 ^= s1;
      s1 ^= s2;
      s0 ^= s3;
      s2 ^= t;
      s3 = rotl(s3, 11);
      let b = Math.imul(rotl(Math.imul(s1, 5), 7), 9) >>> 6;
      t = s1 << 9;
      s2 ^= s0;
      s3 ^= s1;
      s1 ^= s2;
      s0 ^= s3;
      s2 ^= t;
      s3 = rotl(s3, 11);
      const u = 2 * ((a * 67108864 + b) / 9007199254740992) - 1;
      a = Math.imul(rotl(Math.imul(s1, 5), 7), 9) >>> 5;
      t = s1 << 9;
      s2 ^= s0;
      s3 ^= s1;
      s1 ^= s2;
      s0 ^= s3;
      s2 ^= t;
      s3 = rotl(s3, 11);
      b = Math.imul(rotl(Math.imul(s1, 5), 7), 9) >>> 6;
      t = s1 << 9;
      s2 ^= s0;
      s3 ^= s1;
      s1 ^= s2;
      s0 ^= s3;
      s2 ^= t;
      s3 = rotl(s3, 11);
      const v = 2 * ((a * 67108864 + b) / 9007199254740992) - 1;
      const q = u * u + v * v;
      if (!(q > 0 && q < 1)) continue;
      const f = Math.sqrt((-2 * portableLog(q)) / q);
      out[i++] = u * f;
      if (i < len) out[i++] = v * f;
      else {
        this.spare = v * f;
        this.hasSpare = true;
      }
    }
    this.s0 = s0;
    this.s1 = s1;
    this.s2 = s2;
    this.s3 = s3;
    return out;
  }

  /** Writes the xoshiro128** state words s0…s3 into a kernel's state view. */
  private stateTo(st: Int32Array): void {
    st[0] = this.s0;
    st[1] = this.s1;
    st[2] = this.s2;
    st[3] = this.s3;
  }

  /** Reads the xoshiro128** state words back from a kernel's state view. */
  private stateFrom(st: Int32Array): void {
    this.s0 = st[0]!;
    this.s1 = st[1]!;
    this.s2 = st[2]!;
    this.s3 = st[3]!;
  }

  /** {@link Rng.normals} from `out[i]` on, in the WebAssembly kernel (bit-identical numbers and state). */
  private normalsWasm(k: PolarKernel, out: Float32Array, from: number): Float32Array {
    const st = k.state;
    this.stateTo(st);
    for (let i = from; i < out.length; ) {
      const want = out.length - i;
      const pairs = Math.min(POLAR_PIECE_PAIRS, Math.ceil(want / 2));
      k.pairs(pairs);
      const n = Math.min(2 * pairs, want);
      out.set(k.out.subarray(0, n), i);
      i += n;
      if (n % 2 === 1) {
        // The last pair's second deviate is cached, unrounded, as `normal()` would.
        this.spare = k.last[0]!;
        this.hasSpare = true;
      }
    }
    this.stateFrom(st);
    return out;
  }

  /** True with probability `p`. */
  bernoulli(p: number): boolean {
    return this.uniform() < p;
  }

  /**
   * Dynamic binarization of grey levels: `out[i]` = 1 when the next {@link Rng.nextUint32} word r
   * has r·255 < levels[i]·2³² (probability `levels[i] / 255` to within 2⁻³²; exact in doubles), else
   * 0, for every `i < out.length`: one word per pixel, the generator state in locals; from
   * {@link MIN_WASM_LEVELS} levels on in core's WebAssembly kernel (bit-identical, ~3× faster).
   */
  binarizeLevels(levels: Uint8Array, out: Float32Array): Float32Array {
    if (levels.length < out.length)
      throw new RangeError(`levels: expected at least ${out.length} values (as out), got ${levels.length}`);
    const k = out.length >= MIN_WASM_LEVELS ? binarizeKernel() : null;
    if (k) return this.binarizeWasm(k, levels, out);
    let s0 = this.s0;
    let s1 = this.s1;
    let s2 = this.s2;
    let s3 = this.s3;
    for (let i = 0; i < out.length; i++) {
      const r = Math.imul(rotl(Math.imul(s1, 5), 7), 9) >>> 0;
      const t = s1 << 9;
      s2 ^= s0;
      s3 ^= s1;
      s1 ^= s2;
      s0 ^= s3;
      s2 ^= t;
      s3 = rotl(s3, 11);
      out[i] = r * 255 < levels[i]! * 4294967296 ? 1 : 0;
    }
    this.s0 = s0;
    this.s1 = s1;
    this.s2 = s2;
    this.s3 = s3;
    return out;
  }

  /** {@link Rng.binarizeLevels} in the WebAssembly kernel, piece by piece (same numbers and state). */
  private binarizeWasm(k: BinarizeKernel, levels: Uint8Array, out: Float32Array): Float32Array {
    const st = k.state;
    this.stateTo(st);
    for (let i = 0; i < out.length; i += BINARIZE_PIECE) {
      const n = Math.min(BINARIZE_PIECE, out.length - i);
      k.levels.set(levels.subarray(i, i + n));
      k.binarize(n);
      out.set(k.out.subarray(0, n), i);
    }
    this.stateFrom(st);
    return out;
  }

  /** A random permutation of `0 … n−1` (Fisher–Yates). */
  permutation(n: number): Uint32Array {
    const out = new Uint32Array(n);
    for (let i = 0; i < n; i++) out[i] = i;
    for (let i = n - 1; i > 0; i--) {
      const j = this.int(i + 1);
      const t = out[i]!;
      out[i] = out[j]!;
      out[j] = t;
    }
    return out;
  }

  /** An independent generator derived from this one's next output (advances this generator). */
  fork(): Rng {
    return new Rng(this.nextUint32() * 4294967296 + this.nextUint32());
  }
}

/** 32-bit rotate left on int32 bits (the state words are kept as int32 so V8 stores them unboxed). */
function rotl(x: number, k: number): number {
  return (x << k) | (x >>> (32 - k));
}
