import type { Tensor } from '@vae/core';

/** An HWC image shape `[H, W, C]`. */
export type HwcShape = readonly [number, number, number];

/** The source rectangle of a centre crop, in source pixels. */
export interface CropBox {
  readonly x: number;
  readonly y: number;
  readonly width: number;
  readonly height: number;
}

/**
 * The part of a `width`×`height` image that becomes a `toWidth`×`toHeight` one under the CLI's
 * rule: scale so that the image covers the target (the short side to N for a square N×N target),
 * then crop the centre. Drawing this box onto the whole target (canvas `drawImage`, or
 * {@link fitImages}) is "resize the short side, centre-crop".
 */
export function centreCropBox(width: number, height: number, toWidth: number, toHeight: number): CropBox {
  const scale = Math.max(toWidth / width, toHeight / height);
  const w = toWidth / scale;
  const h = toHeight / scale;
  return { x: (width - w) / 2, y: (height - h) / 2, width: w, height: h };
}

/** Luminance weights (ITU-R BT.601) for colour → grey. */
const LUMA = [0.299, 0.587, 0.114] as const;

/**
 * Rows `x` `[n, h·w·c]` (HWC) as images of shape `to`: the {@link centreCropBox} of each, resampled
 * bilinearly (pixel centres aligned), grey repeated over 3 channels or colour reduced to luminance.
 * Returns `x` itself when the shapes already agree.
 */
export function fitImages(x: Tensor, from: HwcShape, to: HwcShape): Tensor {
  const [h, w, c] = from;
  const [th, tw, tc] = to;
  const n = x.shape[0]!;
  if (x.shape[1] !== h * w * c)
    throw new RangeError(`x: expected rows of ${h}×${w}×${c} = ${h * w * c} values, got ${x.shape[1]}`);
  if (h === th && w === tw && c === tc) return x;
  const box = centreCropBox(w, h, tw, th);
  const sx = box.width / tw;
  const sy = box.height / th;
  const out = new Float32Array(n * th * tw * tc);
  const at = (i: number, yy: number, xx: number, ch: number): number => {
    const base = i * h * w * c + (yy * w + xx) * c;
    if (c === tc) return x.data[base + ch]!;
    if (c === 1) return x.data[base]!;
    return LUMA[0] * x.data[base]! + LUMA[1] * x.data[base + 1]! + LUMA[2] * x.data[base + 2]!;
  };
  for (let i = 0; i < n; i++)
    for (let ty = 0; ty < th; ty++) {
      const fy = Math.min(h - 1, Math.max(0, box.y + (ty + 0.5) * sy - 0.5));
      const y0 = Math.floor(fy);
      const y1 = Math.min(h - 1, y0 + 1);
      const wy = fy - y0;
      for (let tx = 0; tx < tw; tx++) {
        const fx = Math.min(w - 1, Math.max(0, box.x + (tx + 0.5) * sx - 0.5));
        const x0 = Math.floor(fx);
        const x1 = Math.min(w - 1, x0 + 1);
        const wx = fx - x0;
        for (let ch = 0; ch < tc; ch++) {
          const top = at(i, y0, x0, ch) * (1 - wx) + at(i, y0, x1, ch) * wx;
          const bottom = at(i, y1, x0, ch) * (1 - wx) + at(i, y1, x1, ch) * wx;
          out[((i * th + ty) * tw + tx) * tc + ch] = top * (1 - wy) + bottom * wy;
        }
      }
    }
  return { data: out, shape: [n, th * tw * tc] };
}
