/**
 * A fast test for NaN and ±Infinity in float32 data: a 414-byte WebAssembly SIMD module sums a copy
 * of the data in cache-sized pieces (one add per 4 values: NaN and ±Infinity absorb every sum) and
 * confirms a non-finite sum by testing the exponent bits of every value of that piece (the copy is a
 * memcpy); where WebAssembly SIMD is unavailable a JavaScript pass does the same; a platform may
 * install a native scan instead ({@link setNonFiniteScan}). For the API's input
 * validation, whose element-wise JavaScript scan took ~28% of a batch-256 encoder run (the exponent
 * test alone took 40 µs per batch of 256 images here, the sum first 22–25 µs).
 *
 * The module, in text form:
 *
 * ```wat
 * (module
 *   (memory (export "memory") 1)
 *   ;; 1 if any float32 in [p, p + n) (n a multiple of 64 bytes) has an all-ones exponent (NaN, ±Infinity).
 *   (func (export "nonFinite") (param $p i32) (param $n i32) (result i32)
 *     (local $end i32) (local $a v128) (local $b v128) (local $m v128)
 *     (local.set $end (i32.add (local.get $p) (local.get $n)))
 *     (local.set $m (v128.const i32x4 0x7f800000 0x7f800000 0x7f800000 0x7f800000))
 *     (block $done
 *       (loop $l
 *         (br_if $done (i32.ge_u (local.get $p) (local.get $end)))
 *         (local.set $a (v128.or (local.get $a) (i32x4.eq (v128.and (v128.load (local.get $p)) (local.get $m)) (local.get $m))))
 *         (local.set $b (v128.or (local.get $b) (i32x4.eq (v128.and (v128.load offset=16 (local.get $p)) (local.get $m)) (local.get $m))))
 *         (local.set $a (v128.or (local.get $a) (i32x4.eq (v128.and (v128.load offset=32 (local.get $p)) (local.get $m)) (local.get $m))))
 *         (local.set $b (v128.or (local.get $b) (i32x4.eq (v128.and (v128.load offset=48 (local.get $p)) (local.get $m)) (local.get $m))))
 *         (local.set $p (i32.add (local.get $p) (i32.const 64)))
 *         (br $l)))
 *     (v128.any_true (v128.or (local.get $a) (local.get $b))))
 *   ;; 1 if the float32 sum of [p, p + n) (n a multiple of 128 bytes), in 4 lanes × 8 accumulators, is
 *   ;; not finite: always when a value is NaN or ±Infinity (they absorb every sum), rarely otherwise
 *   ;; (finite values whose sum overflows), so a 1 is confirmed with nonFinite. One add per 4 values.
 *   (func (export "sumNonFinite") (param $p i32) (param $n i32) (result i32)
 *     (local $end i32) (local $a v128) (local $b v128) (local $c v128) (local $d v128)
 *     (local $e v128) (local $f v128) (local $g v128) (local $h v128) (local $s v128)
 *     (local.set $end (i32.add (local.get $p) (local.get $n)))
 *     (block $done
 *       (loop $l
 *         (br_if $done (i32.ge_u (local.get $p) (local.get $end)))
 *         (local.set $a (f32x4.add (local.get $a) (v128.load (local.get $p))))
 *         (local.set $b (f32x4.add (local.get $b) (v128.load offset=16 (local.get $p))))
 *         (local.set $c (f32x4.add (local.get $c) (v128.load offset=32 (local.get $p))))
 *         (local.set $d (f32x4.add (local.get $d) (v128.load offset=48 (local.get $p))))
 *         (local.set $e (f32x4.add (local.get $e) (v128.load offset=64 (local.get $p))))
 *         (local.set $f (f32x4.add (local.get $f) (v128.load offset=80 (local.get $p))))
 *         (local.set $g (f32x4.add (local.get $g) (v128.load offset=96 (local.get $p))))
 *         (local.set $h (f32x4.add (local.get $h) (v128.load offset=112 (local.get $p))))
 *         (local.set $p (i32.add (local.get $p) (i32.const 128)))
 *         (br $l)))
 *     ;; s − s is 0 in every lane where s is finite, NaN where it is not.
 *     (local.set $s (f32x4.add
 *       (f32x4.add (f32x4.add (local.get $a) (local.get $b)) (f32x4.add (local.get $c) (local.get $d)))
 *       (f32x4.add (f32x4.add (local.get $e) (local.get $f)) (f32x4.add (local.get $g) (local.get $h)))))
 *     (local.set $s (f32x4.sub (local.get $s) (local.get $s)))
 *     (v128.any_true (f32x4.ne (local.get $s) (local.get $s))))
 * )
 * ```
 */

