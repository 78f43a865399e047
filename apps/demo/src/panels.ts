import { Rng, latentTraversal, oneHot, samplePrior, type Tensor } from '@vae/core';
import { el, fillSelect, h } from './dom.js';
import { drawGrid } from './draw.js';
import type { RemoteModel } from './remote-model.js';
import type { TestImages } from './test-images.js';

const TRAVERSAL_VALUES = Object.freeze([-2.5, -1.5, -0.5, 0, 0.5, 1.5, 2.5]);
const INTERPOLATION_STEPS = 10;
const SAMPLES = 16;

/** Reports a failed model call (the page shows it). */
export type ErrorSink = (err: unknown) => void;

/** The demo's image panels: samples, sliders, traversal, interpolation and reconstruction. */
export class Panels {
  private base: Float32Array = new Float32Array(0);
  private encoded: Float32Array = new Float32Array(0);

  constructor(
    private readonly model: RemoteModel,
    private readonly images: TestImages,
    private readonly onError: ErrorSink,
  ) {
    const choices = images.labels.map((label, i) => ({ value: String(i), label: `#${i} (digit ${label})` }));
    fillSelect(el('slider-base'), choices, '0');
    fillSelect(el('interp-a'), choices, '0');
    fillSelect(el('interp-b'), choices, String(Math.min(1, images.labels.length - 1)));
    const k = model.numClasses;
    el('class-label').hidden = k === 0;
    if (k > 0)
      fillSelect(
        el('class'),
        Array.from({ length: k }, (_, c) => ({ value: String(c), label: String(c) })),
        '0',
      );
    const on = (id: string, event: string, f: () => Promise<void>): void =>
      el(id).addEventListener(event, () => void f().catch(this.onError));
    for (const id of ['seed', 'temperature', 'class']) on(id, 'input', () => this.samples());
    on('new-seed', 'click', async () => {
      el<HTMLInputElement>('seed').value = String(Math.floor(Math.random() * 1_000_000));
      await this.samples();
    });
    on('slider-base', 'change', () => this.encodeBase());
    on('slider-reset', 'click', () => this.setBase(this.encoded));
    on('slider-random', 'click', () =>
      this.setBase(samplePrior(new Rng(Math.floor(Math.random() * 2 ** 31)), 1, model.latentDim).data),
    );
    for (const id of ['interp-a', 'interp-b', 'interp-spherical']) on(id, 'change', () => this.interpolation());
  }

  /** Draws the samples first (the first grid), then every other panel. */
  async renderAll(onFirstGrid: () => void): Promise<void> {
    await this.samples();
    onFirstGrid();
    this.buildTraversalLabels();
    await this.encodeBase();
    await this.interpolation();
    await this.reconstruction();
  }

  private classRows(n: number): Tensor | undefined {
    const k = this.model.numClasses;
    return k === 0 ? undefined : oneHot(new Array<number>(n).fill(Number(el<HTMLSelectElement>('class').value)), k);
  }

  private labelRows(indices: readonly number[]): Tensor | undefined {
    const k = this.model.numClasses;
    return k === 0
      ? undefined
      : oneHot(
          indices.map((i) => this.images.labels[i]! % k),
          k,
        );
  }

  private image(i: number): Tensor {
    const d = this.images.x.shape[1]!;
    return { data: this.images.x.data.slice(i * d, (i + 1) * d), shape: [1, d] };
  }

  private async samples(): Promise<void> {
    const seed = Math.trunc(Number(el<HTMLInputElement>('seed').value) || 0);
    const temperature = Math.max(0, Number(el<HTMLInputElement>('temperature').value) || 0);
    const x = await this.model.sample({ n: SAMPLES, seed, temperature, y: this.classRows(SAMPLES) }, 'samples');
    if (x) drawGrid(el('samples'), x, this.model.imageShape, 4, 3);
  }

