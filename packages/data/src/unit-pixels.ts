/**
 * Grey levels 0–255 to model input `b / 255` (float32), with a 214-byte WebAssembly SIMD routine
 * (16 values per iteration, `f32x4.div`: the same float32 as JavaScript's `b / 255` rounded, for
 * all 256 levels, tested) on copies of the data in cache-sized pieces; where WebAssembly SIMD is
 * unavailable a JavaScript pass does the same. The JavaScript loop took ~1.7 ns a value, which made
 * conversion the largest cost of bulk embedding after the encoder.
 *
 * The module, in text form:
 *
 * ```wat
 * (module
 *   (memory (export "memory") 1)
 *   (func (export "toUnit") (param $p i32) (param $q i32) (param $n i32)
 *     (local $end i32) (local $v v128) (local $h v128) (local $k v128)
 *     (local.set $end (i32.add (local.get $p) (local.get $n)))
 *     (local.set $k (v128.const f32x4 255 255 255 255))
 *     (block $done
 *       (loop $l
 *         (br_if $done (i32.ge_u (local.get $p) (local.get $end)))
 *         (local.set $v (v128.load (local.get $p)))
 *         (local.set $h (i16x8.extend_low_i8x16_u (local.get $v)))
 *         (v128.store (local.get $q) (f32x4.div (f32x4.convert_i32x4_u (i32x4.extend_low_i16x8_u (local.get $h))) (local.get $k)))
 *         (v128.store offset=16 (local.get $q) (f32x4.div (f32x4.convert_i32x4_u (i32x4.extend_high_i16x8_u (local.get $h))) (local.get $k)))
 *         (local.set $h (i16x8.extend_high_i8x16_u (local.get $v)))
 *         (v128.store offset=32 (local.get $q) (f32x4.div (f32x4.convert_i32x4_u (i32x4.extend_low_i16x8_u (local.get $h))) (local.get $k)))
 *         (v128.store offset=48 (local.get $q) (f32x4.div (f32x4.convert_i32x4_u (i32x4.extend_high_i16x8_u (local.get $h))) (local.get $k)))
 *         (local.set $p (i32.add (local.get $p) (i32.const 16)))
 *         (local.set $q (i32.add (local.get $q) (i32.const 64)))
 *         (br $l)))))
 * ```
 */

import { instantiateWasm } from '@vae/core';

const UNIT_WASM = new Uint8Array([
  0x00, 0x61, 0x73, 0x6d, 0x01, 0x00, 0x00, 0x00, 0x01, 0x07, 0x01, 0x60, 0x03, 0x7f, 0x7f, 0x7f, 0x00, 0x03, 0x02,
  0x01, 0x00, 0x05, 0x03, 0x01, 0x00, 0x01, 0x07, 0x13, 0x02, 0x06, 0x6d, 0x65, 0x6d, 0x6f, 0x72, 0x79, 0x02, 0x00,
  0x06, 0x74, 0x6f, 0x55, 0x6e, 0x69, 0x74, 0x00, 0x00, 0x0a, 0xa4, 0x01, 0x01, 0xa1, 0x01, 0x02, 0x01, 0x7f, 0x03,
  0x7b, 0x20, 0x00, 0x20, 0x02, 0x6a, 0x21, 0x03, 0xfd, 0x0c, 0x00, 0x00, 0x7f, 0x43, 0x00, 0x00, 0x7f, 0x43, 0x00,
  0x00, 0x7f, 0x43, 0x00, 0x00, 0x7f, 0x43, 0x21, 0x06, 0x02, 0x40, 0x03, 0x40, 0x20, 0x00, 0x20, 0x03, 0x4f, 0x0d,
  0x01, 0x20, 0x00, 0xfd, 0x00, 0x04, 0x00, 0x21, 0x04, 0x20, 0x04, 0xfd, 0x89, 0x01, 0x21, 0x05, 0x20, 0x01, 0x20,
  0x05, 0xfd, 0xa9, 0x01, 0xfd, 0xfb, 0x01, 0x20, 0x06, 0xfd, 0xe7, 0x01, 0xfd, 0x0b, 0x04, 0x00, 0x20, 0x01, 0x20,
  0x05, 0xfd, 0xaa, 0x01, 0xfd, 0xfb, 0x01, 0x20, 0x06, 0xfd, 0xe7, 0x01, 0xfd, 0x0b, 0x04, 0x10, 0x20, 0x04, 0xfd,
  0x8a, 0x01, 0x21, 0x05, 0x20, 0x01, 0x20, 0x05, 0xfd, 0xa9, 0x01, 0xfd, 0xfb, 0x01, 0x20, 0x06, 0xfd, 0xe7, 0x01,
  0xfd, 0x0b, 0x04, 0x20, 0x20, 0x01, 0x20, 0x05, 0xfd, 0xaa, 0x01, 0xfd, 0xfb, 0x01, 0x20, 0x06, 0xfd, 0xe7, 0x01,
  0xfd, 0x0b, 0x04, 0x30, 0x20, 0x00, 0x41, 0x10, 0x6a, 0x21, 0x00, 0x20, 0x01, 0x41, 0xc0, 0x00, 0x6a, 0x21, 0x01,
  0x0c, 0x00, 0x0b, 0x0b, 0x0b,
]);

/** Bytes converted per piece: the piece and its floats (80 KiB) stay in L2. */
const PIECE = 16384;
/** Below this many values the JavaScript pass is cheaper than the copies. */
const MIN_WASM = 1024;

interface Converter {
  readonly bytes: Uint8Array;
  readonly floats: Float32Array;
  readonly toUnit: (bytesOffset: number, floatsOffset: number, count: number) => void;
}

let converter: Converter | null | undefined;

function wasmConverter(): Converter | null {
  if (converter !== undefined) return converter;
  const w = instantiateWasm(UNIT_WASM, PIECE * 5);
  converter = w && {
    bytes: new Uint8Array(w.memory.buffer, 0, PIECE),
    floats: new Float32Array(w.memory.buffer, PIECE, PIECE),
    toUnit: w.exports.toUnit as Converter['toUnit'],
  };
  return converter;
}

function jsToUnit(bytes: Uint8Array, out: Float32Array, from: number): void {
  for (let i = from; i < bytes.length; i++) out[i] = bytes[i]! / 255;
}

/**
 * `out[i] = bytes[i] / 255` (float32) for every byte; `out` (default: a new array) must hold
 * `bytes.length` values. Returns `out`.
 */
export function pixelsToUnit(bytes: Uint8Array, out: Float32Array = new Float32Array(bytes.length)): Float32Array {
  if (out.length !== bytes.length)
    throw new RangeError(`out: expected ${bytes.length} values (one per byte), got ${out.length}`);
  const c = bytes.length >= MIN_WASM ? wasmConverter() : null;
  if (!c) {
    jsToUnit(bytes, out, 0);
    return out;
  }
  const bulk = bytes.length - (bytes.length % 16);
  for (let start = 0; start < bulk; start += PIECE) {
    const n = Math.min(PIECE, bulk - start);
    c.bytes.set(bytes.subarray(start, start + n));
    c.toUnit(0, PIECE, n);
    out.set(c.floats.subarray(0, n), start);
  }
  jsToUnit(bytes, out, bulk);
  return out;
}
