import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Rng, createModelSpec, initParameters, setLogLevel, type ParameterSet } from '@vae/core';
import { afterAll, describe, expect, it } from 'vitest';
import { makeBatch } from '../src/batches/batches.js';
import { loadCheckpoint } from '../src/checkpoint/checkpoint.js';
import { resolveTrainConfig } from '../src/config.js';
import { registerDataset } from '@vae/data/node';
import { registerEngine, type StepsPlan } from '../src/engines/engine.js';
import { OrtEngine } from '../src/engines/ort/index.js';
import { train } from '../src/trainer/trainer.js';

setLogLevel('warn');
const dirs: string[] = [];
afterAll(async () => Promise.all(dirs.map((d) => rm(d, { recursive: true, force: true }))));

function blobs(count: number, seed: number) {
  const rng = new Rng(seed);
  const images = new Uint8Array(count * 64);
  const labels = new Uint8Array(count);
  for (let i = 0; i < count; i++) {
    labels[i] = rng.int(4);
    for (let p = 0; p < 64; p++) images[i * 64 + p] = (p % 4 === labels[i] ? 200 : 20) + rng.int(40);
  }
  return { images, labels, count };
}

registerDataset('ort-steps-blobs', async () => ({
  name: 'ort-steps-blobs',
  imageShape: [8, 8, 1],
  numClasses: 4,
  train: blobs(300, 5),
  test: blobs(40, 6),
  source: 'generated in the test',
}));
// The ort engine without `trainSteps`: the trainer then draws every batch and calls `stepTerms` itself.
registerEngine('ort-per-step', () => Object.assign(new OrtEngine(), { trainSteps: undefined }));

function differingValues(a: ParameterSet, b: ParameterSet): number {
  let n = 0;
  for (const [name, t] of Object.entries(a)) t.data.forEach((v, i) => (n += Object.is(v, b[name]!.data[i]) ? 0 : 1));
  return n;
}

async function tempRun(name: string): Promise<string> {
  const d = await mkdtemp(join(tmpdir(), `ort-steps-${name}-`));
  dirs.push(d);
  return d;
}

const BASE = {
  model: { kind: 'vae' as const, hidden: [16], latentDim: 3 },
  dataset: 'ort-steps-blobs',
  batchSize: 32,
  learningRate: 3e-3,
  seed: 7,
  binarize: 'dynamic' as const,
  backend: 'cpu' as const,
};

describe('ort engine: the step loop in the worker (trainSteps)', () => {
  it('trains bit-identically to the trainer drawing every batch, stopped mid-epoch and resumed', async () => {
    const runs: Record<string, string> = {};
    for (const engine of ['ort', 'ort-per-step']) {
      // 1 epoch stopped after 5 of its steps (max-steps), then resumed for a second, whole epoch.
      const dir = await tempRun('stopped');
      runs[engine] = dir;
      const stopped = await train({ ...BASE, engine, epochs: 1, maxSteps: 5, runDir: dir }, { plots: false });
      expect(stopped.stoppedBy).toBe('max-steps');
      expect(stopped.step).toBe(5);
      await train({ runDir: dir, epochs: 2, maxSteps: null }, { resume: true, plots: false });
    }
    const ck = Object.fromEntries(
      await Promise.all(Object.entries(runs).map(async ([k, d]) => [k, await loadCheckpoint(d)] as const)),
    );
    const a = ck.ort!;
    const b = ck['ort-per-step']!;
    expect(a.step).toBe(b.step);
    expect(a.step).toBe(5 + a.metrics![1]!.epochSteps);
    expect(a.rng).toEqual(b.rng);
    expect(differingValues(a.params, b.params)).toBe(0);
    expect(differingValues(a.optimizer!.m, b.optimizer!.m)).toBe(0);
    expect(a.metrics!.map((m) => [m.trainLoss, m.trainElbo, m.valLoss])).toEqual(
      b.metrics!.map((m) => [m.trainLoss, m.trainElbo, m.valLoss]),
    );
  });

  it('draws the same batches with and without overlapping the next draw, and rewinds the Rng on a stop', async () => {
    const spec = createModelSpec({ kind: 'vae', imageShape: [8, 8, 1], hidden: [16], latentDim: 3 });
    const split = blobs(100, 9);
    const results = [];
    for (const overlap of [false, true]) {
      for (const limits of [
        { maxSteps: null, deadline: null },
        { maxSteps: 2, deadline: null },
        { maxSteps: null, deadline: 0 },
      ]) {
        const engine = new OrtEngine({ worker: false, overlap });
        await engine.init(spec, initParameters(spec, new Rng(1)), resolveTrainConfig({ backend: 'cpu' }));
        const plan: StepsPlan = {
          split,
          order: new Rng(2).permutation(100),
          from: 0,
          batchSize: 16,
          binarize: 'dynamic',
          samples: 1,
          rng: new Rng(3).getState(),
          ...limits,
        };
        const reports: number[] = [];
        const r = await engine.trainSteps(plan, (p) => reports.push(p.steps));
        results.push({ r, params: await engine.getParams(), reports });
        engine.dispose();
      }
    }
    const [full, two, once] = results;
    expect(full!.r).toMatchObject({ steps: 7, stoppedBy: 'end', divergedLoss: null });
    expect(full!.reports).toEqual([]);
    expect(full!.r.sums.n).toBe(100);
    expect(two!.r).toMatchObject({ steps: 2, stoppedBy: 'max-steps' });
    expect(once!.r).toMatchObject({ steps: 1, stoppedBy: 'deadline' });
    // Overlapped draws change nothing: parameters, sums and the Rng state left behind.
    for (let i = 0; i < 3; i++) {
      expect(results[i + 3]!.r).toEqual(results[i]!.r);
      expect(differingValues(results[i + 3]!.params, results[i]!.params)).toBe(0);
    }
    // After one step the Rng stands where the first batch's draws left it (the prefetched second is undone).
    const rng = new Rng(3);
    makeBatch(split, new Rng(2).permutation(100).subarray(0, 16), rng, { spec, binarize: 'dynamic', samples: 1 });
    expect(once!.r.rng).toEqual(rng.getState());
    expect(results[5]!.r.rng).toEqual(rng.getState());
  });
});
