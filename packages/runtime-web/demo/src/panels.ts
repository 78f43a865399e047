import { latentTraversal, oneHot, type Tensor } from '@vae/core';
import type { LoadedModel } from './demo-models.js';
import { drawGrid } from './draw.js';
import type { TestImages } from './test-images.js';

/** At most this many latent sliders / traversal rows are shown. */
const MAX_SLIDERS = 16;
const MAX_TRAVERSAL_DIMS = 8;
const TRAVERSAL_VALUES = Object.freeze([-2.5, -1.5, -0.5, 0, 0.5, 1.5, 2.5]);
const INTERPOLATION_STEPS = 10;

/** Records one model call: what it was, how long it took and on which device. */
export type LatencySink = (label: string, ms: number, device: string) => void;

function el<T extends HTMLElement>(id: string): T {
  const e = document.getElementById(id);
  if (!e) throw new Error(`demo: expected an element #${id} in index.html, got none`);
  return e as T;
}

function fillSelect(
  select: HTMLSelectElement,
  options: readonly { value: string; label: string }[],
  selected: string,
): void {
  select.replaceChildren(...options.map((o) => new Option(o.label, o.value, false, o.value === selected)));
}

/** The demo's visual panels (samples, sliders, traversal, interpolation, reconstruction). */
export class Panels {
  private current: LoadedModel | undefined;
  private base: Float32Array = new Float32Array(0);

  constructor(
    private readonly images: TestImages,
    private readonly onLatency: LatencySink,
  ) {
    const choices = images.labels.map((label, i) => ({ value: String(i), label: `#${i} (digit ${label})` }));
    fillSelect(el('slider-base'), choices, '0');
    fillSelect(el('interp-a'), choices, '0');
    fillSelect(el('interp-b'), choices, String(Math.min(1, images.labels.length - 1)));
    for (const id of ['seed', 'temperature', 'class'])
      el(id).addEventListener('change', () => void this.guard(this.samples()));
    el('slider-base').addEventListener('change', () => void this.guard(this.sliders().then(() => this.traversal())));
    for (const id of ['interp-a', 'interp-b', 'interp-spherical'])
      el(id).addEventListener('change', () => void this.guard(this.interpolation()));
  }

  /** Redraws every panel with `loaded`'s model. */
  async renderAll(loaded: LoadedModel): Promise<void> {
    this.current = loaded;
    const k = loaded.model.numClasses;
    el('class-label').hidden = k === 0;
    if (k > 0)
      fillSelect(
        el('class'),
        Array.from({ length: k }, (_, c) => ({ value: String(c), label: String(c) })),
        '0',
      );
    await this.samples();
    await this.sliders();
    await this.traversal();
    await this.interpolation();
    await this.reconstruction();
  }

  private async guard(p: Promise<void>): Promise<void> {
    try {
      await p;
    } catch (err) {
      el('state').textContent = `error: ${err instanceof Error ? err.message : String(err)}`;
    }
  }

  private get loaded(): LoadedModel {
    if (!this.current) throw new Error('demo: no model loaded yet');
    return this.current;
  }

  private async timed<T>(label: string, f: () => Promise<T>): Promise<T> {
    const t0 = performance.now();
    const result = await f();
    this.onLatency(label, performance.now() - t0, this.loaded.model.device);
    return result;
  }

  /** One-hot rows of the selected class (conditional models), else undefined. */
  private classRows(n: number): Tensor | undefined {
    const k = this.loaded.model.numClasses;
    return k === 0 ? undefined : oneHot(new Array<number>(n).fill(Number(el<HTMLSelectElement>('class').value)), k);
  }

  private labelRows(indices: readonly number[]): Tensor | undefined {
    const k = this.loaded.model.numClasses;
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
    const { model } = this.loaded;
    const seed = Math.trunc(Number(el<HTMLInputElement>('seed').value) || 0);
    const temperature = Math.max(0, Number(el<HTMLInputElement>('temperature').value) || 0);
    const y = this.classRows(16);
    const x = await this.timed('sample 16', () => model.sample({ n: 16, seed, temperature, ...(y ? { y } : {}) }));
    drawGrid(el('samples'), x, model.manifest.imageShape, 4);
  }

  private async sliders(): Promise<void> {
    const { model } = this.loaded;
    const i = Number(el<HTMLSelectElement>('slider-base').value);
    const base = await this.timed('encode 1', () => model.embed(this.image(i), this.labelRows([i])));
    this.base = Float32Array.from(base.data);
    const shown = Math.min(MAX_SLIDERS, model.latentDim);
    const box = el('sliders');
    box.replaceChildren();
    for (let d = 0; d < shown; d++) {
      const label = document.createElement('label');
      const input = document.createElement('input');
      Object.assign(input, { type: 'range', min: '-4', max: '4', step: '0.05', value: this.base[d]!.toFixed(2) });
      input.dataset.dim = String(d);
      const value = document.createElement('span');
      value.textContent = `z${d} ${this.base[d]!.toFixed(2)}`;
      input.addEventListener('input', () => {
        this.base[d] = Number(input.value);
        value.textContent = `z${d} ${this.base[d]!.toFixed(2)}`;
        void this.guard(this.sliderImage());
      });
      label.append(value, input);
      box.append(label);
    }
    await this.sliderImage();
  }

  private async sliderImage(): Promise<void> {
    const { model } = this.loaded;
    const z: Tensor = { data: Float32Array.from(this.base), shape: [1, model.latentDim] };
    const out = await this.timed('decode 1', () => model.decode(z, this.classRows(1)));
    drawGrid(el('slider-image'), out.mean, model.manifest.imageShape, 1, 6);
  }

  private async traversal(): Promise<void> {
    const { model } = this.loaded;
    const dims = Array.from({ length: Math.min(MAX_TRAVERSAL_DIMS, model.latentDim) }, (_, d) => d);
    const z = latentTraversal({ data: Float32Array.from(this.base), shape: [model.latentDim] }, dims, TRAVERSAL_VALUES);
    const out = await this.timed(`decode ${z.shape[0]}`, () => model.decode(z, this.classRows(z.shape[0]!)));
    drawGrid(el('traversal'), out.mean, model.manifest.imageShape, TRAVERSAL_VALUES.length, 2);
  }

  private async interpolation(): Promise<void> {
    const { model } = this.loaded;
    const a = Number(el<HTMLSelectElement>('interp-a').value);
    const b = Number(el<HTMLSelectElement>('interp-b').value);
    const spherical = el<HTMLInputElement>('interp-spherical').checked;
    const y = this.labelRows([a]);
    const out = await this.timed(`interpolate ${INTERPOLATION_STEPS}`, () =>
      model.interpolate(this.image(a), this.image(b), INTERPOLATION_STEPS, { spherical, ...(y ? { y } : {}) }),
    );
    drawGrid(el('interpolation'), out, model.manifest.imageShape, INTERPOLATION_STEPS);
  }

  private async reconstruction(): Promise<void> {
    const { model } = this.loaded;
    const { x, labels } = this.images;
    const y = this.labelRows(labels.map((_, i) => i));
    const recon = await this.timed(`reconstruct ${x.shape[0]}`, () => model.reconstruct(x, y));
    const both: Tensor = { data: Float32Array.from([...x.data, ...recon.data]), shape: [2 * x.shape[0]!, x.shape[1]!] };
    drawGrid(el('reconstruction'), both, model.manifest.imageShape, x.shape[0]!, 2);
  }
}
