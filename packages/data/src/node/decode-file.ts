import { readFile, stat } from 'node:fs/promises';
import { MAX_IMAGE_PIXELS } from '../png-header.js';
import { fitImage, type TargetSize } from '../resize.js';
import { decodeImage } from './decode.js';

/** How every image of a folder is decoded into a row of the pixel cache. */
export interface DecodeTarget {
  /** Resize to cover this size and centre-crop; null keeps each image's size, which must then be `requireSize`. */
  readonly size: TargetSize | null;
  /** The size `[height, width]` every image must have when `size` is null (the first image's). */
  readonly requireSize: readonly [number, number] | null;
  readonly channels: 1 | 3;
  /** Most pixels an image's header may claim (default `MAX_IMAGE_PIXELS`, 4096²). */
  readonly maxPixels?: number;
  /** Largest file read (default 64 MiB). */
  readonly maxFileBytes?: number;
}

/** Largest image file read unless told otherwise: 64 MiB. */
export const MAX_IMAGE_FILE_BYTES = 64 * 2 ** 20;

/** One decoded file: its row of model input bytes, and what it was. */
export interface DecodedRow {
  readonly width: number;
  readonly height: number;
  /** Whether the file holds colour (its header: RGB, palette, YCbCr…) rather than grey levels. */
  readonly colour: boolean;
}

/** Reads a file after checking its size against `maxBytes`; errors name the file. */
export async function readImageFile(path: string, maxBytes = MAX_IMAGE_FILE_BYTES): Promise<Uint8Array> {
  try {
    const s = await stat(path);
    if (s.size > maxBytes)
      throw new RangeError(`${path}: expected an image file of at most ${maxBytes} bytes, got ${s.size}; not read`);
    return await readFile(path);
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    if (code) throw new Error(`${path}: could not be read (${code}: ${(err as Error).message})`);
    throw err;
  }
}

/**
 * Decodes the image file `path` into `out` at `offset` as `target` says (header checked first: size
 * budget and, without resizing, the required size). Errors name the file and the expected value.
 */
export async function decodeFileInto(
  path: string,
  target: DecodeTarget,
  out: Uint8Array,
  offset: number,
): Promise<DecodedRow> {
  const bytes = await readImageFile(path, target.maxFileBytes);
  const limits = {
    maxPixels: target.maxPixels ?? MAX_IMAGE_PIXELS,
    ...(target.size === null && target.requireSize ? { size: target.requireSize } : {}),
  };
  let img: ReturnType<typeof decodeImage>;
  try {
    img = decodeImage(bytes, path, limits);
  } catch (err) {
    if (err instanceof RangeError && limits.size)
      err.message += '; pass --image-size N to resize every image to N×N (short side, centre crop)';
    throw err;
  }
  fitImage(img, { size: target.size, channels: target.channels }, out, offset);
  return { width: img.width, height: img.height, colour: img.header.colour };
}
