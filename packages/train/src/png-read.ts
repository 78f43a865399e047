import { PNG } from 'pngjs';

/** A decoded single-channel image: `width × height` grey levels 0–255, row-major. */
export interface GreyImage {
  readonly width: number;
  readonly height: number;
  readonly pixels: Uint8Array;
}

/**
 * Decodes PNG file bytes to grey levels: colour is converted with the ITU-R BT.601 luma weights
 * (0.299 R + 0.587 G + 0.114 B) and transparency is composited over black (MNIST's background).
 * `name` (the file) is named in the error when the bytes are not a PNG.
 */
export function readPngGrey(bytes: Uint8Array, name: string): GreyImage {
  let png: PNG;
  try {
    png = PNG.sync.read(Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength));
  } catch (err) {
    throw new Error(`${name}: expected a PNG image, got undecodable bytes (${(err as Error).message})`);
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
