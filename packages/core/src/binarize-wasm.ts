/**
 * Dynamic binarization of {@link Rng.binarizeLevels} in WebAssembly: per grey level one xoshiro128**
 * word r of the generator's own stream, and 1 when r·255 < level·2³² (exact 64-bit integer
 * arithmetic: probability level/255 to within 2⁻³²), as the JavaScript path does with doubles, so
 * the numbers and the state after it are bit-identical (tested against the JavaScript path). A
 * training batch of 128 MNIST images binarizes 100,352 pixels: ~0.2 ms here against ~0.65 ms for
 * the former two-word JavaScript loop.
 *
 * The module, in text form (compiled with wabt's `wat2wasm`):
 *
 * ```wat
 * (module
 *   (memory (export "memory") 1)
 *   ;; n levels (bytes at $l) to float32 at $o: 1 when the next xoshiro128** word r has
 *   ;; r·255 < level·2³² (probability level/255 to within 2⁻³²), else 0; state at bytes 0..15.
 *   (func (export "binarize") (param $l i32) (param $o i32) (param $n i32)
 *     (local $s0 i32) (local $s1 i32) (local $s2 i32) (local $s3 i32) (local $t i32) (local $r i32) (local $end i32)
 *     (local.set $s0 (i32.load offset=0 (i32.const 0)))
 *     (local.set $s1 (i32.load offset=4 (i32.const 0)))
 *     (local.set $s2 (i32.load offset=8 (i32.const 0)))
 *     (local.set $s3 (i32.load offset=12 (i32.const 0)))
 *     (local.set $end (i32.add (local.get $l) (local.get $n)))
 *     (block $done
 *       (loop $next
 *         (br_if $done (i32.ge_u (local.get $l) (local.get $end)))
 *         (local.set $r (i32.mul (i32.rotl (i32.mul (local.get $s1) (i32.const 5)) (i32.const 7)) (i32.const 9)))
 *         (local.set $t (i32.shl (local.get $s1) (i32.const 9)))
 *         (local.set $s2 (i32.xor (local.get $s2) (local.get $s0)))
 *         (local.set $s3 (i32.xor (local.get $s3) (local.get $s1)))
 *         (local.set $s1 (i32.xor (local.get $s1) (local.get $s2)))
 *         (local.set $s0 (i32.xor (local.get $s0) (local.get $s3)))
 *         (local.set $s2 (i32.xor (local.get $s2) (local.get $t)))
 *         (local.set $s3 (i32.rotl (local.get $s3) (i32.const 11)))
 *         (f32.store (local.get $o)
 *           (f32.convert_i32_u
 *             (i64.lt_u (i64.mul (i64.extend_i32_u (local.get $r)) (i64.const 255))
 *                       (i64.shl (i64.load8_u (local.get $l)) (i64.const 32)))))
 *         (local.set $l (i32.add (local.get $l) (i32.const 1)))
 *         (local.set $o (i32.add (local.get $o) (i32.const 4)))
 *         (br $next)))
 *     (i32.store offset=0 (i32.const 0) (local.get $s0))
 *     (i32.store offset=4 (i32.const 0) (local.get $s1))
 *     (i32.store offset=8 (i32.const 0) (local.get $s2))
 *     (i32.store offset=12 (i32.const 0) (local.get $s3)))
 * )
 * ```
 */

import { instantiateWasm } from './wasm-instance.js';

