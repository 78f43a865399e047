import { createRequire } from 'node:module';
import { inflateSync } from 'node:zlib';
import { readImageHeader, type ImageHeader } from '../image-header.js';
import { sizeText } from '@vae/core';
import { readJpegHeader } from '../jpeg-header.js';
import {
  MAX_IMAGE_PIXELS,
  checkImageHeader,
  maxInflatedBytes,
  pngImageData,
  readPngHeader,
  type ImageLimits,
} from '../png-header.js';
import { fitImage, sizeOfTarget, type FitOptions, type RawImage } from '../resize.js';
import { decodeJpegTurbo, jpegScale } from './jpeg-turbo.js';
import { decodePngFast } from './png-fast.js';

/** The decoders, loaded on first use (so that listing datasets, e.g. for `vae --help`, does not load them). */
const requireCjs = createRequire(import.meta.url);
let decoders: { PNG: typeof import('pngjs').PNG; jpeg: typeof import('jpeg-js') } | undefined;
function codecs(): NonNullable<typeof decoders> {
  decoders ??= {
    PNG: (requireCjs('pngjs') as typeof import('pngjs')).PNG,
    jpeg: requireCjs('jpeg-js') as typeof import('jpeg-js'),
  };
  return decoders;
}

/** A decoded image with what its header said. */
export interface DecodedImage extends RawImage {
  readonly header: ImageHeader;
}

function decodePng(bytes: Uint8Array, name: string): RawImage {
  const header = readPngHeader(bytes, name);
  const fast = decodePngFast(bytes, name, header);
  if (fast) return fast;
  const { PNG } = codecs();
  let png: InstanceType<typeof PNG>;
  try {
    // pngjs bounds the inflated data by the header's size, except for interlaced images: bound it here.
    if (header.interlaced) inflateSync(pngImageData(bytes), { maxOutputLength: maxInflatedBytes(header) });
    png = PNG.sync.read(Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength));
  } catch (err) {
    const e = err as NodeJS.ErrnoException;
    if (e.code === 'ERR_BUFFER_TOO_LARGE')
      throw new RangeError(
        `${name}: expected at most ${maxInflatedBytes(header)} bytes of image data for ${sizeText(header.height, header.width, header.channels)}, got more; not decoded`,
      );
    throw new Error(`${name}: expected a PNG image, got undecodable bytes (${e.message})`);
  }
  const data = png.data;
  return {
    width: png.width,
    height: png.height,
    channels: 4,
    pixels: new Uint8Array(data.buffer, data.byteOffset, data.length),
  };
}

function decodeJpeg(
  bytes: Uint8Array,
  name: string,
  header: ImageHeader,
  maxPixels: number,
  cover: readonly [number, number] | null,
): RawImage {
  const frame = readJpegHeader(bytes, name);
  const turbo = decodeJpegTurbo(bytes, name, frame, jpegScale(frame, cover));
  if (turbo) return turbo;
  let img: { width: number; height: number; data: Uint8Array };
  try {
    img = codecs().jpeg.decode(bytes, {
      useTArray: true,
      formatAsRGBA: false,
      tolerantDecoding: false,
      maxResolutionInMP: Math.ceil(maxPixels / 1e6),
      maxMemoryUsageInMB: Math.max(64, Math.ceil((maxPixels * 4 * 3) / 2 ** 20)),
    });
  } catch (err) {
    throw new Error(`${name}: expected a JPEG image, got undecodable bytes (${(err as Error).message})`);
  }
  const channels = img.data.length / (img.width * img.height);
  if (img.width !== header.width || img.height !== header.height || !Number.isInteger(channels))
    throw new Error(
      `${name}: expected a JPEG ${sizeText(header.height, header.width)} as its header says, got ${sizeText(img.height, img.width)} from the decoder`,
    );
  return { width: img.width, height: img.height, channels, pixels: img.data };
}

/**
 * Decodes a PNG or JPEG file's bytes, told apart by their signatures: 8-bit grey/RGB(A) PNGs by
 * zlib and an unfilter here, other PNGs by pngjs; 8-bit grey and colour JPEGs by libjpeg-turbo
 * (WebAssembly), CMYK and 12-bit ones by jpeg-js. The header is read and checked against `limits`
 * first (at most `MAX_IMAGE_PIXELS` unless told otherwise, the required size when given), so an
 * oversized image (a decompression bomb) is refused before a pixel is decoded. With `cover`
 * (`[height, width]` the image will be resized to cover), a JPEG reduced by more than 1/8 is
 * decoded at n/8 of its size in the DCT domain, still covering it. Errors name `name` (the file)
 * and what was expected.
 */
export function decodeImage(
  bytes: Uint8Array,
  name: string,
  limits: ImageLimits = {},
  cover: readonly [number, number] | null = null,
): DecodedImage {
  const header = readImageHeader(bytes, name);
  checkImageHeader(header, name, limits);
  // jpeg-js enforces the same budget again (in whole megapixels) while it allocates.
  const maxPixels = limits.maxPixels ?? MAX_IMAGE_PIXELS;
  const img = header.format === 'png' ? decodePng(bytes, name) : decodeJpeg(bytes, name, header, maxPixels, cover);
  return { ...img, header };
}

/**
 * `bytes` decoded ({@link decodeImage}) and fitted to `fit` (channels, then resized to cover its
 * size and centre-cropped) exactly as the folder cache makes a row, the JPEG DCT scaling for that
 * size included: a single file given to a model (e.g. `vae search --image`) goes through this to
 * match its cached row. Writes into `out` at `offset` when given.
 */
export function decodeAndFit(
  bytes: Uint8Array,
  name: string,
  fit: FitOptions,
  limits: ImageLimits = {},
  out?: Uint8Array,
  offset = 0,
): { readonly image: DecodedImage; readonly pixels: Uint8Array } {
  const image = decodeImage(bytes, name, limits, fit.size === null ? null : sizeOfTarget(fit.size));
  return { image, pixels: fitImage(image, fit, out, offset) };
}
