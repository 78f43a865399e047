import { closeSync, fstatSync, openSync, readSync, writeSync } from 'node:fs';
import { MAX_IMAGE_PIXELS } from '../png-header.js';
import type { TargetSize } from '../resize.js';
import { decodeAndFit } from './decode.js';

/** How every image of a folder is decoded into a row of the pixel cache. */
export interface DecodeTarget {
  /** Resize to cover this size and centre-crop; null keeps each image's size, which must then be `requireSize`. */
  readonly size: TargetSize | null;
  /** The size `[height, width]` every image must have when `size` is null (the first image's). */
  readonly requireSize: readonly [number, number] | null;
  /** The file that set `requireSize` (the folder's first image), named when another image differs. */
  readonly requireSizeOf?: string;
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
export function readImageFileSync(path: string, maxBytes = MAX_IMAGE_FILE_BYTES): Uint8Array {
  let fd: number | undefined;
  try {
    fd = openSync(path, 'r');
    const size = fstatSync(fd).size;
    if (size > maxBytes)
      throw new RangeError(`${path}: expected an image file of at most ${maxBytes} bytes, got ${size}; not read`);
    const out = Buffer.allocUnsafe(size);
    let filled = 0;
    while (filled < size) {
      const n = readSync(fd, out, filled, size - filled, filled);
      if (n === 0) break;
      filled += n;
    }
    return out.subarray(0, filled);
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    if (code) throw new Error(`${path}: could not be read (${code}: ${(err as Error).message})`);
    throw err;
  } finally {
    if (fd !== undefined) closeSync(fd);
  }
}

/** {@link readImageFileSync}, as a promise. */
export async function readImageFile(path: string, maxBytes = MAX_IMAGE_FILE_BYTES): Promise<Uint8Array> {
  return readImageFileSync(path, maxBytes);
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
  return decodeFileSync(path, target, out, offset);
}

/** {@link decodeFileInto}, synchronously (reading included: the decoding threads have nothing else to do). */
export function decodeFileSync(path: string, target: DecodeTarget, out: Uint8Array, offset: number): DecodedRow {
  const bytes = readImageFileSync(path, target.maxFileBytes);
  const limits = {
    maxPixels: target.maxPixels ?? MAX_IMAGE_PIXELS,
    ...(target.size === null && target.requireSize ? { size: target.requireSize } : {}),
    ...(target.size === null && target.requireSizeOf ? { sizeOf: target.requireSizeOf } : {}),
  };
  try {
    const { header } = decodeAndFit(
      bytes,
      path,
      { size: target.size, channels: target.channels },
      limits,
      out,
      offset,
    ).image;
    return { width: header.width, height: header.height, colour: header.colour };
  } catch (err) {
    if (err instanceof RangeError && limits.size)
      err.message += '; pass --image-size N to resize every image to N×N (short side, centre crop)';
    throw err;
  }
}

/**
 * Decodes `paths[k]` into row `rows[k]` of the open pixel file `fd` (`rowBytes` per row, written at
 * its offset: threads share the descriptor); returns whether each file was colour (1) or grey (0).
 */
export function decodeRowsToFile(
  paths: readonly string[],
  rows: ArrayLike<number>,
  target: DecodeTarget,
  rowBytes: number,
  fd: number,
): Uint8Array {
  const pixels = new Uint8Array(paths.length * rowBytes);
  const colour = new Uint8Array(paths.length);
  for (const [k, path] of paths.entries())
    colour[k] = decodeFileSync(path, target, pixels, k * rowBytes).colour ? 1 : 0;
  for (let k = 0; k < paths.length; k++)
    writeRow(fd, pixels.subarray(k * rowBytes, (k + 1) * rowBytes), rows[k]! * rowBytes);
  return colour;
}

function writeRow(fd: number, row: Uint8Array, position: number): void {
  for (let done = 0; done < row.length; ) done += writeSync(fd, row, done, row.length - done, position + done);
}
