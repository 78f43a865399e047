import { mkdtemp, readFile, readdir, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PNG } from 'pngjs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { setLogLevel } from '@vae/core';
import {
  evaluateRun,
  loadCheckpoint,
  readMetrics,
  train,
  TrainingDivergedError,
  type TrainConfig,
  type TrainProgress,
} from '../src/index.js';
import { registerTfObjective, getTfObjective } from '../src/engines/tfjs/tfjs-objectives.js';
import { tf } from '../src/engines/tfjs/tf.js';

const dirs: string[] = [];
async function tempDir(): Promise<string> {
  const d = await mkdtemp(join(tmpdir(), 'vae-run-'));
  dirs.push(d);
  return d;
}
beforeAll(() => {
  setLogLevel('warn');
});
afterAll(async () => {
  await Promise.all(dirs.map((d) => rm(d, { recursive: true, force: true })));
});

const small = (runDir: string, extra: Partial<TrainConfig> = {}): Partial<TrainConfig> => ({
  model: { kind: 'vae', hidden: [64], latentDim: 2 },
  dataset: 'mnist',
  trainSize: 512,
  valSize: 256,
  batchSize: 64,
  epochs: 2,
  learningRate: 3e-3,
  backend: 'wasm',
  seed: 7,
  runDir,
  ...extra,
});

