import { isJpeg, readJpegHeader } from './jpeg-header.js';
import { readPngHeader } from './png-header.js';

/** Image formats the decoders read. */
export const IMAGE_FORMATS = Object.freeze({ png: ['.png'], jpeg: ['.jpg', '.jpeg'] });
/** An image format name. */
export type ImageFormat = keyof typeof IMAGE_FORMATS;

/** What an image file's header says, whatever its format. */
export interface ImageHeader {
  readonly format: ImageFormat;
  readonly width: number;
  readonly height: number;
  /** Channels as stored (PNG: 1 grey or palette, 2 grey + alpha, 3 RGB, 4 RGBA; JPEG: its components). */
  readonly channels: number;
  /** Whether the image has colour (RGB, palette, YCbCr, CMYK) rather than grey levels only. */
  readonly colour: boolean;
}

const PNG_SIGNATURE = [0x89, 0x50, 0x4e, 0x47];

/** Whether `name` ends with an extension of a readable image format (case-insensitive). */
export function isImageFileName(name: string): boolean {
  const lower = name.toLowerCase();
  return Object.values(IMAGE_FORMATS).some((exts) => exts.some((e) => lower.endsWith(e)));
}

/**
 * Reads the header of a PNG or JPEG (told apart by their signatures, not by the file name); throws
 * an Error naming `name` when `bytes` are neither.
 */
export function readImageHeader(bytes: Uint8Array, name: string): ImageHeader {
  if (isJpeg(bytes)) {
    const h = readJpegHeader(bytes, name);
    return { format: 'jpeg', width: h.width, height: h.height, channels: h.components, colour: h.components >= 3 };
  }
  if (PNG_SIGNATURE.every((b, i) => bytes[i] === b)) {
    const h = readPngHeader(bytes, name);
    // Colour types 2 (RGB), 3 (palette) and 6 (RGBA) are colour; 0 and 4 are grey.
    const colourType = bytes[25];
    return {
      format: 'png',
      width: h.width,
      height: h.height,
      channels: h.channels,
      colour: colourType === 2 || colourType === 3 || colourType === 6,
    };
  }
  const head = Array.from(bytes.subarray(0, 4), (b) => b.toString(16).padStart(2, '0')).join(' ');
  throw new Error(
    `${name}: expected a PNG or JPEG image, got ${bytes.length === 0 ? 'an empty file' : `bytes starting ${head}`}`,
  );
}
