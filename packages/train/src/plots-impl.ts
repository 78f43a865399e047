import { PngCanvas, type Rgb } from './png-canvas.js';

/** Ten distinguishable colours for class labels (Tableau 10). */
export const CLASS_COLOURS: readonly Rgb[] = Object.freeze([
  [31, 119, 180],
  [255, 127, 14],
  [44, 160, 44],
  [214, 39, 40],
  [148, 103, 189],
  [140, 86, 75],
  [227, 119, 194],
  [127, 127, 127],
  [188, 189, 34],
  [23, 190, 207],
] as Rgb[]);

/** Colour of axes and labels. */
export const AXIS: Rgb = [60, 60, 60];
const GRID: Rgb = [225, 225, 225];

/** Formats a tick value compactly (≤ 6 characters where possible). */
export function formatTick(v: number): string {
  if (v === 0) return '0';
  const a = Math.abs(v);
  if (a >= 1e4 || a < 1e-2) return v.toExponential(1).replace('e+', 'e');
  if (a >= 100) return v.toFixed(0);
  if (a >= 10) return v.toFixed(1);
  return v.toFixed(2);
}

/**
 * Images `[n, h·w·c]` with values in [0, 1] laid out `cols` per row, each pixel drawn as a
 * `scale`×`scale` block, 2 px gaps. Channels 1 (grey) or 3 (RGB), HWC order.
 */
export function imageGrid(
  images: Float32Array,
  n: number,
  shape: readonly [number, number, number],
  cols: number,
  scale = 2,
): PngCanvas {
  const [h, w, c] = shape;
  const rows = Math.ceil(n / cols);
  const gap = 2;
  const canvas = new PngCanvas(cols * (w * scale + gap) + gap, rows * (h * scale + gap) + gap, [40, 40, 40]);
  for (let k = 0; k < n; k++) {
    const ox = gap + (k % cols) * (w * scale + gap);
    const oy = gap + Math.floor(k / cols) * (h * scale + gap);
    for (let y = 0; y < h; y++) {
      for (let x = 0; x < w; x++) {
        const o = k * h * w * c + (y * w + x) * c;
        const g = (i: number): number => Math.round(255 * Math.min(1, Math.max(0, images[o + i]!)));
        const col: Rgb = c >= 3 ? [g(0), g(1), g(2)] : [g(0), g(0), g(0)];
        canvas.fillRect(ox + x * scale, oy + y * scale, scale, scale, col);
      }
    }
  }
  return canvas;
}

/** A plot area with data → pixel mappings. */
export interface Frame {
  readonly canvas: PngCanvas;
  px(x: number): number;
  py(y: number): number;
}

/** `[lo, hi]` padded by 5 % (a unit range around a single value; [0, 1] for non-finite input). */
export function niceRange(lo: number, hi: number): [number, number] {
  if (!Number.isFinite(lo) || !Number.isFinite(hi)) return [0, 1];
  if (lo === hi) return [lo - 1, hi + 1];
  const pad = (hi - lo) * 0.05;
  return [lo - pad, hi + pad];
}

/** A white canvas with a grid, tick labels on both axes and a title. */
export function frame(
  width: number,
  height: number,
  xr: [number, number],
  yr: [number, number],
  title: string,
  xTicks = true,
): Frame {
  const canvas = new PngCanvas(width, height);
  const left = 52;
  const right = width - 12;
  const top = 22;
  const bottom = height - 26;
  const px = (x: number): number => left + ((x - xr[0]) / (xr[1] - xr[0])) * (right - left);
  const py = (y: number): number => bottom - ((y - yr[0]) / (yr[1] - yr[0])) * (bottom - top);
  for (let i = 0; i <= 4; i++) {
    const yv = yr[0] + ((yr[1] - yr[0]) * i) / 4;
    const xv = xr[0] + ((xr[1] - xr[0]) * i) / 4;
    canvas.line(left, py(yv), right, py(yv), GRID);
    const yl = formatTick(yv);
    canvas.text(left - 4 - PngCanvas.textWidth(yl, 2) - 2, py(yv) - 5, yl, AXIS, 2);
    if (!xTicks) continue;
    canvas.line(px(xv), top, px(xv), bottom, GRID);
    const xl = formatTick(xv);
    const xw = PngCanvas.textWidth(xl, 2);
    canvas.text(Math.min(px(xv) - xw / 2, width - xw - 2), bottom + 6, xl, AXIS, 2);
  }
  canvas.line(left, top, left, bottom, AXIS);
  canvas.line(left, bottom, right, bottom, AXIS);
  canvas.text(left, 4, title, AXIS, 2);
  return { canvas, px, py };
}