describe('train()', () => {
  it('decreases the loss on a small real MNIST subset and writes the run folder', async () => {
    const dir = await tempDir();
    const progress: TrainProgress[] = [];
    const r = await train(small(dir, { epochs: 3 }), { onProgress: (p) => progress.push(p) });
    expect(r.backend).toBe('wasm');
    expect(r.epoch).toBe(3);
    expect(r.step).toBe(24);
    const [m1, , m3] = r.metrics;
    expect(m3!.trainLoss).toBeLessThan(m1!.trainLoss - 20);
    expect(m3!.valLoss).toBeLessThan(m1!.valLoss - 10);
    expect(m3!.valElbo).toBeCloseTo(-m3!.valLoss, 6);
    expect(m3!.valKl).toBeGreaterThan(0);
    expect(await readMetrics(dir)).toEqual(r.metrics);
    expect(progress.filter((p) => p.phase === 'train')).toHaveLength(24);
    expect(progress.at(-1)!.step).toBe(24);
    const files = await readdir(dir);
    expect(files).toEqual(
      expect.arrayContaining([
        'config.json',
        'metrics.jsonl',
        'checkpoint',
        'loss-curve.png',
        'reconstructions.png',
        'prior-samples.png',
        'latent-traversal.png',
        'latent-scatter.png',
        'latent-kl.png',
        'loss-curve.svg',
        'latent-scatter.svg',
        'report.html',
      ]),
    );
    // Figures: the PNG is the SVG at 2×; the reconstructions embed the 16-column grid of decoded pixels.
    const scatterSvg = await readFile(join(dir, 'latent-scatter.svg'), 'utf8');
    const [w, h] = (scatterSvg.match(/width="(\d+)" height="(\d+)"/) ?? []).slice(1).map(Number);
    const scatter = PNG.sync.read(await readFile(join(dir, 'latent-scatter.png')));
    expect([scatter.width, scatter.height]).toEqual([2 * w!, 2 * h!]);
    expect(scatterSvg).toContain('Latent posterior means');
    const recon = PNG.sync.read(await readFile(join(dir, 'reconstructions.png')));
    expect(recon.width).toBeGreaterThan(2 * (16 * (28 * 2 + 2) + 2));
    expect(r.plots).toContain(join(dir, 'report.html'));

    const ev = await evaluateRun(dir, { samples: 20, limit: 64, device: 'cpu' });
    expect(ev.examples).toBe(64);
    expect(ev.elbo!).toBeLessThan(0);
    // The importance-sampled bound is tighter than the single-sample ELBO: NLL ≤ −ELBO.
    expect(ev.nll!).toBeLessThan(-ev.elbo!);
    expect(ev.nll!).toBeGreaterThan(-ev.elbo! - 30);
  });

  it('a resumed run equals an uninterrupted one (2 epochs vs 1 + resume 1 → identical weights)', async () => {
    const straight = await tempDir();
    const split = await tempDir();
    const cfg = { model: { kind: 'vae' as const, hidden: [32], latentDim: 4 }, trainSize: 256, valSize: 128 };
    await train(small(straight, cfg), { plots: false });
    const first = await train(small(split, { ...cfg, epochs: 1 }), { plots: false });
    expect(first.epoch).toBe(1);
    const resumed = await train({ runDir: split, epochs: 2 }, { resume: true, plots: false });
    expect(resumed.epoch).toBe(2);
    const a = await loadCheckpoint(straight);
    const b = await loadCheckpoint(split);
    expect(b.step).toBe(a.step);
    expect(b.rng).toEqual(a.rng);
    expect(await readFile(join(split, 'checkpoint', 'weights.bin'))).toEqual(
      await readFile(join(straight, 'checkpoint', 'weights.bin')),
    );
    const strip = (ms: typeof a.metrics) => ms!.map(({ seconds: _s, ...m }) => m);
    expect(strip(b.metrics)).toEqual(strip(a.metrics));
  });

  it('stops at --max-steps with a checkpoint it can resume from', async () => {
    const dir = await tempDir();
    const r = await train(small(dir, { maxSteps: 3, model: { kind: 'ae', hidden: [16], latentDim: 4 } }), {
      plots: false,
    });
    expect(r.stoppedBy).toBe('max-steps');
    expect(r.step).toBe(3);
    expect(r.metrics[0]!.epochSteps).toBe(3);
    expect((await loadCheckpoint(dir)).epoch).toBe(1);
    const resumed = await train({ runDir: dir, maxSteps: 5 }, { resume: true, plots: false });
    expect([resumed.epoch, resumed.step, resumed.stoppedBy]).toEqual([2, 5, 'max-steps']);
    // Loading the dataset alone takes longer than 1e-9 minutes, so the limit trips after the first step.
    const timed = await train(
      small(await tempDir(), { maxMinutes: 1e-9, model: { kind: 'ae', hidden: [16], latentDim: 4 } }),
      { plots: false },
    );
    expect([timed.stoppedBy, timed.step, timed.epoch]).toEqual(['max-minutes', 1, 1]);
    // The trainer draws batch 2 while step 1 runs; stopping after step 1 rewinds those draws, so the
    // checkpoint's Rng state is the one of a run that never looked ahead (--max-steps 1 does not).
    const one = await train(
      small(await tempDir(), { maxSteps: 1, model: { kind: 'ae', hidden: [16], latentDim: 4 } }),
      { plots: false },
    );
    expect((await loadCheckpoint(timed.runDir)).rng).toEqual((await loadCheckpoint(one.runDir)).rng);
  });

  it('NaN guard: stops with a clear error and keeps the last good checkpoint', async () => {
    const dir = await tempDir();
    const original = getTfObjective('vae');
    let calls = 0;
    // Poison the objective from the 12th step on (epoch 2 of 8 steps per epoch).
    registerTfObjective('vae', (a) => {
      const r = original(a);
      calls++;
      return calls >= 12 ? { ...r, loss: tf.mul(r.loss, Number.NaN) as typeof r.loss } : r;
    });
    try {
      await expect(train(small(dir), { plots: false })).rejects.toThrow(TrainingDivergedError);
      registerTfObjective('vae', (a) => {
        const r = original(a);
        return { ...r, loss: tf.mul(r.loss, Number.NaN) as typeof r.loss };
      });
      await expect(train(small(dir), { plots: false })).rejects.toThrow(
        /training diverged at epoch 1, step 1: the loss became NaN. The last good checkpoint \(none yet/,
      );
    } finally {
      registerTfObjective('vae', null);
    }
    const ckpt = await loadCheckpoint(dir);
    expect(ckpt.epoch).toBe(1);
    expect(ckpt.step).toBe(8);
  });

  it('rejects bad configurations, naming the field, the expected and the actual value', async () => {
    const dir = await tempDir();
    await expect(train(small(dir, { epochs: 0 }))).rejects.toThrow(/epochs: expected an integer in \[1, .*\], got 0/);
    await expect(train(small(dir, { binarize: 'maybe' as never }))).rejects.toThrow(
      /binarize: expected one of dynamic\|static\|none, got "maybe"/,
    );
    await expect(train(small(dir, { dataset: 'cifar' }))).rejects.toThrow(/dataset: expected one of .*, got "cifar"/);
    await expect(train(small(dir, { engine: 'torch' }))).rejects.toThrow(
      /engine: expected one of ort\|tfjs, got "torch"/,
    );
    await expect(train(small(dir, { backend: 'tpu' as never }))).rejects.toThrow(
      /backend: expected one of auto\|tensorflow\|webgpu\|wasm\|cpu\|cuda, got "tpu"/,
    );
    await expect(train(small(dir, { backend: 'cuda', engine: 'tfjs' }))).rejects.toThrow(
      /backend: expected a TensorFlow.js backend .* got 'cuda'/,
    );
    await expect(train(small(dir, { iwSamples: 5, model: { kind: 'ae' } }))).rejects.toThrow(
      /iwSamples: expected 1 for the non-variational kind ae, got 5/,
    );
    await expect(train(small(dir, { valSize: 60000 }))).rejects.toThrow(
      /valSize: expected an integer in \[1, 59999\], got 60000/,
    );
    await expect(train({ runDir: join(dir, 'absent') }, { resume: true })).rejects.toThrow(
      /checkpoint.json: not found/,
    );
  });
});