import { instantiateWasm } from './wasm-instance.js';

const SCAN_WASM = new Uint8Array([
  0x00, 0x61, 0x73, 0x6d, 0x01, 0x00, 0x00, 0x00, 0x01, 0x07, 0x01, 0x60, 0x02, 0x7f, 0x7f, 0x01, 0x7f, 0x03, 0x03,
  0x02, 0x00, 0x00, 0x05, 0x03, 0x01, 0x00, 0x01, 0x07, 0x25, 0x03, 0x06, 0x6d, 0x65, 0x6d, 0x6f, 0x72, 0x79, 0x02,
  0x00, 0x09, 0x6e, 0x6f, 0x6e, 0x46, 0x69, 0x6e, 0x69, 0x74, 0x65, 0x00, 0x00, 0x0c, 0x73, 0x75, 0x6d, 0x4e, 0x6f,
  0x6e, 0x46, 0x69, 0x6e, 0x69, 0x74, 0x65, 0x00, 0x01, 0x0a, 0xd9, 0x02, 0x02, 0x90, 0x01, 0x02, 0x01, 0x7f, 0x03,
  0x7b, 0x20, 0x00, 0x20, 0x01, 0x6a, 0x21, 0x02, 0xfd, 0x0c, 0x00, 0x00, 0x80, 0x7f, 0x00, 0x00, 0x80, 0x7f, 0x00,
  0x00, 0x80, 0x7f, 0x00, 0x00, 0x80, 0x7f, 0x21, 0x05, 0x02, 0x40, 0x03, 0x40, 0x20, 0x00, 0x20, 0x02, 0x4f, 0x0d,
  0x01, 0x20, 0x03, 0x20, 0x00, 0xfd, 0x00, 0x04, 0x00, 0x20, 0x05, 0xfd, 0x4e, 0x20, 0x05, 0xfd, 0x37, 0xfd, 0x50,
  0x21, 0x03, 0x20, 0x04, 0x20, 0x00, 0xfd, 0x00, 0x04, 0x10, 0x20, 0x05, 0xfd, 0x4e, 0x20, 0x05, 0xfd, 0x37, 0xfd,
  0x50, 0x21, 0x04, 0x20, 0x03, 0x20, 0x00, 0xfd, 0x00, 0x04, 0x20, 0x20, 0x05, 0xfd, 0x4e, 0x20, 0x05, 0xfd, 0x37,
  0xfd, 0x50, 0x21, 0x03, 0x20, 0x04, 0x20, 0x00, 0xfd, 0x00, 0x04, 0x30, 0x20, 0x05, 0xfd, 0x4e, 0x20, 0x05, 0xfd,
  0x37, 0xfd, 0x50, 0x21, 0x04, 0x20, 0x00, 0x41, 0xc0, 0x00, 0x6a, 0x21, 0x00, 0x0c, 0x00, 0x0b, 0x0b, 0x20, 0x03,
  0x20, 0x04, 0xfd, 0x50, 0xfd, 0x53, 0x0b, 0xc4, 0x01, 0x02, 0x01, 0x7f, 0x09, 0x7b, 0x20, 0x00, 0x20, 0x01, 0x6a,
  0x21, 0x02, 0x02, 0x40, 0x03, 0x40, 0x20, 0x00, 0x20, 0x02, 0x4f, 0x0d, 0x01, 0x20, 0x03, 0x20, 0x00, 0xfd, 0x00,
  0x04, 0x00, 0xfd, 0xe4, 0x01, 0x21, 0x03, 0x20, 0x04, 0x20, 0x00, 0xfd, 0x00, 0x04, 0x10, 0xfd, 0xe4, 0x01, 0x21,
  0x04, 0x20, 0x05, 0x20, 0x00, 0xfd, 0x00, 0x04, 0x20, 0xfd, 0xe4, 0x01, 0x21, 0x05, 0x20, 0x06, 0x20, 0x00, 0xfd,
  0x00, 0x04, 0x30, 0xfd, 0xe4, 0x01, 0x21, 0x06, 0x20, 0x07, 0x20, 0x00, 0xfd, 0x00, 0x04, 0x40, 0xfd, 0xe4, 0x01,
  0x21, 0x07, 0x20, 0x08, 0x20, 0x00, 0xfd, 0x00, 0x04, 0x50, 0xfd, 0xe4, 0x01, 0x21, 0x08, 0x20, 0x09, 0x20, 0x00,
  0xfd, 0x00, 0x04, 0x60, 0xfd, 0xe4, 0x01, 0x21, 0x09, 0x20, 0x0a, 0x20, 0x00, 0xfd, 0x00, 0x04, 0x70, 0xfd, 0xe4,
  0x01, 0x21, 0x0a, 0x20, 0x00, 0x41, 0x80, 0x01, 0x6a, 0x21, 0x00, 0x0c, 0x00, 0x0b, 0x0b, 0x20, 0x03, 0x20, 0x04,
  0xfd, 0xe4, 0x01, 0x20, 0x05, 0x20, 0x06, 0xfd, 0xe4, 0x01, 0xfd, 0xe4, 0x01, 0x20, 0x07, 0x20, 0x08, 0xfd, 0xe4,
  0x01, 0x20, 0x09, 0x20, 0x0a, 0xfd, 0xe4, 0x01, 0xfd, 0xe4, 0x01, 0xfd, 0xe4, 0x01, 0x21, 0x0b, 0x20, 0x0b, 0x20,
  0x0b, 0xfd, 0xe5, 0x01, 0x21, 0x0b, 0x20, 0x0b, 0x20, 0x0b, 0xfd, 0x42, 0xfd, 0x53, 0x0b,
]);

