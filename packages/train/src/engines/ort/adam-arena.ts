import { instantiateWasm } from '@vae/core';
import { adamStepScalars, type AdamOptions } from '@vae/onnx/graphs';

/**
 * Parameters, gradients and Adam moments of a model in one memory, updated in place by a 413-byte
 * WebAssembly SIMD module (four values per instruction; a JavaScript loop with float32 rounding at
 * every operation, bit-identical, where WebAssembly SIMD is unavailable). The ort engine keeps Adam
 * here instead of in its training graph: onnxruntime-node copies every output of a run into a new
 * ArrayBuffer, so an in-graph update paid for three model-sized copies per step (parameters and both
 * moments) where gradients alone cost one, and the ten element-wise graph nodes per parameter cost
 * more than this single pass.
 *
 * The update is `adamUpdate` of `@vae/onnx` (same scaled moments, same float32 operations in the same
 * order, scalars from `adamStepScalars`), except that every {@link SUBNORMAL_FLUSH_INTERVAL} steps the
 * moments below the smallest normal float32 are set to 0 (see there). The kernel, in text form:
 *
 * ```wat
 * (module
 *   (memory (export "memory") 1)
 *   ;; Over n bytes (a multiple of 16) of four float32 arrays: m̃' = β₁m̃ + g, ṽ' = β₂ṽ + g², p' = p − m̃'/(√ṽ'·k1 + k2).
 *   (func (export "adam")
 *     (param $p i32) (param $g i32) (param $m i32) (param $v i32) (param $n i32)
 *     (param $b1 f32) (param $b2 f32) (param $k1 f32) (param $k2 f32)
 *     (local $i i32) (local $gi v128) (local $mi v128) (local $vi v128)
 *     (local $B1 v128) (local $B2 v128) (local $K1 v128) (local $K2 v128)
 *     (local.set $B1 (f32x4.splat (local.get $b1)))
 *     (local.set $B2 (f32x4.splat (local.get $b2)))
 *     (local.set $K1 (f32x4.splat (local.get $k1)))
 *     (local.set $K2 (f32x4.splat (local.get $k2)))
 *     (block $done
 *       (loop $l
 *         (br_if $done (i32.ge_u (local.get $i) (local.get $n)))
 *         (local.set $gi (v128.load (i32.add (local.get $g) (local.get $i))))
 *         (local.set $mi (f32x4.add (f32x4.mul (v128.load (i32.add (local.get $m) (local.get $i))) (local.get $B1)) (local.get $gi)))
 *         (local.set $vi (f32x4.add (f32x4.mul (v128.load (i32.add (local.get $v) (local.get $i))) (local.get $B2))
 *                                   (f32x4.mul (local.get $gi) (local.get $gi))))
 *         (v128.store (i32.add (local.get $m) (local.get $i)) (local.get $mi))
 *         (v128.store (i32.add (local.get $v) (local.get $i)) (local.get $vi))
 *         (v128.store (i32.add (local.get $p) (local.get $i))
 *           (f32x4.sub (v128.load (i32.add (local.get $p) (local.get $i)))
 *             (f32x4.div (local.get $mi)
 *               (f32x4.add (f32x4.mul (f32x4.sqrt (local.get $vi)) (local.get $K1)) (local.get $K2)))))
 *         (local.set $i (i32.add (local.get $i) (i32.const 16)))
 *         (br $l))))
 *   ;; Over n bytes: y = a·y + b·x (a data-parallel shard's gradient reduction).
 *   (func (export "axpby") (param $y i32) (param $x i32) (param $n i32) (param $a f32) (param $b f32)
 *     (local $i i32) (local $A v128) (local $B v128)
 *     (local.set $A (f32x4.splat (local.get $a)))
 *     (local.set $B (f32x4.splat (local.get $b)))
 *     (block $done
 *       (loop $l
 *         (br_if $done (i32.ge_u (local.get $i) (local.get $n)))
 *         (v128.store (i32.add (local.get $y) (local.get $i))
 *           (f32x4.add (f32x4.mul (v128.load (i32.add (local.get $y) (local.get $i))) (local.get $A))
 *                      (f32x4.mul (v128.load (i32.add (local.get $x) (local.get $i))) (local.get $B))))
 *         (local.set $i (i32.add (local.get $i) (i32.const 16)))
 *         (br $l))))
 *   ;; Over n bytes: x = 0 where |x| < 2⁻¹²⁶ (float32 subnormals), else x.
 *   (func (export "flush") (param $x i32) (param $n i32)
 *     (local $i i32) (local $xi v128) (local $T v128)
 *     (local.set $T (f32x4.splat (f32.const 0x1p-126)))
 *     (block $done
 *       (loop $l
 *         (br_if $done (i32.ge_u (local.get $i) (local.get $n)))
 *         (local.set $xi (v128.load (i32.add (local.get $x) (local.get $i))))
 *         (v128.store (i32.add (local.get $x) (local.get $i))
 *           (v128.andnot (local.get $xi) (f32x4.lt (f32x4.abs (local.get $xi)) (local.get $T))))
 *         (local.set $i (i32.add (local.get $i) (i32.const 16)))
 *         (br $l)))))
 * ```
 */
