import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, afterEach, describe, expect, it, vi } from 'vitest';
import { runCliCaptured } from './cli-capture.js';

const dirs: string[] = [];
afterAll(async () => {
  await Promise.all(dirs.map((d) => rm(d, { recursive: true, force: true })));
});
afterEach(() => {
  vi.restoreAllMocks();
});

const run = runCliCaptured;

describe('vae train / vae eval', () => {
  it('trains a tiny model, then evaluates it (ELBO and IS NLL)', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'vae-cli-'));
    dirs.push(dir);
    const runDir = join(dir, 'run');
    const tr = await run([
      'train',
      '--train-size',
      '256',
      '--val-size',
      '128',
      '--epochs',
      '1',
      '--batch-size',
      '64',
      '--hidden',
      '16',
      '--latent',
      '2',
      '--backend',
      'cpu',
      '--run-dir',
      runDir,
      '--json',
    ]);
    expect(tr.stderr).not.toMatch(/error/);
    expect(tr.code).toBe(0);
    const out = JSON.parse(tr.stdout);
    expect(out).toMatchObject({ runDir, epoch: 1, step: 4, backend: 'cpu', stoppedBy: 'epochs' });
    // Figures as SVG + PNG and the run report (the other runs here pass --no-plots).
    for (const f of ['loss-curve.svg', 'loss-curve.png', 'latent-scatter.png', 'report.html'])
      expect(out.plots).toContain(join(runDir, f));
    expect(out.last.valElbo).toBeLessThan(0);
    const config = JSON.parse(await readFile(join(runDir, 'config.json'), 'utf8'));
    expect(config.spec.latentDim).toBe(2);
    expect(config.config.model.hidden).toEqual([16]);
    const ev = await run(['eval', '--run', runDir, '--samples', '10', '--limit', '32', '--backend', 'cpu', '--json']);
    expect(ev.code).toBe(0);
    const r = JSON.parse(ev.stdout);
    expect(r.examples).toBe(32);
    expect(r.samples).toBe(10);
    expect(r.nll).toBeGreaterThan(0);
    expect(r.nll).toBeLessThan(-r.elbo);
  });

  it('trains beta-tcvae (its own --alpha/--gamma flags) and the IWAE bound on the ort engine', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'vae-cli-'));
    dirs.push(dir);
    const tiny = [
      '--train-size',
      '128',
      '--val-size',
      '64',
      '--epochs',
      '1',
      '--hidden',
      '16',
      '--latent',
      '3',
      '--no-plots',
    ];
    const tc = await run([
      'train',
      ...tiny,
      '--kind',
      'beta-tcvae',
      '--alpha',
      '2',
      '--gamma',
      '0.5',
      '--engine',
      'ort',
      '--run-dir',
      join(dir, 'tc'),
      '--json',
    ]);
    expect(tc.code).toBe(0);
    expect(JSON.parse(tc.stdout).engine).toBe('ort');
    const config = JSON.parse(await readFile(join(dir, 'tc', 'config.json'), 'utf8'));
    expect(config.spec.tcvae).toEqual({ alpha: 2, gamma: 0.5, datasetSize: 60000 });
    expect(config.spec.beta).toBe(6);
    const iw = await run([
      'train',
      ...tiny,
      '--iw-samples',
      '3',
      '--engine',
      'ort',
      '--run-dir',
      join(dir, 'iw'),
      '--json',
    ]);
    expect(iw.code).toBe(0);
    const out = JSON.parse(iw.stdout);
    expect(out.engine).toBe('ort');
    expect(out.last.trainIwBound).toBeLessThan(0);
    const wrong = await run(['train', ...tiny, '--kind', 'vae', '--alpha', '2', '--run-dir', join(dir, 'x')]);
    expect(wrong.code).not.toBe(0);
    expect(wrong.stderr).toMatch(/--alpha: expected --kind beta-tcvae, got --kind vae/);
  });

  it.each([
    [['train', '--epochs', 'abc'], /--epochs: expected an integer ≥ 1, got "abc"/],
    [['train', '--lr', '-1'], /--lr: expected a number > 0, got "-1"/],
    [['train', '--kind', 'gan'], /--kind: expected one of ae\|sparse-ae\|.*\|cvae\|.*, got "gan"/],
    [['train', '--hidden', '400,x'], /--hidden: expected positive integers .*, got "400,x"/],
    [['train', '--backend', 'tpu'], /--backend: expected one of auto\|tensorflow\|webgpu\|wasm\|cpu\|cuda, got "tpu"/],
    [['train', '--dataset', 'idx'], /data: expected a path for dataset idx \(pass --data\), got none/],
    [['train', '--resume', '--run-dir', '/nonexistent/run'], /checkpoint.json: not found/],
    [['eval', '--run', '/nonexistent/run'], /checkpoint.json: not found/],
    [['eval', '--run', 'x', '--samples', '0'], /--samples: expected a positive integer, got "0"/],
  ])('%j fails with a clear message', async (argv, message) => {
    const r = await run(argv as string[]);
    expect(r.code).not.toBe(0);
    expect(r.stderr).toMatch(message);
  });
});
