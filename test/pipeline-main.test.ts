import { existsSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { createRequire } from 'node:module';
import { beforeAll, describe, expect, it } from 'vitest';
import type { ParityReport } from '@vae/parity';
import { ROOT, runVae, tempDir, type CliRun } from './parity-fixtures.js';

/** pngjs, resolved from @vae/train (which depends on it) to decode the grid. */
const { PNG } = createRequire(join(ROOT, 'packages/train/package.json'))('pngjs') as typeof import('pngjs');

let runDir: string;
let run: CliRun;

beforeAll(async () => {
  runDir = join(await tempDir('vae-pipeline-test-'), 'run');
  // A tiny configuration of the main job: 784-16-2 VAE, 3 optimizer steps on 256 MNIST images.
  run = await runVae([
    'pipeline',
    '--run-dir',
    runDir,
    '--hidden',
    '16',
    '--latent',
    '2',
    '--epochs',
    '1',
    '--max-steps',
    '3',
    '--train-size',
    '256',
    '--val-size',
    '64',
    '--batch-size',
    '32',
    '--backend',
    'cpu',
    '--runtimes',
    'tfjs-cpu,ort-node-cpu,ort-web-wasm',
  ]);
}, 170_000);

describe('vae pipeline (main job)', () => {
  it('an unknown --runtimes name fails before training, naming the option, the known names and the value', async () => {
    const dir = join(await tempDir('vae-pipeline-bad-runtime-'), 'run');
    const bad = await runVae(['pipeline', '--run-dir', dir, '--runtimes', 'ort-node-cpu,ort-nod-cpu'], 60_000);
    expect(bad.code).not.toBe(0);
    expect(bad.stderr).toMatch(/runtimes\[1\]: expected one of .*ort-node-cpu.*, got "ort-nod-cpu"/);
    expect(bad.stderr).not.toMatch(/1\/4 train/);
    expect(existsSync(dir)).toBe(false);
  });

  it('trains, exports, checks parity and writes the sample grid, exiting 0', async () => {
    expect(run.stderr).not.toMatch(/^error/m);
    expect(run.code).toBe(0);
    for (const f of [
      'checkpoint/checkpoint.json',
      'metrics.jsonl',
      'model/manifest.json',
      'model/encoder.onnx',
      'model/decoder.onnx',
      'parity.json',
      'samples.png',
      'samples.svg',
      'latent-scatter.png',
      'latent-scatter.svg',
      'report.html',
    ]) {
      expect(existsSync(join(runDir, f)), f).toBe(true);
    }
    // The report was rewritten after parity: the verdict and the exported ONNX files are in it.
    const html = await readFile(join(runDir, 'report.html'), 'utf8');
    expect(html).toMatch(/Parity: <span class="pass">PASS<\/span>/);
    expect(html).toContain('<a href="model/decoder.onnx">');
  });

  it('parity covers the training framework and both ONNX runtimes, within tolerance', async () => {
    const report = JSON.parse(await readFile(join(runDir, 'parity.json'), 'utf8')) as ParityReport;
    expect(report.passed).toBe(true);
    expect(report.runDir).toBe(runDir);
    const status = Object.fromEntries(report.runtimes.map((r) => [r.runtime, r.status]));
    expect(status).toEqual({ 'ort-node-cpu': 'reference', 'tfjs-cpu': 'pass', 'ort-web-wasm': 'pass' });
    const wasm = report.runtimes.find((r) => r.runtime === 'ort-web-wasm')!;
    expect(wasm.outputs.map((c) => c.output)).toEqual(['mu', 'logvar', 'x_logits', 'x_mean', 'elbo', 'log_px']);
  });

  it('the summary names the files and prints the parity table', () => {
    expect(run.stdout).toContain(`model    ${join(runDir, 'model')}`);
    expect(run.stdout).toContain(`samples  ${join(runDir, 'samples.png')}`);
    expect(run.stdout).toContain(`latent   ${join(runDir, 'latent-scatter.png')}`);
    expect(run.stdout).toMatch(/tfjs-cpu\s+mu\s+\S+/);
    expect(run.stdout).toMatch(/\nPASS\n/);
  });

  it('the samples figure is the 8×8 grid of decoded 28×28 images (not blank) under a caption, SVG + PNG at 2×', async () => {
    const svg = await readFile(join(runDir, 'samples.svg'), 'utf8');
    expect(svg).toMatch(/<text[^>]*>Prior samples<\/text>/);
    expect(svg).toContain('64 draws z ~ N(0, I), seed 1');
    const png = PNG.sync.read(await readFile(join(runDir, 'samples.png')));
    // imageGrid: cols·(28·2 + 2) + 2 pixels wide, drawn at 2× with the caption above it.
    const grid = 8 * (28 * 2 + 2) + 2;
    expect(png.width).toBeGreaterThanOrEqual(2 * grid);
    expect(png.height).toBeGreaterThan(2 * grid);
    const grey = new Set<number>();
    for (let i = 0; i < png.data.length; i += 4) grey.add(png.data[i]!);
    expect(grey.size).toBeGreaterThan(20);
  });
});