const ADAM_WASM = new Uint8Array([
  0x00, 0x61, 0x73, 0x6d, 0x01, 0x00, 0x00, 0x00, 0x01, 0x1a, 0x03, 0x60, 0x09, 0x7f, 0x7f, 0x7f, 0x7f, 0x7f, 0x7d,
  0x7d, 0x7d, 0x7d, 0x00, 0x60, 0x05, 0x7f, 0x7f, 0x7f, 0x7d, 0x7d, 0x00, 0x60, 0x02, 0x7f, 0x7f, 0x00, 0x03, 0x04,
  0x03, 0x00, 0x01, 0x02, 0x05, 0x03, 0x01, 0x00, 0x01, 0x07, 0x21, 0x04, 0x06, 0x6d, 0x65, 0x6d, 0x6f, 0x72, 0x79,
  0x02, 0x00, 0x04, 0x61, 0x64, 0x61, 0x6d, 0x00, 0x00, 0x05, 0x61, 0x78, 0x70, 0x62, 0x79, 0x00, 0x01, 0x05, 0x66,
  0x6c, 0x75, 0x73, 0x68, 0x00, 0x02, 0x0a, 0xc8, 0x02, 0x03, 0xad, 0x01, 0x02, 0x01, 0x7f, 0x07, 0x7b, 0x20, 0x05,
  0xfd, 0x13, 0x21, 0x0d, 0x20, 0x06, 0xfd, 0x13, 0x21, 0x0e, 0x20, 0x07, 0xfd, 0x13, 0x21, 0x0f, 0x20, 0x08, 0xfd,
  0x13, 0x21, 0x10, 0x02, 0x40, 0x03, 0x40, 0x20, 0x09, 0x20, 0x04, 0x4f, 0x0d, 0x01, 0x20, 0x01, 0x20, 0x09, 0x6a,
  0xfd, 0x00, 0x04, 0x00, 0x21, 0x0a, 0x20, 0x02, 0x20, 0x09, 0x6a, 0xfd, 0x00, 0x04, 0x00, 0x20, 0x0d, 0xfd, 0xe6,
  0x01, 0x20, 0x0a, 0xfd, 0xe4, 0x01, 0x21, 0x0b, 0x20, 0x03, 0x20, 0x09, 0x6a, 0xfd, 0x00, 0x04, 0x00, 0x20, 0x0e,
  0xfd, 0xe6, 0x01, 0x20, 0x0a, 0x20, 0x0a, 0xfd, 0xe6, 0x01, 0xfd, 0xe4, 0x01, 0x21, 0x0c, 0x20, 0x02, 0x20, 0x09,
  0x6a, 0x20, 0x0b, 0xfd, 0x0b, 0x04, 0x00, 0x20, 0x03, 0x20, 0x09, 0x6a, 0x20, 0x0c, 0xfd, 0x0b, 0x04, 0x00, 0x20,
  0x00, 0x20, 0x09, 0x6a, 0x20, 0x00, 0x20, 0x09, 0x6a, 0xfd, 0x00, 0x04, 0x00, 0x20, 0x0b, 0x20, 0x0c, 0xfd, 0xe3,
  0x01, 0x20, 0x0f, 0xfd, 0xe6, 0x01, 0x20, 0x10, 0xfd, 0xe4, 0x01, 0xfd, 0xe7, 0x01, 0xfd, 0xe5, 0x01, 0xfd, 0x0b,
  0x04, 0x00, 0x20, 0x09, 0x41, 0x10, 0x6a, 0x21, 0x09, 0x0c, 0x00, 0x0b, 0x0b, 0x0b, 0x50, 0x02, 0x01, 0x7f, 0x02,
  0x7b, 0x20, 0x03, 0xfd, 0x13, 0x21, 0x06, 0x20, 0x04, 0xfd, 0x13, 0x21, 0x07, 0x02, 0x40, 0x03, 0x40, 0x20, 0x05,
  0x20, 0x02, 0x4f, 0x0d, 0x01, 0x20, 0x00, 0x20, 0x05, 0x6a, 0x20, 0x00, 0x20, 0x05, 0x6a, 0xfd, 0x00, 0x04, 0x00,
  0x20, 0x06, 0xfd, 0xe6, 0x01, 0x20, 0x01, 0x20, 0x05, 0x6a, 0xfd, 0x00, 0x04, 0x00, 0x20, 0x07, 0xfd, 0xe6, 0x01,
  0xfd, 0xe4, 0x01, 0xfd, 0x0b, 0x04, 0x00, 0x20, 0x05, 0x41, 0x10, 0x6a, 0x21, 0x05, 0x0c, 0x00, 0x0b, 0x0b, 0x0b,
  0x46, 0x02, 0x01, 0x7f, 0x02, 0x7b, 0x43, 0x00, 0x00, 0x80, 0x00, 0xfd, 0x13, 0x21, 0x04, 0x02, 0x40, 0x03, 0x40,
  0x20, 0x02, 0x20, 0x01, 0x4f, 0x0d, 0x01, 0x20, 0x00, 0x20, 0x02, 0x6a, 0xfd, 0x00, 0x04, 0x00, 0x21, 0x03, 0x20,
  0x00, 0x20, 0x02, 0x6a, 0x20, 0x03, 0x20, 0x03, 0xfd, 0xe0, 0x01, 0x20, 0x04, 0xfd, 0x43, 0xfd, 0x4f, 0xfd, 0x0b,
  0x04, 0x00, 0x20, 0x02, 0x41, 0x10, 0x6a, 0x21, 0x02, 0x0c, 0x00, 0x0b, 0x0b, 0x0b,
]);