  private async encodeBase(): Promise<void> {
    const i = Number(el<HTMLSelectElement>('slider-base').value);
    const code = await this.model.embed(this.image(i), this.labelRows([i]), 'encode-base');
    if (!code) return;
    this.encoded = Float32Array.from(code.data);
    await this.setBase(this.encoded);
  }

  /** Sets every slider to `code` and redraws the slider image and the traversal. */
  private async setBase(code: Float32Array): Promise<void> {
    this.base = Float32Array.from(code);
    const box = el('sliders');
    box.replaceChildren();
    for (let d = 0; d < this.model.latentDim; d++) {
      const input = h('input', '', {
        type: 'range',
        min: '-4',
        max: '4',
        step: '0.05',
        'aria-label': `latent dimension z${d}`,
      });
      input.value = this.base[d]!.toFixed(2);
      input.dataset.dim = String(d);
      const value = h('span', `z${d} ${this.base[d]!.toFixed(2)}`);
      input.addEventListener('input', () => {
        this.base[d] = Number(input.value);
        value.textContent = `z${d} ${this.base[d]!.toFixed(2)}`;
        void this.sliderImage().catch(this.onError);
      });
      input.addEventListener('change', () => void this.traversal().catch(this.onError));
      const label = h('label');
      label.append(value, input);
      box.append(label);
    }
    await this.sliderImage();
    await this.traversal();
  }

  private async sliderImage(): Promise<void> {
    const z: Tensor = { data: Float32Array.from(this.base), shape: [1, this.model.latentDim] };
    const out = await this.model.decode(z, this.classRows(1), 'slider');
    if (out) drawGrid(el('slider-image'), out.mean, this.model.imageShape, 1, 6);
  }

  private buildTraversalLabels(): void {
    const cols = el('traversal-cols');
    cols.replaceChildren(...TRAVERSAL_VALUES.map((v) => h('span', String(v).replace('-', '−'))));
    cols.style.gridTemplateColumns = `repeat(${TRAVERSAL_VALUES.length}, 1fr)`;
    const rows = el('traversal-rows');
    rows.replaceChildren(...Array.from({ length: this.model.latentDim }, (_, d) => h('span', `z${d}`)));
    rows.style.gridTemplateRows = `repeat(${this.model.latentDim}, 1fr)`;
  }

  private async traversal(): Promise<void> {
    const dims = Array.from({ length: this.model.latentDim }, (_, d) => d);
    const z = latentTraversal(
      { data: Float32Array.from(this.base), shape: [this.model.latentDim] },
      dims,
      TRAVERSAL_VALUES,
    );
    const out = await this.model.decode(z, this.classRows(z.shape[0]!), 'traversal');
    if (out) drawGrid(el('traversal'), out.mean, this.model.imageShape, TRAVERSAL_VALUES.length, 2);
  }

  private async interpolation(): Promise<void> {
    const a = Number(el<HTMLSelectElement>('interp-a').value);
    const b = Number(el<HTMLSelectElement>('interp-b').value);
    const spherical = el<HTMLInputElement>('interp-spherical').checked;
    const out = await this.model.interpolate(
      this.image(a),
      this.image(b),
      INTERPOLATION_STEPS,
      { spherical, y: this.labelRows([a]) },
      'interpolation',
    );
    if (out) drawGrid(el('interpolation'), out, this.model.imageShape, INTERPOLATION_STEPS, 3);
  }

  private async reconstruction(): Promise<void> {
    const { x, labels } = this.images;
    const recon = await this.model.reconstruct(x, this.labelRows(labels.map((_, i) => i)), 'reconstruction');
    if (!recon) return;
    const both: Tensor = { data: Float32Array.from([...x.data, ...recon.data]), shape: [2 * x.shape[0]!, x.shape[1]!] };
    drawGrid(el('reconstruction'), both, this.model.imageShape, Math.ceil(x.shape[0]! / 2), 3);
  }
}
