import { AXIS, CLASS_COLOURS, frame, niceRange, type Frame } from './plots-impl.js';
import { PngCanvas, type Rgb } from './png-canvas.js';

const ACTIVE: Rgb = [31, 119, 180];
const INACTIVE: Rgb = [190, 190, 190];

/** Labels every latent dimension under the x axis (every k-th when there are many). */
function dimensionLabels(f: Frame, count: number, bottom: number): void {
  const step = Math.max(1, Math.ceil(count / 25));
  for (let j = 0; j < count; j += step) {
    const label = String(j);
    f.canvas.text(Math.round(f.px(j) - PngCanvas.textWidth(label, 2) / 2), bottom + 6, label, AXIS, 2);
  }
}

/**
 * One bar per latent dimension from 0 to `values[j]`; bars with `highlighted[j]` in blue, the
 * others grey (e.g. active and inactive units), a legend naming both.
 */
export function barChart(
  values: ArrayLike<number>,
  highlighted: readonly boolean[],
  title: string,
  legend: readonly [string, string],
  width = 640,
  height = 360,
): PngCanvas {
  const n = values.length;
  let hi = 0;
  let lo = 0;
  for (let j = 0; j < n; j++) {
    hi = Math.max(hi, values[j]!);
    lo = Math.min(lo, values[j]!);
  }
  const f = frame(width, height, [-0.6, n - 0.4], [1.05 * lo, hi > lo ? 1.05 * hi : lo + 1], title, false);
  const w = Math.max(1, Math.floor((f.px(1) - f.px(0)) * 0.7));
  for (let j = 0; j < n; j++) {
    const y0 = f.py(0);
    const y1 = f.py(values[j]!);
    const x = Math.round(f.px(j) - w / 2);
    f.canvas.fillRect(
      x,
      Math.round(Math.min(y0, y1)),
      w,
      Math.max(1, Math.round(Math.abs(y1 - y0))),
      highlighted[j] ? ACTIVE : INACTIVE,
    );
  }
  dimensionLabels(f, n, height - 26);
  let lx = width - 12;
  for (const [name, colour] of [
    [legend[1], INACTIVE],
    [legend[0], ACTIVE],
  ] as const) {
    lx -= PngCanvas.textWidth(name, 2) + 16;
    f.canvas.fillRect(lx - 10, 8, 8, 8, colour);
    f.canvas.text(lx, 6, name, colour === INACTIVE ? AXIS : colour, 2);
  }
  return f.canvas;
}

/**
 * μ ± σ per latent dimension for a few examples: example i is drawn in `CLASS_COLOURS[i]`, offset
 * within each dimension's slot, a dot at μ and a vertical bar over [μ − σ, μ + σ].
 */
export function errorBarChart(
  series: readonly { readonly mean: ArrayLike<number>; readonly sd: ArrayLike<number> }[],
  title: string,
  width = 720,
  height = 360,
): PngCanvas {
  const n = series[0]?.mean.length ?? 0;
  let lo = Infinity;
  let hi = -Infinity;
  for (const s of series) {
    for (let j = 0; j < n; j++) {
      lo = Math.min(lo, s.mean[j]! - s.sd[j]!);
      hi = Math.max(hi, s.mean[j]! + s.sd[j]!);
    }
  }
  const f = frame(width, height, [-0.6, n - 0.4], niceRange(lo, hi), title, false);
  const slot = (f.px(1) - f.px(0)) * 0.8;
  f.canvas.line(f.px(-0.6), f.py(0), f.px(n - 0.4), f.py(0), AXIS);
  series.forEach((s, i) => {
    const c = CLASS_COLOURS[i % CLASS_COLOURS.length]!;
    const dx = series.length > 1 ? -slot / 2 + (slot * i) / (series.length - 1) : 0;
    for (let j = 0; j < n; j++) {
      const x = Math.round(f.px(j) + dx);
      f.canvas.line(x, f.py(s.mean[j]! - s.sd[j]!), x, f.py(s.mean[j]! + s.sd[j]!), c);
      f.canvas.fillRect(x - 1, Math.round(f.py(s.mean[j]!)) - 1, 3, 3, c);
    }
  });
  dimensionLabels(f, n, height - 26);
  return f.canvas;
}