/** Line chart of several series over a shared x (e.g. epochs); a legend names them in their colours. */
export function lineChart(
  series: readonly { name: string; x: readonly number[]; y: readonly number[]; colour: Rgb }[],
  title: string,
  width = 640,
  height = 400,
): PngCanvas {
  const xs = series.flatMap((s) => s.x);
  const ys = series.flatMap((s) => s.y).filter(Number.isFinite);
  const xr = niceRange(Math.min(...xs), Math.max(...xs));
  const yr = niceRange(Math.min(...ys), Math.max(...ys));
  const f = frame(width, height, xr, yr, title);
  let lx = width - 12;
  for (const s of [...series].reverse()) {
    lx -= PngCanvas.textWidth(s.name, 2) + 16;
    f.canvas.fillRect(lx - 8, 8, 6, 6, s.colour);
    f.canvas.text(lx, 6, s.name, s.colour, 2);
  }
  for (const s of series) {
    for (let i = 0; i < s.x.length; i++) {
      const x = f.px(s.x[i]!);
      const y = f.py(s.y[i]!);
      if (i > 0) f.canvas.line(f.px(s.x[i - 1]!), f.py(s.y[i - 1]!), x, y, s.colour);
      f.canvas.fillRect(Math.round(x) - 2, Math.round(y) - 2, 5, 5, s.colour);
    }
  }
  return f.canvas;
}

/**
 * Scatter plot of 2-D points coloured by integer label (colours from {@link CLASS_COLOURS}); the
 * legend names the classes `legend` (default: the digits 0–9).
 */
export function scatter(
  points: Float32Array,
  labels: ArrayLike<number>,
  title: string,
  width = 560,
  height = 560,
  legend: readonly string[] = CLASS_COLOURS.map((_, k) => String(k)),
): PngCanvas {
  const n = labels.length;
  let x0 = Infinity,
    x1 = -Infinity,
    y0 = Infinity,
    y1 = -Infinity;
  for (let i = 0; i < n; i++) {
    x0 = Math.min(x0, points[2 * i]!);
    x1 = Math.max(x1, points[2 * i]!);
    y0 = Math.min(y0, points[2 * i + 1]!);
    y1 = Math.max(y1, points[2 * i + 1]!);
  }
  const f = frame(width, height, niceRange(x0, x1), niceRange(y0, y1), title);
  for (let i = 0; i < n; i++) {
    const c = CLASS_COLOURS[labels[i]! % CLASS_COLOURS.length]!;
    f.canvas.fillRect(Math.round(f.px(points[2 * i]!)) - 1, Math.round(f.py(points[2 * i + 1]!)) - 1, 3, 3, c);
  }
  const wide = Math.max(...legend.map((name) => PngCanvas.textWidth(name, 2)));
  legend.forEach((name, k) => {
    const c = CLASS_COLOURS[k % CLASS_COLOURS.length]!;
    f.canvas.fillRect(width - 24 - wide, 30 + k * 14, 8, 8, c);
    f.canvas.text(width - 12 - wide, 30 + k * 14, name, c, 2);
  });
  return f.canvas;
}

/** Canvases side by side on a white background, each with a caption above it (e.g. two runs compared). */
export function sideBySide(panels: readonly { canvas: PngCanvas; caption: string }[], gap = 16): PngCanvas {
  const top = 20;
  const width = panels.reduce((s, p) => s + p.canvas.width, 0) + gap * (panels.length + 1);
  const height = Math.max(...panels.map((p) => p.canvas.height)) + top + gap;
  const out = new PngCanvas(width, height);
  let x = gap;
  for (const p of panels) {
    out.text(x, 4, p.caption, [60, 60, 60], 2);
    out.draw(p.canvas, x, top);
    x += p.canvas.width + gap;
  }
  return out;
}
