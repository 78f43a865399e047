import { fitPca, oneHot, projectPca, type Tensor } from '@vae/core';
import { el, h } from './dom.js';
import { drawGrid } from './draw.js';
import type { RemoteModel } from './remote-model.js';
import type { SiteManifest } from './site-types.js';

/** One colour per digit (Tableau 10). */
const DIGIT_COLOURS = Object.freeze([
  '#4e79a7',
  '#f28e2b',
  '#e15759',
  '#76b7b2',
  '#59a14f',
  '#edc948',
  '#b07aa1',
  '#ff9da7',
  '#9c755f',
  '#bab0ac',
]);
const SIZE = 320;
const PAD = 12;

/**
 * The 2-D latent map: the codes of the site's MNIST test sample projected on their first two
 * principal components (core's `fitPca`/`projectPca`), coloured by digit. Clicking picks the nearest
 * point and decodes its code.
 */
export class LatentMap {
  private codes: Tensor | undefined;
  private points: Float32Array = new Float32Array(0);
  private labels: number[] = [];
  private selected = -1;

  constructor(
    private readonly model: RemoteModel,
    private readonly onError: (err: unknown) => void,
  ) {
    const canvas = el<HTMLCanvasElement>('map');
    canvas.addEventListener('click', (e) => {
      const r = canvas.getBoundingClientRect();
      const x = ((e.clientX - r.left) / r.width) * canvas.width;
      const y = ((e.clientY - r.top) / r.height) * canvas.height;
      void this.pickAt(x, y).catch(this.onError);
    });
    el('map-legend').replaceChildren(
      ...DIGIT_COLOURS.map((c, d) => {
        const item = h('li', String(d));
        item.style.setProperty('--swatch', c);
        return item;
      }),
    );
  }

  /** Encodes the sample in the worker, fits the PCA here and draws the map. */
  async render(site: SiteManifest): Promise<void> {
    const out = await this.model.mapCodes(site);
    if (!out) return;
    const n = out.labels.length;
    const L = this.model.latentDim;
    const pca = fitPca(out.codes.data, n, L, 2);
    this.codes = out.codes;
    this.labels = out.labels;
    this.points = projectPca(pca, out.codes.data, n);
    const explained = (i: number): string => ((100 * pca.variances[i]!) / pca.totalVariance).toFixed(0);
    el('map-caption').textContent =
      `${n} ${out.fitted ? `test images (${out.fitted})` : 'MNIST test images'}, encoded here; PC1 explains ${explained(0)} % and PC2 ${explained(1)} % of the codes' variance.`;
    this.draw();
    await this.pick(0);
  }

  private toCanvas(i: number): [number, number] {
    let [minX, maxX, minY, maxY] = [Infinity, -Infinity, Infinity, -Infinity];
    for (let k = 0; k < this.labels.length; k++) {
      minX = Math.min(minX, this.points[2 * k]!);
      maxX = Math.max(maxX, this.points[2 * k]!);
      minY = Math.min(minY, this.points[2 * k + 1]!);
      maxY = Math.max(maxY, this.points[2 * k + 1]!);
    }
    const sx = (SIZE - 2 * PAD) / Math.max(1e-9, maxX - minX);
    const sy = (SIZE - 2 * PAD) / Math.max(1e-9, maxY - minY);
    return [PAD + (this.points[2 * i]! - minX) * sx, SIZE - PAD - (this.points[2 * i + 1]! - minY) * sy];
  }

  private draw(): void {
    const canvas = el<HTMLCanvasElement>('map');
    canvas.width = SIZE;
    canvas.height = SIZE;
    const ctx = canvas.getContext('2d');
    if (!ctx) throw new Error('canvas #map: expected a 2d context, got none');
    ctx.fillStyle = '#fff';
    ctx.fillRect(0, 0, SIZE, SIZE);
    for (let i = 0; i < this.labels.length; i++) {
      const [x, y] = this.toCanvas(i);
      ctx.fillStyle = DIGIT_COLOURS[this.labels[i]! % 10]!;
      ctx.beginPath();
      ctx.arc(x, y, i === this.selected ? 6 : 3, 0, 2 * Math.PI);
      ctx.fill();
      if (i === this.selected) {
        ctx.strokeStyle = '#000';
        ctx.lineWidth = 2;
        ctx.stroke();
      }
    }
  }

  private async pickAt(x: number, y: number): Promise<void> {
    let best = -1;
    let bestD = Infinity;
    for (let i = 0; i < this.labels.length; i++) {
      const [px, py] = this.toCanvas(i);
      const d = (px - x) ** 2 + (py - y) ** 2;
      if (d < bestD) [best, bestD] = [i, d];
    }
    if (best >= 0) await this.pick(best);
  }

  private async pick(i: number): Promise<void> {
    if (!this.codes) return;
    const L = this.model.latentDim;
    this.selected = i;
    this.draw();
    const z: Tensor = { data: this.codes.data.slice(i * L, (i + 1) * L), shape: [1, L] };
    const k = this.model.numClasses;
    const out = await this.model.decode(z, k > 0 ? oneHot([this.labels[i]! % k], k) : undefined, 'map-pick');
    if (!out) return;
    drawGrid(el('map-image'), out.mean, this.model.imageShape, 1, 5);
    el('map-pick').textContent = `test image #${i} (digit ${this.labels[i]}), decoded from its code`;
  }
}
