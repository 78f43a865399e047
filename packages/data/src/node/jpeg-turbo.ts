import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { sizeText } from '@vae/core';
import type { JpegHeader } from '../jpeg-header.js';
import type { RawImage } from '../resize.js';

/**
 * JPEG decoding with libjpeg-turbo compiled to WebAssembly (the `.wasm` of npm `@cwasm/jpeg-turbo`,
 * read from the installed package: nothing is downloaded), called through its TurboJPEG exports
 * directly: RGB or grey out (no RGBA), one decompressor and reused buffers per thread, and
 * libjpeg's DCT-domain scaling (n/8) when the image is reduced by more than 1/8.
 */

const CORRUPT = 'libjpeg-turbo: corrupt or truncated data';
/** TurboJPEG pixel formats. */
const TJPF_RGB = 0;
const TJPF_GRAY = 6;

interface TurboExports {
  readonly memory: WebAssembly.Memory;
  malloc(bytes: number): number;
  free(ptr: number): void;
  tjInitDecompress(): number;
  tjDestroy(handle: number): number;
  tjDecompressHeader3(h: number, src: number, size: number, w: number, hh: number, sub: number, cs: number): number;
  tjDecompress2(
    h: number,
    src: number,
    size: number,
    dst: number,
    w: number,
    pitch: number,
    hh: number,
    pf: number,
    flags: number,
  ): number;
}

/** One instance with its decompressor and buffers (dropped after a trap: its heap may be inconsistent). */
interface Turbo {
  readonly x: TurboExports;
  readonly handle: number;
  /** 16 bytes for the header's width, height, subsampling and colour space. */
  readonly meta: number;
  input: { ptr: number; size: number };
  output: { ptr: number; size: number };
}

let compiled: WebAssembly.Module | undefined;
let live: Turbo | undefined;

function trap(what: string): () => never {
  return () => {
    throw new Error(`libjpeg-turbo: ${what}`);
  };
}

function instantiate(): Turbo {
  if (!compiled) {
    const file = createRequire(import.meta.url).resolve('@cwasm/jpeg-turbo/jpeg-turbo.wasm');
    compiled = new WebAssembly.Module(readFileSync(file));
  }
  // libjpeg's error exit longjmps: without setjmp support it traps here (the instance is then dropped).
  const instance = new WebAssembly.Instance(compiled, {
    env: { setjmp: () => 0, longjmp: trap('corrupt data (error exit)') },
    wasi_snapshot_preview1: {
      environ_sizes_get: () => 0,
      environ_get: trap('environ_get'),
      proc_exit: trap('exit'),
      fd_close: trap('fd_close'),
      fd_seek: trap('fd_seek'),
      fd_write: trap('corrupt data (message)'),
    },
  });
  const x = instance.exports as unknown as TurboExports;
  const handle = x.tjInitDecompress();
  if (handle === 0) throw new Error('libjpeg-turbo: could not allocate a decompressor');
  const meta = x.malloc(16);
  if (meta === 0) throw new Error('libjpeg-turbo: could not allocate 16 bytes');
  return { x, handle, meta, input: { ptr: 0, size: 0 }, output: { ptr: 0, size: 0 } };
}

/** A buffer of at least `size` bytes in the instance's heap (grown, never shrunk). */
function reserve(t: Turbo, slot: 'input' | 'output', size: number): number {
  const b = t[slot];
  if (b.size < size) {
    if (b.ptr) t.x.free(b.ptr);
    const want = Math.max(size, 2 * b.size, 1 << 16);
    const ptr = t.x.malloc(want);
    if (ptr === 0) throw new Error(`libjpeg-turbo: could not allocate ${want} bytes`);
    t[slot] = { ptr, size: want };
  }
  return t[slot].ptr;
}

/** `dim` scaled by `n`/8 as libjpeg rounds it (up). */
function scaled(dim: number, n: number): number {
  return Math.ceil((dim * n) / 8);
}

/**
 * The DCT scale n/8 (1–8) for an image of `header`'s size that must still cover `cover` = `[height,
 * width]` after scaling: the smallest n with both sides at least the cover size's (8: no scaling).
 */
export function jpegScale(
  header: Pick<JpegHeader, 'width' | 'height'>,
  cover: readonly [number, number] | null,
): number {
  if (!cover) return 8;
  const s = Math.max(cover[1] / header.width, cover[0] / header.height);
  // n/8 ≥ s, so each scaled side (rounded up) is at least the cover size's.
  return Math.min(8, Math.max(1, Math.ceil(8 * s)));
}

/**
 * Decodes a baseline or progressive 8-bit JPEG of 1 (grey) or 3 (colour) components, scaled by
 * `n`/8 in the DCT domain (`n` = 8: full size); returns null for other JPEGs (CMYK, 12-bit), which
 * the caller decodes otherwise. A corrupt or truncated file (libjpeg's warnings included) throws an
 * Error naming `name`.
 */
export function decodeJpegTurbo(bytes: Uint8Array, name: string, header: JpegHeader, n = 8): RawImage | null {
  if (header.precision !== 8 || (header.components !== 1 && header.components !== 3)) return null;
  const channels = header.components === 1 ? 1 : 3;
  const width = scaled(header.width, n);
  const height = scaled(header.height, n);
  live ??= instantiate();
  const t = live;
  try {
    const src = reserve(t, 'input', bytes.length);
    const dst = reserve(t, 'output', width * height * channels);
    new Uint8Array(t.x.memory.buffer, src, bytes.length).set(bytes);
    const m = t.meta;
    if (t.x.tjDecompressHeader3(t.handle, src, bytes.length, m, m + 4, m + 8, m + 12) !== 0) throw new Error(CORRUPT);
    const [w, h] = new Int32Array(t.x.memory.buffer, m, 2);
    if (w !== header.width || h !== header.height)
      throw new Error(
        `libjpeg-turbo reads ${sizeText(h!, w!)}, the frame header says ${sizeText(header.height, header.width)}`,
      );
    const status = t.x.tjDecompress2(
      t.handle,
      src,
      bytes.length,
      dst,
      width,
      width * channels,
      height,
      channels === 1 ? TJPF_GRAY : TJPF_RGB,
      0,
    );
    if (status !== 0) throw new Error(CORRUPT);
    return {
      width,
      height,
      channels,
      pixels: new Uint8Array(t.x.memory.buffer, dst, width * height * channels).slice(),
    };
  } catch (err) {
    // A trap leaves the instance's heap in an unknown state: the next file gets a fresh one.
    if (!(err instanceof Error && err.message === CORRUPT)) live = undefined;
    throw new Error(`${name}: expected a JPEG image, got undecodable bytes (${(err as Error).message})`);
  }
}
