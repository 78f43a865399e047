/**
 * PNG image headers read before decoding (browser-safe), so that an image's size is checked before
 * any pixel is inflated: a 20000×20000 PNG of 1.9 MB would otherwise decode to 1.6 GB of RGBA.
 */
import { sizeText } from '@vae/core';

/** What a PNG's IHDR chunk says. */
export interface PngHeader {
  readonly width: number;
  readonly height: number;
  /** Channels of the stored pixels: 1 grey or palette, 2 grey + alpha, 3 RGB, 4 RGBA. */
  readonly channels: number;
  readonly bitDepth: number;
  /** Adam7-interlaced (decoders inflate such images without a size bound: see `readPngGrey`). */
  readonly interlaced: boolean;
}

/** Largest image (width × height) decoded unless told otherwise: 4096 × 4096. */
export const MAX_IMAGE_PIXELS = 4096 * 4096;

const SIGNATURE = [0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a];
/** Channels per PNG colour type (0 grey, 2 RGB, 3 palette, 4 grey + alpha, 6 RGBA). */
const CHANNELS: Readonly<Record<number, number>> = { 0: 1, 2: 3, 3: 1, 4: 2, 6: 4 };

/**
 * Reads the PNG signature and IHDR chunk (the first 29 bytes of the file); throws an Error naming
 * `name` when `bytes` do not start like a PNG.
 */
export function readPngHeader(bytes: Uint8Array, name: string): PngHeader {
  const isPng = bytes.length >= 29 && SIGNATURE.every((b, i) => bytes[i] === b);
  const ihdr = isPng && String.fromCharCode(...bytes.subarray(12, 16)) === 'IHDR';
  if (!ihdr) throw new Error(`${name}: expected a PNG image, got undecodable bytes (no PNG signature and IHDR chunk)`);
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const channels = CHANNELS[bytes[25] ?? -1];
  if (channels === undefined) throw new Error(`${name}: expected a PNG colour type 0, 2, 3, 4 or 6, got ${bytes[25]}`);
  return {
    width: view.getUint32(16, false),
    height: view.getUint32(20, false),
    channels,
    bitDepth: bytes[24]!,
    interlaced: bytes[28] === 1,
  };
}

/** What {@link checkImageHeader} accepts. */
export interface ImageLimits {
  /** Required `[height, width]` (e.g. the model's), or none. */
  readonly size?: readonly [number, number];
  /** Where `size` comes from, named in the error (e.g. a folder's first image, which sets the others' size). */
  readonly sizeOf?: string;
  /** Most pixels (width × height), default {@link MAX_IMAGE_PIXELS}. */
  readonly maxPixels?: number;
}

/** Throws a RangeError naming `name` when the header's size is not `limits.size` or over `limits.maxPixels`. */
export function checkImageHeader(
  header: Pick<PngHeader, 'width' | 'height' | 'channels'>,
  name: string,
  limits: ImageLimits = {},
): void {
  const got = sizeText(header.height, header.width);
  const size = limits.size;
  if (size && (header.height !== size[0] || header.width !== size[1]))
    throw new RangeError(
      `${name}: expected ${sizeText(size[0], size[1])}${limits.sizeOf ? ` like ${limits.sizeOf}` : ''}, got ${got} (read from its header; not decoded)`,
    );
  const max = limits.maxPixels ?? MAX_IMAGE_PIXELS;
  if (header.width * header.height > max || header.width === 0 || header.height === 0)
    throw new RangeError(
      `${name}: expected an image of 1 to ${max} pixels, got ${got} = ${header.width * header.height} pixels (read from its header; not decoded)`,
    );
}

/**
 * The concatenated IDAT chunk data of a PNG (its zlib stream), walking the chunks after the
 * signature; stops at IEND or at the end of `bytes`.
 */
export function pngImageData(bytes: Uint8Array): Uint8Array {
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const parts: Uint8Array[] = [];
  for (let at = 8; at + 8 <= bytes.length; ) {
    const length = view.getUint32(at, false);
    const type = String.fromCharCode(...bytes.subarray(at + 4, at + 8));
    if (type === 'IEND') break;
    if (type === 'IDAT') parts.push(bytes.subarray(at + 8, Math.min(at + 8 + length, bytes.length)));
    at += 12 + length;
  }
  const out = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
  let offset = 0;
  for (const p of parts) {
    out.set(p, offset);
    offset += p.length;
  }
  return out;
}

/**
 * The most bytes a PNG's image data may inflate to: every row of every Adam7 pass with its filter
 * byte (at most the plain layout plus one filter byte per row per pass).
 */
export function maxInflatedBytes(h: PngHeader): number {
  const rowBytes = Math.ceil((h.width * h.channels * h.bitDepth) / 8);
  return (rowBytes + 1) * h.height + (h.interlaced ? 7 * h.height + 7 * 8 : 0);
}