/** A named tensor shape laid out in an {@link AdamArena}. */
export interface ArenaTensor {
  readonly name: string;
  readonly shape: readonly number[];
}

/** Options of {@link AdamArena.create}. */
export interface AdamArenaOptions {
  /** Use the WebAssembly SIMD kernel when the platform has it (default true); false: the JavaScript loop. */
  readonly simd?: boolean;
  /** Add a scratch region (another shard's gradients, see {@link AdamArena.mixGrads}); default false. */
  readonly scratch?: boolean;
  /**
   * A native form of the update (the same float32 operations in the same order, so bit-identical),
   * used instead of the WebAssembly one: the ort engine's direct binding on Node gives one.
   */
  readonly kernel?: ArrayAdamKernel;
}

/** The Adam update over four equally long arrays, in place: see the kernel's text form above. */
export type ArrayAdamKernel = (
  p: Float32Array,
  g: Float32Array,
  m: Float32Array,
  v: Float32Array,
  b1: number,
  b2: number,
  k1: number,
  k2: number,
) => void;

type AxpbyKernel = (y: number, x: number, n: number, a: number, b: number) => void;
/** `flush(x, n)`: over n bytes, x = 0 where |x| < 2⁻¹²⁶. */
type FlushKernel = (x: number, n: number) => void;

type AdamKernel = (
  p: number,
  g: number,
  m: number,
  v: number,
  n: number,
  b1: number,
  b2: number,
  k1: number,
  k2: number,
) => void;

/** Every tensor starts on a 16-byte boundary (the kernel's vector width), in floats. */
export const ARENA_ALIGN = 4;

/** Where each tensor starts in an arena's regions (floats), and the floats per region. */
export interface ArenaLayout {
  readonly offsets: readonly number[];
  readonly size: number;
}

/** The layout of `tensors` in an {@link AdamArena}: in order, each rounded up to {@link ARENA_ALIGN} floats. */
export function arenaLayout(tensors: readonly ArenaTensor[]): ArenaLayout {
  const offsets: number[] = [];
  let size = 0;
  for (const t of tensors) {
    offsets.push(size);
    size += Math.ceil(t.shape.reduce((a, b) => a * b, 1) / ARENA_ALIGN) * ARENA_ALIGN;
  }
  return { offsets, size };
}

/** A range `[from, to)` of an arena's regions, in floats (both multiples of {@link ARENA_ALIGN}). */
export interface ArenaRange {
  readonly from: number;
  readonly to: number;
}

/** Region of the arena: parameters, gradients, first and second moments, scratch; each `size` floats. */
const REGIONS = { p: 0, g: 1, m: 2, v: 3, s: 4 } as const;
type Region = keyof typeof REGIONS;
/** The regions every tensor has a view of. */
type TensorRegion = Exclude<Region, 's'>;

