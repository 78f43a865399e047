import { existsSync } from 'node:fs';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, it, vi } from 'vitest';
import { createRequire } from 'node:module';
import { runCliCaptured } from './cli-capture.js';
import { ROOT } from './parity-fixtures.js';

/** pngjs, resolved from @vae/train (which depends on it). */
const { PNG } = createRequire(join(ROOT, 'packages/train/package.json'))('pngjs') as typeof import('pngjs');

let dir: string;
beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'vae-latent-cli-'));
});
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});
afterEach(() => {
  vi.restoreAllMocks();
});

const run = runCliCaptured;

/** A tiny MLP run (a few optimizer steps): real files, fast. */
async function tinyRun(name: string, extra: string[]): Promise<string> {
  const runDir = join(dir, name);
  const r = await run([
    'train',
    '--train-size',
    '256',
    '--val-size',
    '64',
    '--epochs',
    '1',
    '--batch-size',
    '64',
    '--hidden',
    '16',
    '--backend',
    'cpu',
    '--run-dir',
    runDir,
    '--no-plots',
    '--json',
    ...extra,
  ]);
  expect(r.stderr).not.toMatch(/^error/m);
  expect(r.code).toBe(0);
  return runDir;
}

function png(path: string): Promise<import('pngjs').PNG> {
  return readFile(path).then((b) => PNG.sync.read(b));
}

describe('vae latent', () => {
  it('draws scatter, manifold grid, KL per dimension and μ ± σ for a 2-D VAE, and compares it with a 2-D AE', async () => {
    const vae = await tinyRun('vae2', ['--latent', '2']);
    const ae = await tinyRun('ae2', ['--kind', 'ae', '--latent', '2']);
    const out = join(dir, 'views');
    const r = await run([
      'latent',
      '--run',
      vae,
      '--compare',
      ae,
      '--out',
      out,
      '--limit',
      '300',
      '--grid',
      '8',
      '--json',
    ]);
    expect(r.code).toBe(0);
    const res = JSON.parse(r.stdout);
    expect(res.summary).toMatchObject({ latentDim: 2, variational: true, examples: 300, dataset: 'mnist' });
    expect(res.summary.klPerDimension).toHaveLength(2);
    for (const v of res.summary.klPerDimension) expect(v).toBeGreaterThanOrEqual(0);
    // Φ⁻¹-spaced axes: symmetric around 0, outermost at Φ⁻¹(1/16) of an 8-point grid.
    expect(res.summary.manifoldAxes[0][0]).toBeCloseTo(-1.5341, 3);
    expect(res.summary.manifoldAxes[0][7]).toBeCloseTo(1.5341, 3);
    expect(res.compare).toMatchObject({ latentDim: 2, variational: false, klPerDimension: null });
    for (const f of [
      'latent-scatter.png',
      'latent-manifold.png',
      'latent-kl.png',
      'latent-posteriors.png',
      'compare-scatter.png',
      'compare-manifold.png',
      'latent.json',
    ])
      expect(existsSync(join(out, f)), f).toBe(true);
    expect(existsSync(join(out, 'compare-kl.png'))).toBe(false);
    // Figures as SVG + PNG: the manifold embeds the 8 × 8 grid of decoded pixels with its z values as axis text.
    const manifold = await readFile(join(out, 'latent-manifold.svg'), 'utf8');
    expect(manifold).toContain('<image');
    expect(manifold).toMatch(/>−1\.53<\/text>/);
    const grid = await png(join(out, 'latent-manifold.png'));
    expect(grid.width).toBeGreaterThan(2 * (8 * (28 + 2) + 2));
    const compare = await readFile(join(out, 'compare-scatter.svg'), 'utf8');
    expect(compare).toMatch(/>vae2<\/text>[\s\S]*>ae2<\/text>/);

    // An exported model directory gives the same views (the dataset comes from its provenance).
    const modelDir = join(dir, 'vae2-model');
    expect((await run(['export', '--run', vae, '--out', modelDir])).code).toBe(0);
    const fromModel = await run([
      'latent',
      '--model',
      modelDir,
      '--out',
      join(dir, 'views-model'),
      '--limit',
      '300',
      '--grid',
      '8',
      '--json',
    ]);
    expect(fromModel.code).toBe(0);
    const m = JSON.parse(fromModel.stdout).summary;
    expect(m).toMatchObject({ dataset: 'mnist', latentDim: 2, examples: 300 });
    m.klPerDimension.forEach((v: number, j: number) => expect(v).toBeCloseTo(res.summary.klPerDimension[j], 3));
  });

  it('scatters principal components when L > 2 and fails clearly on bad arguments', async () => {
    const vae = await tinyRun('vae5', ['--latent', '5']);
    const out = join(dir, 'views5');
    const r = await run(['latent', '--run', vae, '--out', out, '--limit', '200', '--json']);
    expect(r.code).toBe(0);
    const s = JSON.parse(r.stdout).summary;
    expect(s.latentDim).toBe(5);
    expect(s.manifoldAxes).toBeNull();
    expect(s.scatterExplained).toBeGreaterThan(0.4);
    expect(s.scatterExplained).toBeLessThanOrEqual(1);
    expect(existsSync(join(out, 'latent-manifold.png'))).toBe(false);
    const both = await run(['latent', '--run', vae, '--model', vae, '--out', out]);
    expect(both.code).not.toBe(0);
    expect(both.stderr).toMatch(/--run\/--model: expected exactly one of .*, got both/);
    const bad = await run(['latent', '--run', vae, '--out', out, '--limit', '0']);
    expect(bad.stderr).toMatch(/--limit: expected a positive integer, got "0"/);
  });
});

