/**
 * Fitting images to a model's square input (browser-safe): the short side is resized to `size` and
 * the long side centre-cropped (torchvision's `Resize(size)` + `CenterCrop(size)`), with PIL's
 * antialiased bilinear filter (a triangle whose support widens with the reduction factor, so a
 * reduction averages every source pixel instead of skipping some). Channels are converted first:
 * alpha is composited over black (as MNIST's background), colour to grey with the ITU-R BT.601 luma
 * weights, grey to colour by repeating it.
 */
import { sizeText } from '@vae/core';

/** A decoded image: `width × height × channels` bytes, row-major, channels interleaved (1 grey, 2 grey + alpha, 3 RGB, 4 RGBA). */
export interface RawImage {
  readonly width: number;
  readonly height: number;
  readonly channels: number;
  readonly pixels: Uint8Array;
}

/** The channels of an image once alpha is dropped: 1 (grey, grey + alpha) or 3 (RGB, RGBA). */
export function colourChannels(channels: number): 1 | 3 {
  if (channels === 1 || channels === 2) return 1;
  if (channels === 3 || channels === 4) return 3;
  throw new RangeError(`channels: expected 1, 2, 3 or 4, got ${channels}`);
}

/**
 * `img` as `channels` (1 or 3) channels per pixel: alpha composited over black, RGB → grey by
 * BT.601 luma (0.299 R + 0.587 G + 0.114 B, rounded), grey → RGB by repetition. Returns `img.pixels`
 * itself when nothing changes.
 */
export function convertChannels(img: RawImage, channels: 1 | 3): Uint8Array {
  const { pixels: p, channels: c } = img;
  if (c === channels) return p;
  const n = img.width * img.height;
  const out = new Uint8Array(n * channels);
  if (c !== 1 && c !== 2 && c !== 3 && c !== 4) throw new RangeError(`channels: expected 1, 2, 3 or 4, got ${c}`);
  const alpha = c === 2 || c === 4;
  for (let i = 0; i < n; i++) {
    const o = i * c;
    const a = alpha ? p[o + c - 1]! : 255;
    if (c <= 2) {
      const g = Math.round((p[o]! * a) / 255);
      if (channels === 1) out[i] = g;
      else out[3 * i] = out[3 * i + 1] = out[3 * i + 2] = g;
    } else if (channels === 1) {
      out[i] = Math.round(((0.299 * p[o]! + 0.587 * p[o + 1]! + 0.114 * p[o + 2]!) * a) / 255);
    } else {
      out[3 * i] = Math.round((p[o]! * a) / 255);
      out[3 * i + 1] = Math.round((p[o + 1]! * a) / 255);
      out[3 * i + 2] = Math.round((p[o + 2]! * a) / 255);
    }
  }
  return out;
}

/** Output size `[height, width]`: a number is a square. */
export type TargetSize = number | readonly [number, number];

/** `[height, width]` of a target size. */
export function sizeOfTarget(size: TargetSize): readonly [number, number] {
  return typeof size === 'number' ? [size, size] : size;
}

/**
 * The source window an image of `width × height` is cropped to for a `size` output: the largest
 * centred window of the output's aspect ratio (its short side, for a square), which may start at a
 * fraction of a pixel.
 */
export function coverWindow(
  width: number,
  height: number,
  size: TargetSize,
): { x0: number; y0: number; width: number; height: number } {
  const [oh, ow] = sizeOfTarget(size);
  const scale = Math.max(ow / width, oh / height);
  const w = ow / scale;
  const h = oh / scale;
  return { x0: (width - w) / 2, y0: (height - h) / 2, width: w, height: h };
}

/** Filter taps of one axis: output `i` reads `count[i]` source positions from `start[i]`, with weights at `weights[i·taps …]`. */
interface Taps {
  readonly start: Int32Array;
  readonly count: Int32Array;
  readonly weights: Float32Array;
  readonly taps: number;
}

/** PIL's antialiased bilinear taps (`ImagingResample`, `precompute_coeffs`) for `[from, from + span)` of `inSize` → `outSize`. */
function bilinearTaps(inSize: number, from: number, span: number, outSize: number): Taps {
  const scale = span / outSize;
  const filterScale = Math.max(scale, 1);
  const support = filterScale;
  const taps = Math.ceil(support) * 2 + 1;
  const start = new Int32Array(outSize);
  const count = new Int32Array(outSize);
  const weights = new Float32Array(outSize * taps);
  for (let i = 0; i < outSize; i++) {
    const centre = from + (i + 0.5) * scale;
    const lo = Math.max(0, Math.trunc(centre - support + 0.5));
    const hi = Math.min(inSize, Math.trunc(centre + support + 0.5));
    let total = 0;
    for (let x = lo; x < hi; x++) {
      const w = Math.max(0, 1 - Math.abs((x - centre + 0.5) / filterScale));
      weights[i * taps + x - lo] = w;
      total += w;
    }
    for (let k = 0; k < hi - lo; k++) weights[i * taps + k]! /= total || 1;
    start[i] = lo;
    count[i] = hi - lo;
  }
  return { start, count, weights, taps };
}

/** Taps already computed, by axis geometry (folders repeat a few sizes); cleared when it holds {@link MAX_TAPS}. */
const tapCache = new Map<string, Taps>();
const MAX_TAPS = 512;