/** The WebAssembly module's functions over its memory. */
interface WasmKernels {
  readonly adam: AdamKernel;
  readonly axpby: AxpbyKernel;
  readonly flush: FlushKernel;
  readonly buffer: ArrayBuffer;
}

function wasmKernels(bytes: number): WasmKernels | null {
  const w = instantiateWasm(ADAM_WASM, bytes);
  return (
    w && {
      adam: w.exports.adam as AdamKernel,
      axpby: w.exports.axpby as AxpbyKernel,
      flush: w.exports.flush as FlushKernel,
      buffer: w.memory.buffer,
    }
  );
}

/**
 * Adam steps between two passes that set the arena's subnormal moments (|x| < 2⁻¹²⁶, the smallest
 * normal float32) to 0. WebAssembly has no flush-to-zero mode, and a vector with a subnormal lane
 * makes the kernel's multiply, add and divide slow: the first moment of a weight whose gradient stays
 * 0 (an input pixel blank in every row of the recent batches, as MNIST's borders are) decays by β₁
 * per step through the ~150 steps of the subnormal range, so 4.6 % of the 784-400-20 VAE's moments
 * were subnormal after 3 epochs and 8.7 % after 10, and the update took 0.66–0.78 ms instead of
 * 0.36 ms. With a pass every 16 steps (one read of both moments, ~0.15 ms, so ~0.01 ms per step) a
 * moment stays subnormal for at most 16 steps: 0.40–0.48 ms on the same states (docs/BENCHMARKS.md
 * "Training pipeline"). Flushing every step instead cost 0.045 ms per step. A flushed moment moves
 * its parameter by less than a float32 rounding step of it (`vae train`, 10 epochs: the same
 * validation ELBO to the last bit with and without the pass); the pass depends only on the step
 * number, so runs and resumes stay deterministic.
 */
export const SUBNORMAL_FLUSH_INTERVAL = 16;

/** The smallest normal float32, 2⁻¹²⁶. */
const FLOAT32_MIN_NORMAL = 2 ** -126;

/** `x` with every value of magnitude below {@link FLOAT32_MIN_NORMAL} set to 0 (the kernel's `flush`). */
function jsFlush(x: Float32Array): void {
  for (let i = 0; i < x.length; i++) if (Math.abs(x[i]!) < FLOAT32_MIN_NORMAL) x[i] = 0;
}

/** The kernel in JavaScript: the same float32 operations in the same order (`Math.fround` after each). */
const jsAdam: ArrayAdamKernel = (p, g, m, v, b1, b2, k1, k2) => {
  const f = Math.fround;
  for (let i = 0; i < p.length; i++) {
    const gi = g[i]!;
    const mi = f(f(m[i]! * b1) + gi);
    const vi = f(f(v[i]! * b2) + f(gi * gi));
    m[i] = mi;
    v[i] = vi;
    p[i] = f(p[i]! - f(mi / f(f(f(Math.sqrt(vi)) * k1) + k2)));
  }
};

/**
 * One flat float32 memory holding every trainable tensor's value, gradient and Adam moments (the
 * moments scaled as `adamMomentScales` of `@vae/onnx` says), with a view per tensor and region. The
 * views stay valid for the arena's lifetime (the memory never grows after creation).
 */
export class AdamArena {
  /** Whether updates run on the WebAssembly SIMD kernel. */
  readonly simd: boolean;
  /** The native update kernel given at creation, or null. */
  private readonly native: ArrayAdamKernel | null;
  /** Floats per region (the tensors' sizes, each rounded up to a multiple of 4). */
  readonly size: number;
  /** The SIMD kernels, or null: the JavaScript loops. */
  private readonly wasm: WasmKernels | null;
  private readonly regions: Record<Region, Float32Array>;
  private readonly views = new Map<string, Record<TensorRegion, Float32Array>>();

  private constructor(tensors: readonly ArenaTensor[], options: AdamArenaOptions) {
    const { offsets, size } = arenaLayout(tensors);
    this.size = size;
    const bytes = 4 * size * (options.scratch ? 5 : 4);
    this.wasm = options.simd === false ? null : wasmKernels(bytes);
    this.native = options.kernel ?? null;
    this.simd = this.wasm !== null;
    const buffer = this.wasm?.buffer ?? new ArrayBuffer(bytes);
    const region = (r: Region) =>
      new Float32Array(buffer, 4 * size * REGIONS[r], r === 's' && !options.scratch ? 0 : size);
    this.regions = { p: region('p'), g: region('g'), m: region('m'), v: region('v'), s: region('s') };
    tensors.forEach((t, i) => {
      if (this.views.has(t.name)) throw new RangeError(`tensors: expected unique names, got ${t.name} twice`);
      const n = t.shape.reduce((a, b) => a * b, 1);
      const view = (r: Region) => this.regions[r].subarray(offsets[i]!, offsets[i]! + n);
      this.views.set(t.name, { p: view('p'), g: view('g'), m: view('m'), v: view('v') });
    });
  }