const BINARIZE_WASM = new Uint8Array([
  0x00, 0x61, 0x73, 0x6d, 0x01, 0x00, 0x00, 0x00, 0x01, 0x07, 0x01, 0x60, 0x03, 0x7f, 0x7f, 0x7f, 0x00, 0x03, 0x02,
  0x01, 0x00, 0x05, 0x03, 0x01, 0x00, 0x01, 0x07, 0x15, 0x02, 0x06, 0x6d, 0x65, 0x6d, 0x6f, 0x72, 0x79, 0x02, 0x00,
  0x08, 0x62, 0x69, 0x6e, 0x61, 0x72, 0x69, 0x7a, 0x65, 0x00, 0x00, 0x0a, 0xb7, 0x01, 0x01, 0xb4, 0x01, 0x01, 0x07,
  0x7f, 0x41, 0x00, 0x28, 0x02, 0x00, 0x21, 0x03, 0x41, 0x00, 0x28, 0x02, 0x04, 0x21, 0x04, 0x41, 0x00, 0x28, 0x02,
  0x08, 0x21, 0x05, 0x41, 0x00, 0x28, 0x02, 0x0c, 0x21, 0x06, 0x20, 0x00, 0x20, 0x02, 0x6a, 0x21, 0x09, 0x02, 0x40,
  0x03, 0x40, 0x20, 0x00, 0x20, 0x09, 0x4f, 0x0d, 0x01, 0x20, 0x04, 0x41, 0x05, 0x6c, 0x41, 0x07, 0x77, 0x41, 0x09,
  0x6c, 0x21, 0x08, 0x20, 0x04, 0x41, 0x09, 0x74, 0x21, 0x07, 0x20, 0x05, 0x20, 0x03, 0x73, 0x21, 0x05, 0x20, 0x06,
  0x20, 0x04, 0x73, 0x21, 0x06, 0x20, 0x04, 0x20, 0x05, 0x73, 0x21, 0x04, 0x20, 0x03, 0x20, 0x06, 0x73, 0x21, 0x03,
  0x20, 0x05, 0x20, 0x07, 0x73, 0x21, 0x05, 0x20, 0x06, 0x41, 0x0b, 0x77, 0x21, 0x06, 0x20, 0x01, 0x20, 0x08, 0xad,
  0x42, 0xff, 0x01, 0x7e, 0x20, 0x00, 0x31, 0x00, 0x00, 0x42, 0x20, 0x86, 0x54, 0xb3, 0x38, 0x02, 0x00, 0x20, 0x00,
  0x41, 0x01, 0x6a, 0x21, 0x00, 0x20, 0x01, 0x41, 0x04, 0x6a, 0x21, 0x01, 0x0c, 0x00, 0x0b, 0x0b, 0x41, 0x00, 0x20,
  0x03, 0x36, 0x02, 0x00, 0x41, 0x00, 0x20, 0x04, 0x36, 0x02, 0x04, 0x41, 0x00, 0x20, 0x05, 0x36, 0x02, 0x08, 0x41,
  0x00, 0x20, 0x06, 0x36, 0x02, 0x0c, 0x0b,
]);

/** Byte offset of the levels in the module's memory (the generator state comes first). */
const LEVELS = 64;
/** Levels per call: 16 KiB of levels and 64 KiB of float32 output. */
export const BINARIZE_PIECE = 16384;
const OUT = LEVELS + BINARIZE_PIECE;

/** The module's entry point and views of its memory. */
export interface BinarizeKernel {
  /** The xoshiro128** state words s0…s3, read and written by {@link BinarizeKernel.binarize}. */
  readonly state: Int32Array;
  /** The input: grey levels 0…255. */
  readonly levels: Uint8Array;
  /** The output: `n` values 0 or 1 after a call of `binarize(n)`. */
  readonly out: Float32Array;
  /** Binarizes the first `n ≤ BINARIZE_PIECE` levels into {@link BinarizeKernel.out}. */
  binarize(n: number): void;
}

let kernel: BinarizeKernel | null | undefined;

/** The WebAssembly kernel, instantiated on first use; null where WebAssembly is unavailable. */
export function binarizeKernel(): BinarizeKernel | null {
  if (kernel !== undefined) return kernel;
  const w = instantiateWasm(BINARIZE_WASM, OUT + BINARIZE_PIECE * 4);
  const binarize = w?.exports.binarize as ((l: number, o: number, n: number) => void) | undefined;
  kernel =
    w && binarize
      ? {
          state: new Int32Array(w.memory.buffer, 0, 4),
          levels: new Uint8Array(w.memory.buffer, LEVELS, BINARIZE_PIECE),
          out: new Float32Array(w.memory.buffer, OUT, BINARIZE_PIECE),
          binarize: (n) => binarize(LEVELS, OUT, n),
        }
      : null;
  return kernel;
}