/**
 * Values copied and scanned per piece: 16 KiB stays in L1 and leaves L2 to the input and the weights
 * onnxruntime reads next (b=64 encoder API overhead 13–17 µs with 256 KiB pieces, 11 µs with these).
 */
const PIECE = 4096;
/** Below this many values the JavaScript pass is cheaper than the copy. */
const MIN_WASM = 4096;

interface Scanner {
  readonly view: Float32Array;
  readonly nonFinite: (byteOffset: number, byteLength: number) => number;
  readonly sumNonFinite: (byteOffset: number, byteLength: number) => number;
}

let scanner: Scanner | null | undefined;

function wasmScanner(): Scanner | null {
  if (scanner !== undefined) return scanner;
  const w = instantiateWasm(SCAN_WASM, PIECE * 4);
  scanner = w && {
    view: new Float32Array(w.memory.buffer, 0, PIECE),
    nonFinite: w.exports.nonFinite as Scanner['nonFinite'],
    sumNonFinite: w.exports.sumNonFinite as Scanner['sumNonFinite'],
  };
  return scanner;
}

/** `v·0` is 0 for finite v and NaN for NaN/±Infinity: one multiply-add per value. */
function jsHasNonFinite(d: Float32Array, from: number): boolean {
  let s = 0;
  let i = from;
  for (; i + 4 <= d.length; i += 4) s += d[i]! * 0 + d[i + 1]! * 0 + d[i + 2]! * 0 + d[i + 3]! * 0;
  for (; i < d.length; i++) s += d[i]! * 0;
  return s !== 0;
}

/** Below this many values the JavaScript pass is cheaper than a call into native code. */
const MIN_NATIVE = 256;

let nativeScan: ((d: Float32Array) => boolean) | null = null;

/**
 * Makes {@link hasNonFinite} call `scan` for arrays of 256 values or more: a platform's native scan,
 * which reads the caller's memory where WebAssembly must copy it first (`@vae/runtime-node` installs
 * `@vae/device-node`'s: 4–6 µs for a batch of 256 MNIST images instead of 23–27 µs). `null` goes back
 * to WebAssembly.
 */
export function setNonFiniteScan(scan: ((d: Float32Array) => boolean) | null): void {
  nativeScan = scan;
}

/** Whether `d` holds a NaN or ±Infinity. */
export function hasNonFinite(d: Float32Array): boolean {
  if (nativeScan && d.length >= MIN_NATIVE) return nativeScan(d);
  const s = d.length >= MIN_WASM ? wasmScanner() : null;
  if (!s) return jsHasNonFinite(d, 0);
  const bulk = d.length - (d.length % 32);
  for (let start = 0; start < bulk; start += PIECE) {
    const n = Math.min(PIECE, bulk - start);
    s.view.set(d.subarray(start, start + n));
    // The sum test is one add per 4 values; its rare false alarm (finite values whose sum overflows)
    // is settled by the exponent test on the same piece.
    if (s.sumNonFinite(0, n * 4) !== 0 && s.nonFinite(0, n * 4) !== 0) return true;
  }
  return jsHasNonFinite(d, bulk);
}
