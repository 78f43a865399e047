import { inflateSync } from 'node:zlib';
import { PNG } from 'pngjs';
import { checkImageHeader, maxInflatedBytes, pngImageData, readPngHeader, type ImageLimits } from './png-header.js';

/** A decoded single-channel image: `width × height` grey levels 0–255, row-major. */
export interface GreyImage {
  readonly width: number;
  readonly height: number;
  readonly pixels: Uint8Array;
}

/**
 * Decodes PNG file bytes to grey levels: colour is converted with the ITU-R BT.601 luma weights
 * (0.299 R + 0.587 G + 0.114 B) and transparency is composited over black (MNIST's background).
 * The header is checked against `limits` first (the required size, at most `MAX_IMAGE_PIXELS`
 * pixels), so an oversized image is refused before it is decoded. `name` (the file) is named in
 * the errors.
 */
export function readPngGrey(bytes: Uint8Array, name: string, limits: ImageLimits = {}): GreyImage {
  const header = readPngHeader(bytes, name);
  checkImageHeader(header, name, limits);
  let png: PNG;
  try {
    // pngjs bounds the inflated data by the header's size, except for interlaced images: bound it here.
    if (header.interlaced) inflateSync(pngImageData(bytes), { maxOutputLength: maxInflatedBytes(header) });
    png = PNG.sync.read(Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength));
  } catch (err) {
    const e = err as NodeJS.ErrnoException;
    if (e.code === 'ERR_BUFFER_TOO_LARGE')
      throw new RangeError(
        `${name}: expected at most ${maxInflatedBytes(header)} bytes of image data for ${header.height}×${header.width}×${header.channels}, got more; not decoded`,
      );
    throw new Error(`${name}: expected a PNG image, got undecodable bytes (${e.message})`);
  }
  const { width, height, data } = png;
  const pixels = new Uint8Array(width * height);
  for (let i = 0; i < pixels.length; i++) {
    const o = 4 * i;
    const luma = 0.299 * data[o]! + 0.587 * data[o + 1]! + 0.114 * data[o + 2]!;
    pixels[i] = Math.round((luma * data[o + 3]!) / 255);
  }
  return { width, height, pixels };
}