describe('vae disentanglement', () => {
  it('trains on shapes, then reports MIG and FactorVAE as JSON; refuses a model without ground-truth factors', async () => {
    const runDir = await tinyRun('shapes', ['--dataset', 'shapes', '--latent', '4', '--binarize', 'none']);
    const r = await run([
      'disentanglement',
      '--run',
      runDir,
      '--mig-samples',
      '2000',
      '--train-votes',
      '100',
      '--eval-votes',
      '50',
      '--plot',
      join(runDir, 'disentanglement'),
      '--json',
    ]);
    expect(r.stderr).not.toMatch(/^error/m);
    const table = await readFile(join(runDir, 'disentanglement.svg'), 'utf8');
    for (const factor of ['shape', 'scale', 'orientation', 'posX', 'posY'])
      expect(table).toContain(`>${factor}</text>`);
    expect(existsSync(join(runDir, 'disentanglement.png'))).toBe(true);
    expect(r.code).toBe(0);
    const res = JSON.parse(r.stdout);
    expect(res.factors).toEqual(['shape', 'scale', 'orientation', 'posX', 'posY']);
    expect(res.latentDim).toBe(4);
    expect(res.mig.samples).toBe(2000);
    expect(res.mig.bins).toBe(20);
    expect(res.mig.mutualInformation).toHaveLength(4 * 5);
    expect(res.mig.score).toBeGreaterThanOrEqual(0);
    expect(res.mig.score).toBeLessThanOrEqual(1);
    // Factors are drawn uniformly over the grid: their entropies are close to log(size).
    [3, 6, 40, 32, 32].forEach((size, k) => expect(res.mig.factorEntropy[k]).toBeCloseTo(Math.log(size), 1));
    for (const v of res.mig.mutualInformation) expect(v).toBeGreaterThanOrEqual(0);
    expect(res.factorVae.settings).toMatchObject({ trainVotes: 100, evalVotes: 50, batchSize: 64 });
    expect(res.factorVae.score).toBeGreaterThanOrEqual(0);
    expect(res.factorVae.score).toBeLessThanOrEqual(1);
    const views = await run(['latent', '--run', runDir, '--out', join(dir, 'shape-views'), '--limit', '100']);
    expect(views.code).toBe(0);
    expect(views.stdout).toContain('shapes test images');

    // The colour set: the same metrics over seven factors, asked of the registry (not by name).
    const colour = await tinyRun('color-shapes', ['--dataset', 'color-shapes', '--latent', '3', '--binarize', 'none']);
    const c = await run([
      'disentanglement',
      '--run',
      colour,
      '--mig-samples',
      '500',
      '--train-votes',
      '20',
      '--eval-votes',
      '10',
      '--json',
    ]);
    expect(c.code, c.stderr).toBe(0);
    const cres = JSON.parse(c.stdout);
    expect(cres.factors).toEqual(['shape', 'scale', 'orientation', 'posX', 'posY', 'objectHue', 'backgroundHue']);
    expect(cres.mig.mutualInformation).toHaveLength(3 * 7);

    const mnist = await tinyRun('mnist-for-metrics', ['--latent', '2']);
    const refused = await run(['disentanglement', '--run', mnist]);
    expect(refused.code).not.toBe(0);
    expect(refused.stderr).toMatch(
      /dataset: expected a model trained on a dataset with ground-truth factors \(.*shapes.*\), got "mnist"/,
    );
  });
});
