import type { Tensor } from '@vae/core';

/**
 * Draws the rows of `images` (`[n, H·W·C]`, values in [0, 1], HWC) into `canvas` as a grid of
 * `cols` columns, one canvas pixel per image pixel. CSS shows it `zoom` times larger, never wider
 * than its container, and always at the canvas's aspect ratio (`height: auto`).
 */
export function drawGrid(
  canvas: HTMLCanvasElement,
  images: Tensor,
  imageShape: readonly [number, number, number],
  cols: number,
  zoom = 3,
): void {
  const [h, w, c] = imageShape;
  const n = images.shape[0]!;
  const rows = Math.max(1, Math.ceil(n / cols));
  canvas.width = cols * w;
  canvas.height = rows * h;
  canvas.style.width = `${cols * w * zoom}px`;
  const ctx = canvas.getContext('2d');
  if (!ctx) throw new Error(`canvas #${canvas.id}: expected a 2d context, got none`);
  const img = ctx.createImageData(canvas.width, canvas.height);
  const d = h * w * c;
  for (let k = 0; k < n; k++) {
    const ox = (k % cols) * w;
    const oy = Math.floor(k / cols) * h;
    for (let y = 0; y < h; y++) {
      for (let x = 0; x < w; x++) {
        const src = k * d + (y * w + x) * c;
        const dst = ((oy + y) * canvas.width + ox + x) * 4;
        for (let ch = 0; ch < 3; ch++) {
          const v = images.data[src + (c === 1 ? 0 : ch)]!;
          img.data[dst + ch] = Math.round(Math.min(1, Math.max(0, v)) * 255);
        }
        img.data[dst + 3] = 255;
      }
    }
  }
  ctx.putImageData(img, 0, 0);
}

/** Pixel statistics of a canvas (red channel), and how many pixels have colour: whether something was drawn, and in colour. */
export interface CanvasStats {
  readonly id: string;
  readonly width: number;
  readonly height: number;
  /** Size on screen (CSS pixels): its ratio must equal width / height. */
  readonly clientWidth: number;
  readonly clientHeight: number;
  readonly mean: number;
  readonly std: number;
  /** Distinct grey levels. */
  readonly levels: number;
  /** Pixels whose red, green and blue all differ (0 for a grey image). */
  readonly colourPixels: number;
}

/** {@link CanvasStats} of `canvas`. */
export function canvasStats(canvas: HTMLCanvasElement): CanvasStats {
  const ctx = canvas.getContext('2d');
  const { width, height, clientWidth, clientHeight } = canvas;
  const base = { id: canvas.id, width, height, clientWidth, clientHeight };
  if (!ctx || width === 0 || height === 0) return { ...base, mean: 0, std: 0, levels: 0, colourPixels: 0 };
  const px = ctx.getImageData(0, 0, width, height).data;
  let sum = 0;
  let sq = 0;
  let colourPixels = 0;
  const seen = new Set<number>();
  for (let i = 0; i < px.length; i += 4) {
    const [v, g, b] = [px[i]!, px[i + 1]!, px[i + 2]!];
    sum += v;
    sq += v * v;
    seen.add(v);
    if (v !== g && g !== b && v !== b) colourPixels++;
  }
  const n = px.length / 4;
  const mean = sum / n;
  return { ...base, mean, std: Math.sqrt(Math.max(0, sq / n - mean * mean)), levels: seen.size, colourPixels };
}
