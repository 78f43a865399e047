import { mkdtemp, readFile, readdir, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PNG } from 'pngjs';
import { afterAll, describe, expect, it } from 'vitest';
import {
  Rng,
  initParameters,
  oneHot,
  samplePrior,
  setLogLevel,
  type ModelSpec,
  type ModelSpecOptions,
  type ParameterSet,
} from '@vae/core';
import { PLOT_FILES, imageGrid, writeRunPlots, type RunPlotInputs } from '../src/index.js';
import { loadOnnxModel } from '../src/eval/onnx-model.js';
import { tinySpec, values } from './helpers.js';

setLogLevel('warn');
const dirs: string[] = [];
afterAll(async () => Promise.all(dirs.map((d) => rm(d, { recursive: true, force: true }))));

const PNG_SIGNATURE = [0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a];
const COUNT = 20;

/** Writes the plots of a freshly initialised tiny model (4×4 images, 20 validation rows, labels 0–2, no metrics). */
async function plots(
  model: ModelSpecOptions,
  classNames: RunPlotInputs['classNames'],
): Promise<{ dir: string; files: string[]; written: string[]; spec: ModelSpec; params: ParameterSet }> {
  const dir = await mkdtemp(join(tmpdir(), 'vae-run-plots-'));
  dirs.push(dir);
  const spec = tinySpec(model);
  const val = {
    images: Uint8Array.from(values(COUNT * 16, 11, 0, 256), Math.floor),
    labels: Uint8Array.from({ length: COUNT }, (_, i) => i % 3),
    count: COUNT,
  };
  const params = initParameters(spec, new Rng(2));
  const written = await writeRunPlots({
    runDir: dir,
    spec,
    params,
    metrics: [],
    val,
    ...(classNames === undefined ? {} : { classNames }),
    seed: 5,
    binarize: 'dynamic',
  });
  return { dir, files: (await readdir(dir)).sort(), written, spec, params };
}

/** Both files of each figure, sorted. */
const figures = (...names: string[]): string[] => names.flatMap((n) => [n, n.replace(/\.png$/, '.svg')]).sort();

/** Each file is a non-empty SVG document or a PNG (signature, decodable, the SVG at 2×); returns the SVG texts. */
async function expectValidFigures(dir: string, files: string[]): Promise<Record<string, string>> {
  const svgs: Record<string, string> = {};
  for (const f of files.filter((n) => n.endsWith('.svg'))) {
    const svg = await readFile(join(dir, f), 'utf8');
    expect(svg, f).toMatch(/^<svg[^>]* width="(\d+)" height="(\d+)"[\s\S]*<\/svg>\s*$/);
    svgs[f] = svg;
    const bytes = await readFile(join(dir, f.replace(/\.svg$/, '.png')));
    expect(Array.from(bytes.subarray(0, 8)), f).toEqual(PNG_SIGNATURE);
    const png = PNG.sync.read(bytes);
    const [w, h] = (svg.match(/width="(\d+)" height="(\d+)"/) ?? []).slice(1).map(Number);
    expect([png.width, png.height], f).toEqual([2 * w!, 2 * h!]);
  }
  return svgs;
}

describe('writeRunPlots', () => {
  it('a conditional VAE (cvae): every variational figure, priors decoded class by class, the legend names the classes', async () => {
    const { dir, files, written, spec, params } = await plots({ kind: 'cvae', latentDim: 2 }, ['cat', 'dog', 'owl']);
    // No metrics: no loss curve.
    expect(files).toEqual(
      figures(
        PLOT_FILES.reconstructions,
        PLOT_FILES.priorSamples,
        PLOT_FILES.traversal,
        PLOT_FILES.scatter,
        PLOT_FILES.kl,
      ),
    );
    expect(written.map((p) => p.slice(dir.length + 1)).sort()).toEqual(files);
    const svgs = await expectValidFigures(dir, files);
    expect(svgs['prior-samples.svg']).toContain('classes in turn');
    // The prior grid is the decoder's means at the plots' first 64 prior draws (Rng(seed + 0x9107); the
    // reconstructions of unbinarized images draw nothing before), conditioned on classes 0, 1, 2, 0, …
    const model = await loadOnnxModel(spec, params, { device: 'cpu', location: 'test' });
    try {
      const z = samplePrior(new Rng(5 + 0x9107), 64, 2);
      const y = oneHot(
        Array.from({ length: 64 }, (_, i) => i % 3),
        3,
      );
      const means = (await model.decode(z, y)).mean.data;
      expect(svgs['prior-samples.svg']).toContain(imageGrid(means, 64, spec.imageShape, 8).dataUrl());
    } finally {
      await model.release();
    }
    expect(svgs['latent-scatter.svg']).toContain('Latent posterior means by label');
    for (const name of ['cat', 'dog', 'owl']) expect(svgs['latent-scatter.svg']).toContain(`>${name}</text>`);
  });

  it('classNames null (unlabelled data): the scatter has no labels and no legend', async () => {
    const { dir, files } = await plots({ kind: 'ae', latentDim: 2 }, null);
    // An autoencoder: no prior samples, no KL bars.
    expect(files).toEqual(figures(PLOT_FILES.reconstructions, PLOT_FILES.traversal, PLOT_FILES.scatter));
    const svgs = await expectValidFigures(dir, files);
    const scatter = svgs['latent-scatter.svg']!;
    expect(scatter).toContain('Latent codes');
    expect(scatter).not.toContain('by label');
    expect(scatter).not.toContain('>label</text>');
  });

  it('a latent dimension of 1: no scatter, a one-row traversal, the rest as usual', async () => {
    const { dir, files } = await plots({ kind: 'vae', latentDim: 1 }, undefined);
    expect(files).toEqual(
      figures(PLOT_FILES.reconstructions, PLOT_FILES.priorSamples, PLOT_FILES.traversal, PLOT_FILES.kl),
    );
    const svgs = await expectValidFigures(dir, files);
    expect(svgs['latent-traversal.svg']).toContain('>z0</text>');
    expect(svgs['latent-traversal.svg']).not.toContain('>z1</text>');
    expect(svgs['latent-kl.svg']).toContain('>z0</text>');
  });
});
