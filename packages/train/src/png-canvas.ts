import { PNG } from 'pngjs';

/** An RGB colour, components 0–255. */
export type Rgb = readonly [number, number, number];

/** 3×5 bitmap glyphs for tick labels and short captions (rows top to bottom, 3 bits each). */
const GLYPHS: Readonly<Record<string, readonly number[]>> = Object.freeze({
  '0': [7, 5, 5, 5, 7],
  '1': [2, 6, 2, 2, 7],
  '2': [7, 1, 7, 4, 7],
  '3': [7, 1, 7, 1, 7],
  '4': [5, 5, 7, 1, 1],
  '5': [7, 4, 7, 1, 7],
  '6': [7, 4, 7, 5, 7],
  '7': [7, 1, 1, 1, 1],
  '8': [7, 5, 7, 5, 7],
  '9': [7, 5, 7, 1, 7],
  '.': [0, 0, 0, 0, 2],
  '-': [0, 0, 7, 0, 0],
  '+': [0, 2, 7, 2, 0],
  e: [0, 7, 7, 4, 7],
  ' ': [0, 0, 0, 0, 0],
  a: [0, 7, 1, 7, 7],
  c: [0, 7, 4, 4, 7],
  h: [4, 4, 7, 5, 5],
  i: [2, 0, 2, 2, 2],
  l: [6, 2, 2, 2, 7],
  n: [0, 6, 5, 5, 5],
  o: [0, 7, 5, 5, 7],
  p: [0, 7, 5, 7, 4],
  r: [0, 7, 4, 4, 4],
  s: [0, 7, 6, 1, 7],
  t: [2, 7, 2, 2, 3],
  v: [0, 5, 5, 5, 2],
  x: [0, 5, 2, 2, 5],
  y: [0, 5, 7, 1, 7],
  z: [0, 7, 1, 4, 7],
  k: [4, 5, 6, 5, 5],
  b: [4, 7, 5, 5, 7],
  d: [1, 7, 5, 5, 7],
  u: [0, 5, 5, 5, 7],
  m: [0, 7, 7, 5, 5],
  w: [0, 5, 7, 7, 7],
  g: [0, 7, 5, 7, 1],
  f: [3, 2, 7, 2, 2],
  q: [0, 7, 5, 7, 1],
  j: [1, 0, 1, 5, 7],
  ':': [0, 2, 0, 2, 0],
  '/': [1, 1, 2, 4, 4],
  '=': [0, 7, 0, 7, 0],
  '%': [5, 1, 2, 4, 5],
});

/** A minimal RGB raster drawn pixel by pixel and encoded with pngjs. */
export class PngCanvas {
  readonly width: number;
  readonly height: number;
  private readonly png: PNG;

  constructor(width: number, height: number, background: Rgb = [255, 255, 255]) {
    if (!Number.isInteger(width) || !Number.isInteger(height) || width < 1 || height < 1) {
      throw new RangeError(`size: expected positive integer width and height, got ${width}×${height}`);
    }
    this.width = width;
    this.height = height;
    this.png = new PNG({ width, height });
    this.fillRect(0, 0, width, height, background);
  }

  /** Sets one pixel (ignored outside the canvas). */
  set(x: number, y: number, c: Rgb): void {
    const xi = Math.round(x);
    const yi = Math.round(y);
    if (xi < 0 || yi < 0 || xi >= this.width || yi >= this.height) return;
    const o = (yi * this.width + xi) * 4;
    const d = this.png.data;
    d[o] = c[0];
    d[o + 1] = c[1];
    d[o + 2] = c[2];
    d[o + 3] = 255;
  }

  fillRect(x: number, y: number, w: number, h: number, c: Rgb): void {
    for (let j = Math.max(0, y); j < Math.min(this.height, y + h); j++)
      for (let i = Math.max(0, x); i < Math.min(this.width, x + w); i++) this.set(i, j, c);
  }

  /** A straight line (Bresenham). */
  line(x0: number, y0: number, x1: number, y1: number, c: Rgb): void {
    let x = Math.round(x0);
    let y = Math.round(y0);
    const xe = Math.round(x1);
    const ye = Math.round(y1);
    const dx = Math.abs(xe - x);
    const dy = -Math.abs(ye - y);
    const sx = x < xe ? 1 : -1;
    const sy = y < ye ? 1 : -1;
    let err = dx + dy;
    for (;;) {
      this.set(x, y, c);
      if (x === xe && y === ye) return;
      const e2 = 2 * err;
      if (e2 >= dy) {
        err += dy;
        x += sx;
      }
      if (e2 <= dx) {
        err += dx;
        y += sy;
      }
    }
  }

  /** Copies `other` onto this canvas with its top-left corner at (`x`, `y`) (clipped at the edges). */
  draw(other: PngCanvas, x: number, y: number): void {
    const src = other.png.data;
    const dst = this.png.data;
    for (let j = 0; j < other.height; j++) {
      const ty = y + j;
      if (ty < 0 || ty >= this.height) continue;
      for (let i = 0; i < other.width; i++) {
        const tx = x + i;
        if (tx < 0 || tx >= this.width) continue;
        const s = (j * other.width + i) * 4;
        const d = (ty * this.width + tx) * 4;
        for (let k = 0; k < 4; k++) dst[d + k] = src[s + k]!;
      }
    }
  }

  /** Text in the 3×5 font scaled by `scale` (unknown characters are skipped as spaces). */
  text(x: number, y: number, s: string, c: Rgb, scale = 1): void {
    let cx = x;
    for (const ch of s.toLowerCase()) {
      const g = GLYPHS[ch] ?? GLYPHS[' ']!;
      g.forEach((bits, row) => {
        for (let col = 0; col < 3; col++)
          if (bits & (4 >> col)) this.fillRect(cx + col * scale, y + row * scale, scale, scale, c);
      });
      cx += 4 * scale;
    }
  }

  /** Width in pixels of `s` drawn by {@link PngCanvas.text}. */
  static textWidth(s: string, scale = 1): number {
    return s.length * 4 * scale - scale;
  }

  /** The PNG file bytes. */
  encode(): Uint8Array {
    return new Uint8Array(PNG.sync.write(this.png));
  }
}