function cachedTaps(inSize: number, from: number, span: number, outSize: number): Taps {
  const key = `${inSize},${from},${span},${outSize}`;
  let taps = tapCache.get(key);
  if (!taps) {
    if (tapCache.size >= MAX_TAPS) tapCache.clear();
    taps = bilinearTaps(inSize, from, span, outSize);
    tapCache.set(key, taps);
  }
  return taps;
}

/** The horizontal and vertical taps of one source size → output size. */
function tapsFor(width: number, height: number, oh: number, ow: number): { h: Taps; v: Taps } {
  const win = coverWindow(width, height, [oh, ow]);
  return { h: cachedTaps(width, win.x0, win.width, ow), v: cachedTaps(height, win.y0, win.height, oh) };
}

let scratch = new Float32Array(0);

/** The horizontal pass of one row of RGB pixels (the common case, channels unrolled). */
function horizontal3(pixels: Uint8Array, src: number, tmp: Float32Array, dst: number, hx: Taps, ow: number): void {
  const { start, count, weights, taps } = hx;
  for (let i = 0; i < ow; i++) {
    let p = src + start[i]! * 3;
    let w = i * taps;
    const end = w + count[i]!;
    let r = 0;
    let g = 0;
    let b = 0;
    for (; w < end; w++, p += 3) {
      const k = weights[w]!;
      r += pixels[p]! * k;
      g += pixels[p + 1]! * k;
      b += pixels[p + 2]! * k;
    }
    const o = dst + 3 * i;
    tmp[o] = r;
    tmp[o + 1] = g;
    tmp[o + 2] = b;
  }
}

/** The vertical pass of output row `j`: each value a weighted sum down the rows of `tmp`, rounded into `target`. */
function vertical(
  tmp: Float32Array,
  r0: number,
  rowLen: number,
  vy: Taps,
  j: number,
  target: Uint8Array,
  dst: number,
): void {
  const wOff = j * vy.taps;
  const n = vy.count[j]!;
  const w = vy.weights;
  for (let i = 0; i < rowLen; i++) {
    let acc = 0;
    for (let t = 0, at = r0 + i; t < n; t++, at += rowLen) acc += tmp[at]! * w[wOff + t]!;
    target[dst + i] = acc <= 0 ? 0 : acc >= 255 ? 255 : Math.round(acc);
  }
}

/**
 * Resizes `pixels` (`width × height × channels`, any channel count) to cover `size` and keeps its
 * centre (see the module comment). Writes into `out` at `offset` (default: a new array of
 * `height·width·channels` bytes of the output) and returns it.
 */
export function resizeCover(
  pixels: Uint8Array,
  width: number,
  height: number,
  channels: number,
  size: TargetSize,
  out?: Uint8Array,
  offset = 0,
): Uint8Array {
  const [oh, ow] = sizeOfTarget(size);
  if (pixels.length !== width * height * channels)
    throw new RangeError(
      `pixels: expected ${sizeText(height, width, channels)} = ${width * height * channels} bytes, got ${pixels.length}`,
    );
  const c = channels;
  const rowLen = ow * c;
  const target = out ?? new Uint8Array(oh * rowLen);
  if (target.length < offset + oh * rowLen)
    throw new RangeError(`out: expected room for ${oh * rowLen} bytes at ${offset}, got ${target.length}`);
  if (width === ow && height === oh) {
    target.set(pixels, offset);
    return target;
  }
  const { h: hx, v: vy } = tapsFor(width, height, oh, ow);
  const rowLo = vy.start[0]!;
  const rowHi = vy.start[oh - 1]! + vy.count[oh - 1]!;
  // Horizontal pass over the rows the vertical taps read: [rowHi − rowLo, ow, c] floats.
  if (scratch.length < (rowHi - rowLo) * rowLen) scratch = new Float32Array((rowHi - rowLo) * rowLen);
  const tmp = scratch;
  for (let y = rowLo; y < rowHi; y++) {
    const src = y * width * c;
    const dst = (y - rowLo) * rowLen;
    if (c === 3) horizontal3(pixels, src, tmp, dst, hx, ow);
    else
      for (let i = 0; i < ow; i++) {
        const s0 = src + hx.start[i]! * c;
        const wOff = i * hx.taps;
        const n = hx.count[i]!;
        for (let k = 0; k < c; k++) {
          let acc = 0;
          for (let t = 0; t < n; t++) acc += pixels[s0 + t * c + k]! * hx.weights[wOff + t]!;
          tmp[dst + i * c + k] = acc;
        }
      }
  }
  for (let j = 0; j < oh; j++)
    vertical(tmp, (vy.start[j]! - rowLo) * rowLen, rowLen, vy, j, target, offset + j * rowLen);
  return target;
}

/** How an image becomes model input: its output size (none: kept as it is) and channels. */
export interface FitOptions {
  /** Output `[height, width]` or side; null keeps the image's own size. */
  readonly size: TargetSize | null;
  readonly channels: 1 | 3;
}

/**
 * `img` as model input bytes: channels converted ({@link convertChannels}), then resized to cover
 * `size` and centre-cropped ({@link resizeCover}); written into `out` at `offset` when given.
 */
export function fitImage(img: RawImage, o: FitOptions, out?: Uint8Array, offset = 0): Uint8Array {
  const converted = convertChannels(img, o.channels);
  const size = o.size ?? [img.height, img.width];
  return resizeCover(converted, img.width, img.height, o.channels, size, out, offset);
}
