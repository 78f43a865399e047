import { PNG } from 'pngjs';

/** Decoded pixels laid out as a grid: its size and the PNG bytes of the pixels themselves. */
export interface ImageGrid {
  readonly width: number;
  readonly height: number;
  readonly rows: number;
  readonly cols: number;
  /** Side of one cell in pixels (image side × scale), and the gap between cells. */
  readonly cell: readonly [number, number];
  readonly gap: number;
  /** The PNG file bytes. */
  encode(): Uint8Array;
  /** The PNG as a `data:` URL (what a figure's image mark embeds). */
  dataUrl(): string;
}

/**
 * Images `[n, h·w·c]` with values in [0, 1] laid out `cols` per row, each pixel a `scale`×`scale`
 * block, `gap` px of dark grey between cells and around them. Channels 1 (grey) or 3 (RGB), HWC order.
 */
export function imageGrid(
  images: Float32Array,
  n: number,
  shape: readonly [number, number, number],
  cols: number,
  scale = 2,
  gap = 2,
): ImageGrid {
  const [h, w, c] = shape;
  if (!Number.isInteger(cols) || cols < 1) throw new RangeError(`cols: expected a positive integer, got ${cols}`);
  const rows = Math.ceil(n / cols);
  const width = cols * (w * scale + gap) + gap;
  const height = rows * (h * scale + gap) + gap;
  const png = new PNG({ width, height });
  const d = png.data;
  for (let o = 0; o < d.length; o += 4) d.set([40, 40, 40, 255], o);
  const byte = (v: number): number => Math.round(255 * Math.min(1, Math.max(0, v)));
  for (let k = 0; k < n; k++) {
    const ox = gap + (k % cols) * (w * scale + gap);
    const oy = gap + Math.floor(k / cols) * (h * scale + gap);
    for (let y = 0; y < h * scale; y++) {
      for (let x = 0; x < w * scale; x++) {
        const src = k * h * w * c + (Math.floor(y / scale) * w + Math.floor(x / scale)) * c;
        const dst = ((oy + y) * width + ox + x) * 4;
        d[dst] = byte(images[src]!);
        d[dst + 1] = byte(images[src + (c >= 3 ? 1 : 0)]!);
        d[dst + 2] = byte(images[src + (c >= 3 ? 2 : 0)]!);
      }
    }
  }
  const encode = (): Uint8Array => new Uint8Array(PNG.sync.write(png));
  return {
    width,
    height,
    rows,
    cols,
    cell: [w * scale, h * scale],
    gap,
    encode,
    dataUrl: () => `data:image/png;base64,${Buffer.from(encode()).toString('base64')}`,
  };
}