  /** An arena for `tensors` (all zero). */
  static create(tensors: readonly ArenaTensor[], options: AdamArenaOptions = {}): AdamArena {
    return new AdamArena(tensors, options);
  }

  private view(name: string, r: TensorRegion): Float32Array {
    const v = this.views.get(name);
    if (!v) throw new RangeError(`name: expected one of ${[...this.views.keys()].join(', ')}, got ${name}`);
    return v[r];
  }

  /** The value of tensor `name` (a view: writes change the arena). */
  param(name: string): Float32Array {
    return this.view(name, 'p');
  }

  /** The gradient slot of tensor `name` (a view). */
  grad(name: string): Float32Array {
    return this.view(name, 'g');
  }

  /** The scaled first moment of tensor `name` (a view). */
  m(name: string): Float32Array {
    return this.view(name, 'm');
  }

  /** The scaled second moment of tensor `name` (a view). */
  v(name: string): Float32Array {
    return this.view(name, 'v');
  }

  /** Every tensor's value, in layout order with padding (a view of the whole region). */
  get values(): Float32Array {
    return this.regions.p;
  }

  /** Every tensor's gradient slot, in layout order with padding (a view of the whole region). */
  get grads(): Float32Array {
    return this.regions.g;
  }

  /** The scratch region (empty unless the arena was created with `scratch`). */
  get scratch(): Float32Array {
    return this.regions.s;
  }

  /**
   * Gradients of `range` ← a·gradients + b·scratch (float32 operations, the SIMD kernel or a
   * bit-identical JavaScript loop): how a data-parallel shard adds another shard's gradient.
   */
  mixGrads(range: ArenaRange, a: number, b: number): void {
    const [g, x] = [this.slice('g', range), this.slice('s', range)];
    if (this.wasm) this.wasm.axpby(g.byteOffset, x.byteOffset, 4 * g.length, a, b);
    else {
      const [fa, fb, f] = [Math.fround(a), Math.fround(b), Math.fround];
      for (let i = 0; i < g.length; i++) g[i] = f(f(g[i]! * fa) + f(x[i]! * fb));
    }
  }

  /** Region `r` over `range`, checked. */
  private slice(r: Region, { from, to }: ArenaRange): Float32Array {
    if (from % ARENA_ALIGN || to % ARENA_ALIGN || from < 0 || to > this.regions[r].length || from > to)
      throw new RangeError(
        `range: expected multiples of ${ARENA_ALIGN} within [0, ${this.regions[r].length}], got [${from}, ${to})`,
      );
    return this.regions[r].subarray(from, to);
  }

  /**
   * Adam step `step` (t ≥ 1) with learning rate `lr` on every tensor, from the gradients in the arena;
   * only on the floats of `range` when given (a data-parallel shard updates its own part). When `step`
   * is a multiple of {@link SUBNORMAL_FLUSH_INTERVAL}, the moments below 2⁻¹²⁶ in magnitude are then
   * set to 0.
   */
  update(o: AdamOptions, lr: number, step: number, range: ArenaRange = { from: 0, to: this.size }): void {
    const { k1, k2 } = adamStepScalars(o, lr, step);
    const b1 = Math.fround(o.beta1);
    const b2 = Math.fround(o.beta2);
    const [p, g, m, v] = (['p', 'g', 'm', 'v'] as const).map((r) => this.slice(r, range)) as [
      Float32Array,
      Float32Array,
      Float32Array,
      Float32Array,
    ];
    if (this.native) this.native(p, g, m, v, b1, b2, k1, k2);
    else if (this.wasm)
      this.wasm.adam(p.byteOffset, g.byteOffset, m.byteOffset, v.byteOffset, 4 * p.length, b1, b2, k1, k2);
    else jsAdam(p, g, m, v, b1, b2, k1, k2);
    if (step % SUBNORMAL_FLUSH_INTERVAL !== 0) return;
    for (const x of [m, v]) {
      if (this.wasm) this.wasm.flush(x.byteOffset, 4 * x.length);
      else jsFlush(x);
    }
  }
}
