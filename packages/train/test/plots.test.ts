import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { PNG } from 'pngjs';
import { latentPlane } from '../src/latent/latent-views.js';
import type { EpochMetrics } from '../src/checkpoint/metrics.js';
import { plotFont, woffToTtf } from '../src/plots/fonts.js';
import { imageGrid } from '../src/plots/image-grid.js';
import { renderFigure } from '../src/plots/render.js';
import { writeRunReport } from '../src/plots/report-html.js';
import {
  disentanglementSpec,
  formatValue,
  imageGridSpec,
  klBarsSpec,
  lossCurveRows,
  lossCurveSpec,
  scatterSpec,
  sideBySideSpec,
} from '../src/plots/specs.js';

function pixel(png: PNG, x: number, y: number): number[] {
  const o = (y * png.width + x) * 4;
  return Array.from(png.data.subarray(o, o + 4));
}

/** The text of every `<text>` element of an SVG, in document order. */
function texts(svg: string): string[] {
  const entities: Record<string, string> = { '&lt;': '<', '&gt;': '>', '&amp;': '&', '&quot;': '"', '&#39;': "'" };
  return [...svg.matchAll(/<text[^>]*>([^<]*)<\/text>/g)].map((m) =>
    m[1]!.replace(/&[a-z#0-9]+;/g, (e) => entities[e] ?? e),
  );
}

/** Tick labels as numbers (vega writes a real minus sign). */
const numeric = (labels: string[]): number[] =>
  labels.filter((t) => /^[−-]?\d+(\.\d+)?$/.test(t)).map((t) => Number(t.replace('−', '-')));

/** Whether every value is a multiple of one "nice" step 1, 2 or 5 × 10^k. */
function niceSteps(values: number[]): boolean {
  const sorted = [...new Set(values)].sort((a, b) => a - b);
  const step = sorted[1]! - sorted[0]!;
  const mantissa = step / 10 ** Math.floor(Math.log10(step));
  return (
    [1, 2, 5].some((m) => Math.abs(mantissa - m) < 1e-9) &&
    sorted.every((v) => Math.abs(v / step - Math.round(v / step)) < 1e-6)
  );
}

function decode(bytes: Uint8Array): PNG {
  return PNG.sync.read(Buffer.from(bytes));
}

/** Dark pixels (text, lines) in rows [y0, y1) of a PNG. */
function darkPixels(png: PNG, y0: number, y1: number): number {
  let n = 0;
  for (let y = y0; y < y1; y++) for (let x = 0; x < png.width; x++) if (pixel(png, x, y)[0]! < 100) n++;
  return n;
}

const epochs: EpochMetrics[] = Array.from({ length: 5 }, (_, i) => {
  const loss = 160 - 9.37 * Math.log(i + 1);
  return {
    epoch: i + 1,
    step: 10 * (i + 1),
    epochSteps: 10,
    seconds: 1.5,
    trainLoss: loss,
    trainReconstruction: loss - 20.3,
    trainKl: 20.3,
    trainElbo: -loss,
    trainIwBound: null,
    valLoss: loss + 1.7,
    valReconstruction: loss - 19.1,
    valKl: 20.8,
    valElbo: -loss - 1.7,
    activeUnits: 4,
  };
});

describe('image grids', () => {
  it('lays out images with scaled grey pixels and gaps', () => {
    const img = new Float32Array(2 * 4).fill(0);
    img[4 + 3] = 1;
    const grid = imageGrid(img, 2, [2, 2, 1], 2, 3);
    const png = decode(grid.encode());
    expect([png.width, png.height]).toEqual([2 * (2 * 3 + 2) + 2, 2 * 3 + 4]);
    const ox = 2 + (2 * 3 + 2) + 3;
    expect(pixel(png, ox + 1, 2 + 4)).toEqual([255, 255, 255, 255]);
    expect(pixel(png, 3, 3)).toEqual([0, 0, 0, 255]);
    expect(pixel(png, 0, 0)).toEqual([40, 40, 40, 255]);
    expect(grid.dataUrl()).toMatch(/^data:image\/png;base64,iVBOR/);
    expect(() => imageGrid(img, 2, [2, 2, 1], 0)).toThrow(/cols: expected a positive integer, got 0/);
  });

  it('formats traversal values with a real minus sign and at most two decimals', () => {
    expect([-3, -2.25, 0, 0.75, 1 / 3].map(formatValue)).toEqual(['−3', '−2.25', '0', '0.75', '0.33']);
  });
});

describe('fonts', () => {
  it('inflates the shipped WOFF to TrueType and measures text with its advance widths', async () => {
    const font = await plotFont(400);
    expect(new DataView(font.ttf.buffer, font.ttf.byteOffset).getUint32(0)).toBe(0x00010000);
    // DejaVu Sans: digits are 0.636 em wide, "i" narrower than "m".
    expect(font.width('0', 10)).toBeCloseTo(6.36, 2);
    expect(font.width('i', 11)).toBeLessThan(font.width('m', 11));
    expect(() => woffToTtf(new Uint8Array(64))).toThrow(/expected a WOFF 1.0 file/);
  });
});

describe('figures (Vega-Lite rendered headless)', () => {
  it('training curves: a panel per term with real titles, round ticks and whole epochs; the PNG is the SVG at 2×', async () => {
    expect([...new Set(lossCurveRows(epochs).map((r) => r.term))]).toEqual(['ELBO', 'reconstruction', 'KL']);
    const f = await renderFigure(lossCurveSpec(epochs));
    const labels = texts(f.svg);
    expect(labels).toEqual(
      expect.arrayContaining(['Training curves', 'ELBO', 'reconstruction', 'KL', 'epoch', 'train', 'val']),
    );
    expect(f.svg).toContain('font-family="DejaVu Sans"');
    // Epoch ticks 1…5, value ticks on a 1/2/5 × 10^k grid (never −3.50, −1.68, 0.14).
    expect(labels.filter((t) => /^\d$/.test(t))).toEqual(expect.arrayContaining(['1', '2', '3', '4', '5']));
    const values = numeric(labels).filter((v) => Math.abs(v) >= 10);
    expect(values.length).toBeGreaterThan(8);
    expect(niceSteps(values.filter((v) => v < 0))).toBe(true);
    const png = decode(f.png);
    const [w, h] = (f.svg.match(/width="(\d+)" height="(\d+)"/) ?? []).slice(1).map(Number);
    expect([png.width, png.height]).toEqual([2 * w!, 2 * h!]);
    expect([f.width, f.height]).toEqual([png.width, png.height]);
    // The title was drawn with the shipped font: dark glyph pixels in the top band.
    expect(darkPixels(png, 0, 40)).toBeGreaterThan(200);
  });

  it('an autoencoder has no ELBO/KL panels: its objective and reconstruction only', () => {
    const ae = epochs.map((m) => ({ ...m, trainKl: null, trainElbo: null, valKl: null, valElbo: null }));
    expect([...new Set(lossCurveRows(ae).map((r) => r.term))]).toEqual(['objective', 'reconstruction']);
  });

  it('latent scatter: coloured by label with a legend of class names, one colour without labels', async () => {
    const points = Float32Array.from({ length: 60 }, (_, i) => Math.sin(i) * 3);
    const labels = Uint8Array.from({ length: 30 }, (_, i) => i % 3);
    const spec = scatterSpec({
      points,
      labels,
      classNames: ['cat', 'dog', 'owl'],
      title: 'Latent means by label',
      axes: ['z1', 'z2'],
    });
    const f = await renderFigure(spec);
    expect(texts(f.svg)).toEqual(expect.arrayContaining(['Latent means by label', 'cat', 'dog', 'owl', 'z1', 'z2']));
    expect(f.svg).toMatch(/fill="#4c78a8"/);
    expect(f.svg).toMatch(/fill="#f58518"/);
    const plain = await renderFigure(scatterSpec({ points, labels: null, title: 'Codes', axes: ['z1', 'z2'] }));
    expect(texts(plain.svg)).not.toContain('label');
  });

  it('KL bars: active units blue, inactive grey, the total in the subtitle', async () => {
    const f = await renderFigure(klBarsSpec([0.5, 3, 0.004], [true, true, false]));
    expect(f.svg).toContain('fill="#4c78a8"');
    expect(f.svg).toContain('fill="#bab0ac"');
    expect(texts(f.svg)).toEqual(
      expect.arrayContaining([
        'z0',
        'z1',
        'z2',
        'active',
        'inactive',
        'total 3.50 nats; 2 of 3 units active (Var μ_j > 0.01)',
      ]),
    );
  });

  it('image grid: the decoded pixels embedded as they are, captions and axis values as text', async () => {
    const grid = imageGrid(new Float32Array(6 * 16).fill(1), 6, [4, 4, 1], 3, 4);
    const f = await renderFigure(
      imageGridSpec({
        grid,
        title: 'Latent traversal',
        colLabels: ['−1', '0', '1'],
        rowLabels: ['z0', 'z1'],
        xTitle: 'z_j',
      }),
    );
    expect(f.svg).toContain('<image');
    expect(f.svg).toContain(grid.dataUrl());
    expect(texts(f.svg)).toEqual(expect.arrayContaining(['Latent traversal', '−1', '0', '1', 'z0', 'z1', 'z_j']));
    // Some PNG pixels are the grid's white cells (scaled 2×), some its dark gaps.
    const png = decode(f.png);
    let white = 0;
    for (let i = 0; i < png.data.length; i += 4) if (png.data[i] === 255 && png.data[i + 1] === 255) white++;
    expect(white).toBeGreaterThan(6 * 16 * 16 * 4 * 0.8);
  });

  it('disentanglement table: normalised MI per cell, MIG and FactorVAE in the subtitle; side by side keeps both captions', async () => {
    const spec = disentanglementSpec({
      title: 'Disentanglement',
      factors: ['shape', 'scale'],
      latentDim: 2,
      mutualInformation: [0.5, 0, 0.1, 0.9],
      factorEntropy: [1, 1.8],
      perFactor: [0.4, 0.5],
      mig: 0.45,
      factorVae: 0.8,
    });
    const f = await renderFigure(spec);
    expect(texts(f.svg)).toEqual(
      expect.arrayContaining(['0.50', '0.00', '0.10', '0.50', 'shape', 'scale', 'MIG 0.450, FactorVAE accuracy 0.800']),
    );
    const both = await renderFigure(
      sideBySideSpec([
        { spec: klBarsSpec([1, 2], [true, true]), caption: 'run a' },
        { spec: klBarsSpec([2, 1], [true, false]), caption: 'run b' },
      ]),
    );
    expect(texts(both.svg)).toEqual(expect.arrayContaining(['run a', 'run b']));
  });
});

describe('run report', () => {
  it('report.html: metrics, timings, parity and model links, figures inline, the font embedded', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'vae-report-'));
    try {
      await writeFile(join(dir, 'loss-curve.svg'), (await renderFigure(lossCurveSpec(epochs))).svg);
      await writeFile(
        join(dir, 'parity.json'),
        JSON.stringify({
          passed: true,
          reference: 'ort-node-cpu',
          runtimes: [{ runtime: 'ort-web-wasm', device: 'wasm', status: 'pass', seconds: 0.4 }],
        }),
      );
      const { createModelSpec } = await import('@vae/core');
      const spec = createModelSpec({ kind: 'vae', imageShape: [28, 28, 1], hidden: [32], latentDim: 4 });
      const config = { dataset: 'mnist', dataDir: null, binarize: 'dynamic', batchSize: 64 } as never;
      const path = await writeRunReport({
        runDir: dir,
        spec,
        metrics: epochs,
        training: { config, engine: 'ort', backend: 'cpu', epoch: 5, step: 50, stoppedBy: 'epochs', seconds: 9.5 },
      });
      const html = await readFile(path, 'utf8');
      expect(html).toContain('<svg');
      expect(html).toContain('Training curves');
      expect(html).toContain('<td>validation</td><td>-146.62</td>');
      expect(html).toContain('9.5 s in all, 1.5 s per epoch');
      expect(html).toMatch(/Parity: <span class="pass">PASS<\/span>/);
      expect(html).toContain('Not exported yet');
      expect(html).toMatch(/@font-face \{ font-family: 'DejaVu Sans'; src: url\(data:font\/woff2;base64,/);
      expect(html).not.toMatch(/(src|href)="https?:/);
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });
});

describe('latent plane', () => {
  it('codes as they are for L = 2, the first two principal components otherwise', () => {
    const two = Float32Array.from([1, 2, 3, 4]);
    expect(latentPlane(two, 2, 2)).toMatchObject({ points: two, explained: 1 });
    // 3-D points on a line along (1, 1, 0): all variance on pc1.
    const line = Float32Array.from([0, 0, 5, 1, 1, 5, 2, 2, 5, 3, 3, 5]);
    const p = latentPlane(line, 4, 3);
    expect(p.explained).toBeCloseTo(1, 6);
    const pc1 = [0, 1, 2, 3].map((i) => p.points[2 * i]!);
    expect(pc1[3]! - pc1[0]!).toBeCloseTo(3 * Math.SQRT2, 5);
    for (let i = 0; i < 4; i++) expect(p.points[2 * i + 1]).toBeCloseTo(0, 5);
  });
});
