import { crc32, inflateSync } from 'node:zlib';
import { sizeText } from '@vae/core';
import { maxInflatedBytes, type PngHeader } from '../png-header.js';
import type { RawImage } from '../resize.js';

/**
 * The common PNG, decoded without pngjs: 8-bit, not interlaced, grey, grey + alpha, RGB or RGBA,
 * no transparency chunk. The chunks' CRCs are checked, the image data is inflated by zlib with its
 * output bounded by the header's size, and the rows are unfiltered in place, straight to the
 * stored channels (no RGBA expansion). Anything else returns null: pngjs decodes it.
 */

function chunkType(bytes: Uint8Array, at: number): string {
  return String.fromCharCode(bytes[at]!, bytes[at + 1]!, bytes[at + 2]!, bytes[at + 3]!);
}

/** The IDAT data, CRCs checked; null when a chunk asks for what this path does not do (tRNS). */
function imageData(bytes: Uint8Array, name: string): Uint8Array | null {
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const parts: Uint8Array[] = [];
  let total = 0;
  for (let at = 8; ; ) {
    if (at + 12 > bytes.length)
      throw new Error(`${name}: expected a PNG image, got undecodable bytes (truncated at byte ${at})`);
    const length = view.getUint32(at, false);
    const type = chunkType(bytes, at + 4);
    const end = at + 8 + length;
    if (end + 4 > bytes.length)
      throw new Error(`${name}: expected a PNG image, got undecodable bytes (truncated ${type} chunk)`);
    if (crc32(bytes.subarray(at + 4, end)) !== view.getUint32(end, false))
      throw new Error(`${name}: expected a PNG image, got undecodable bytes (bad CRC in the ${type} chunk)`);
    if (type === 'tRNS') return null;
    if (type === 'IDAT') {
      parts.push(bytes.subarray(at + 8, end));
      total += length;
    }
    if (type === 'IEND') break;
    at = end + 4;
  }
  if (parts.length === 1) return parts[0]!;
  const out = new Uint8Array(total);
  let offset = 0;
  for (const p of parts) {
    out.set(p, offset);
    offset += p.length;
  }
  return out;
}

/** Reverses the PNG row filters of `data` (rows of 1 + `stride` bytes) into `out`. */
function unfilter(data: Uint8Array, out: Uint8Array, height: number, stride: number, bpp: number, name: string): void {
  for (let y = 0; y < height; y++) {
    const filter = data[y * (stride + 1)]!;
    const src = y * (stride + 1) + 1;
    const row = y * stride;
    const up = row - stride;
    switch (filter) {
      case 0:
        out.set(data.subarray(src, src + stride), row);
        break;
      case 1:
        for (let i = 0; i < stride; i++) out[row + i] = data[src + i]! + (i >= bpp ? out[row + i - bpp]! : 0);
        break;
      case 2:
        if (y === 0) out.set(data.subarray(src, src + stride), row);
        else for (let i = 0; i < stride; i++) out[row + i] = data[src + i]! + out[up + i]!;
        break;
      case 3:
        for (let i = 0; i < stride; i++) {
          const a = i >= bpp ? out[row + i - bpp]! : 0;
          const b = y > 0 ? out[up + i]! : 0;
          out[row + i] = data[src + i]! + ((a + b) >> 1);
        }
        break;
      case 4:
        for (let i = 0; i < stride; i++) {
          const a = i >= bpp ? out[row + i - bpp]! : 0;
          const b = y > 0 ? out[up + i]! : 0;
          const c = i >= bpp && y > 0 ? out[up + i - bpp]! : 0;
          const p = a + b - c;
          const pa = Math.abs(p - a);
          const pb = Math.abs(p - b);
          const pc = Math.abs(p - c);
          out[row + i] = data[src + i]! + (pa <= pb && pa <= pc ? a : pb <= pc ? b : c);
        }
        break;
      default:
        throw new Error(`${name}: expected a PNG image, got undecodable bytes (row ${y} has filter type ${filter})`);
    }
  }
}

/**
 * Decodes the common PNG (see the module comment) whose header is `header`; null when the file is
 * of another kind. Errors name `name`: corrupt chunks, data that inflates past the header's size
 * (a RangeError) or to less.
 */
export function decodePngFast(bytes: Uint8Array, name: string, header: PngHeader): RawImage | null {
  const colourType = bytes[25];
  if (header.bitDepth !== 8 || header.interlaced || colourType === 3) return null;
  const data = imageData(bytes, name);
  if (!data) return null;
  const { width, height, channels } = header;
  const stride = width * channels;
  const expected = (stride + 1) * height;
  let inflated: Uint8Array;
  try {
    inflated = inflateSync(data, { maxOutputLength: Math.max(expected, maxInflatedBytes(header)) });
  } catch (err) {
    const e = err as NodeJS.ErrnoException;
    if (e.code === 'ERR_BUFFER_TOO_LARGE')
      throw new RangeError(
        `${name}: expected at most ${expected} bytes of image data for ${sizeText(height, width, channels)}, got more; not decoded`,
      );
    throw new Error(`${name}: expected a PNG image, got undecodable bytes (${e.message})`);
  }
  if (inflated.length < expected)
    throw new Error(
      `${name}: expected a PNG image, got undecodable bytes (${inflated.length} bytes of image data, ${expected} needed for ${sizeText(height, width, channels)})`,
    );
  const pixels = new Uint8Array(stride * height);
  unfilter(inflated, pixels, height, stride, channels, name);
  return { width, height, channels, pixels };
}
