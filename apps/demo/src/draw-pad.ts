import type { Tensor } from '@vae/core';
import { el } from './dom.js';
import { drawGrid } from './draw.js';
import { centreCropBox, type HwcShape } from './image-fit.js';
import type { RemoteModel } from './remote-model.js';

/** Drawing surface in canvas pixels (shown at this size or smaller, square). */
const PAD = 224;
const BRUSH = 11;
/** MNIST digits fit a 20×20 box centred by mass in the 28×28 frame. */
const DIGIT_BOX = 20;

/**
 * `pad`'s ink as a 28×28 image in MNIST's layout: the drawing's bounding box scaled to fit 20×20,
 * then shifted so its centre of mass is at the centre. Values in [0, 1]; all zero for an empty pad.
 */
function toMnist(pad: HTMLCanvasElement, side: number): Float32Array {
  const ctx = pad.getContext('2d')!;
  const src = ctx.getImageData(0, 0, pad.width, pad.height).data;
  let [x0, y0, x1, y1] = [pad.width, pad.height, -1, -1];
  for (let y = 0; y < pad.height; y++)
    for (let x = 0; x < pad.width; x++)
      if (src[(y * pad.width + x) * 4]! > 0)
        [x0, y0, x1, y1] = [Math.min(x0, x), Math.min(y0, y), Math.max(x1, x), Math.max(y1, y)];
  const out = new Float32Array(side * side);
  if (x1 < 0) return out;
  const box = Math.max(x1 - x0 + 1, y1 - y0 + 1);
  const small = document.createElement('canvas');
  small.width = side;
  small.height = side;
  const s = small.getContext('2d')!;
  s.imageSmoothingQuality = 'high';
  const scale = DIGIT_BOX / box;
  const w = (x1 - x0 + 1) * scale;
  const hgt = (y1 - y0 + 1) * scale;
  s.drawImage(pad, x0, y0, x1 - x0 + 1, y1 - y0 + 1, (side - w) / 2, (side - hgt) / 2, w, hgt);
  const px = s.getImageData(0, 0, side, side).data;
  let [mass, mx, my] = [0, 0, 0];
  for (let i = 0; i < side * side; i++) {
    const v = px[i * 4]! / 255;
    out[i] = v;
    mass += v;
    mx += v * (i % side);
    my += v * Math.floor(i / side);
  }
  const dx = Math.round((side - 1) / 2 - mx / mass);
  const dy = Math.round((side - 1) / 2 - my / mass);
  const shifted = new Float32Array(side * side);
  for (let y = 0; y < side; y++)
    for (let x = 0; x < side; x++) {
      const [sx, sy] = [x - dx, y - dy];
      if (sx >= 0 && sy >= 0 && sx < side && sy < side) shifted[y * side + x] = out[sy * side + sx]!;
    }
  return shifted;
}

/**
 * `pad` as one image of `shape` (HWC, values in [0, 1]): the pad's centre crop scaled to H×W, its
 * RGB for colour models, luminance for grey ones (grey square models use {@link toMnist} instead).
 */
function toImage(pad: HTMLCanvasElement, [h, w, c]: HwcShape): Float32Array {
  const small = document.createElement('canvas');
  small.width = w;
  small.height = h;
  const s = small.getContext('2d')!;
  s.imageSmoothingQuality = 'high';
  const box = centreCropBox(pad.width, pad.height, w, h);
  s.drawImage(pad, box.x, box.y, box.width, box.height, 0, 0, w, h);
  const px = s.getImageData(0, 0, w, h).data;
  const out = new Float32Array(h * w * c);
  for (let p = 0; p < h * w; p++) {
    const [r, g, b] = [px[4 * p]! / 255, px[4 * p + 1]! / 255, px[4 * p + 2]! / 255];
    if (c === 3) out.set([r, g, b], 3 * p);
    else out[p] = 0.299 * r + 0.587 * g + 0.114 * b;
  }
  return out;
}

/**
 * The drawing pad: every stroke is encoded and reconstructed live (latest stroke only). Grey square
 * models get a white brush and MNIST's layout; colour models a brush of the chosen colour.
 */
export class DrawPad {
  private drawing = false;
  private last: [number, number] | null = null;

  constructor(
    private readonly model: RemoteModel,
    private readonly onError: (err: unknown) => void,
  ) {
    const pad = el<HTMLCanvasElement>('draw');
    pad.width = PAD;
    pad.height = PAD;
    el('draw-colour-label').hidden = model.imageShape[2] !== 3;
    this.clear();
    const at = (e: PointerEvent): [number, number] => {
      const r = pad.getBoundingClientRect();
      return [((e.clientX - r.left) / r.width) * PAD, ((e.clientY - r.top) / r.height) * PAD];
    };
    pad.addEventListener('pointerdown', (e) => {
      this.drawing = true;
      pad.setPointerCapture(e.pointerId);
      this.last = at(e);
      this.stroke(at(e));
    });
    pad.addEventListener('pointermove', (e) => {
      if (this.drawing) this.stroke(at(e));
    });
    const end = (): void => {
      this.drawing = false;
      this.last = null;
    };
    pad.addEventListener('pointerup', end);
    pad.addEventListener('pointercancel', end);
    el('draw-clear').addEventListener('click', () => this.clear());
  }

  private clear(): void {
    const pad = el<HTMLCanvasElement>('draw');
    const ctx = pad.getContext('2d')!;
    ctx.fillStyle = '#000';
    ctx.fillRect(0, 0, PAD, PAD);
    const out = el<HTMLCanvasElement>('draw-recon');
    const [h, w, c] = this.model.imageShape;
    drawGrid(out, { data: new Float32Array(h * w * c), shape: [1, h * w * c] }, [h, w, c], 1, 224 / w);
  }

  private stroke(p: [number, number]): void {
    const ctx = el<HTMLCanvasElement>('draw').getContext('2d')!;
    ctx.strokeStyle = this.model.imageShape[2] === 3 ? el<HTMLInputElement>('draw-colour').value : '#fff';
    ctx.lineWidth = 2 * BRUSH;
    ctx.lineCap = 'round';
    ctx.beginPath();
    ctx.moveTo(...(this.last ?? p));
    ctx.lineTo(...p);
    ctx.stroke();
    this.last = p;
    void this.reconstruct().catch(this.onError);
  }

  private async reconstruct(): Promise<void> {
    const shape = this.model.imageShape;
    const [h, w, c] = shape;
    const scale = this.model.info.scale * 255;
    const image = c === 1 && h === w ? toMnist(el('draw'), w) : toImage(el('draw'), shape);
    const x: Tensor = { data: image.map((v) => v * scale), shape: [1, h * w * c] };
    const recon = await this.model.reconstruct(x, undefined, 'draw');
    if (recon) drawGrid(el('draw-recon'), recon, this.model.imageShape, 1, 224 / w);
  }
}
