import {
  Rng,
  createModelSpec,
  initParameters,
  inputSize,
  listTrainableParameters,
  setLogLevel,
  type ModelSpec,
  type ParameterSet,
} from '@vae/core';
import { afterAll, describe, expect, it } from 'vitest';
import { makeBatch } from '../src/batches/batches.js';
import { resolveTrainConfig } from '../src/config.js';
import type { TrainBatch } from '../src/engines/engine.js';
import { ADAM_DEFAULTS } from '../src/engines/adam-defaults.js';
import { AdamArena } from '../src/engines/ort/adam-arena.js';
import { splitBatch } from '../src/engines/ort/data-parallel.js';
import { DEFAULT_ORT_SHARDS, OrtEngine, ortLayout } from '../src/engines/ort/index.js';
import { shardRanges, splitBlocker } from '../src/engines/ort/shard-exchange.js';

setLogLevel('warn');
const SPEC = createModelSpec({ kind: 'vae', imageShape: [6, 6, 1], hidden: [12], latentDim: 3 });
const LR = 0.01;
const engines: OrtEngine[] = [];
afterAll(() => engines.forEach((e) => e.dispose()));

/** Batches of `sizes` rows of synthetic grey images, ε drawn as the trainer draws it. */
function batches(spec: ModelSpec, sizes: readonly number[], seed: number): TrainBatch[] {
  const rng = new Rng(seed);
  const d = inputSize(spec);
  const count = sizes.reduce((a, b) => a + b, 0);
  const images = Uint8Array.from({ length: count * d }, () => (rng.uniform() < 0.6 ? 0 : rng.int(256)));
  const split = { images, labels: new Uint8Array(count), count };
  let at = 0;
  return sizes.map((n) => {
    const indices = Uint32Array.from({ length: n }, (_, i) => at + i);
    at += n;
    return makeBatch(split, indices, rng, { spec, binarize: 'dynamic', samples: 1 });
  });
}

async function engine(options: ConstructorParameters<typeof OrtEngine>[0], params: ParameterSet): Promise<OrtEngine> {
  const e = new OrtEngine(options);
  engines.push(e);
  await e.init(SPEC, params, resolveTrainConfig({ learningRate: LR, backend: 'cpu' }));
  return e;
}

/** Largest |a − b| over a set, relative to the largest |b| of each tensor. */
function relativeGap(a: ParameterSet, b: ParameterSet): number {
  let gap = 0;
  for (const [name, t] of Object.entries(b)) {
    const scale = Math.max(...t.data.map(Math.abs), 1e-30);
    t.data.forEach((v, i) => (gap = Math.max(gap, Math.abs(a[name]!.data[i]! - v) / scale)));
  }
  return gap;
}

describe('data-parallel ort engine', () => {
  it('splits a batch into consecutive parts that move to the shards (odd and one-row batches included)', () => {
    const [b17, b1] = batches(SPEC, [17, 1], 3) as [TrainBatch, TrainBatch];
    const parts = splitBatch(b17, 2);
    expect(parts.map((p) => p.batch.shardRows)).toEqual([
      [8, 9],
      [8, 9],
    ]);
    expect(parts[1]!.batch.target.shape).toEqual([9, 36]);
    expect(parts[1]!.batch.eps!.data).toEqual(b17.eps!.data.subarray(8 * 3));
    expect(parts[0]!.batch.x).toBe(parts[0]!.batch.target);
    expect(parts[0]!.transfer).toHaveLength(2);
    expect(splitBatch(b1, 2).map((p) => p.batch.target.shape[0])).toEqual([0, 1]);
    expect(shardRanges(52, 2)).toEqual([
      { from: 0, to: 28 },
      { from: 28, to: 52 },
    ]);
  });

  it('steps as the single-session engine does within float rounding, its Adam update exact on the reduced gradient', async () => {
    const params = initParameters(SPEC, new Rng(5));
    const single = await engine({ worker: false, threads: 1 }, params);
    const dp = await engine({ shards: 2 }, params);
    expect(dp.layout).toMatchObject({ shards: 2, threads: 1 });
    expect(dp.backend).toBe('cpu');
    const trainable = listTrainableParameters(SPEC);
    for (const [i, b] of batches(SPEC, [16, 17, 1], 7).entries()) {
      const before = await dp.getParams();
      const [ts, td] = [await single.stepTerms(b), await dp.stepTerms(b)];
      for (const key of ['loss', 'reconstruction', 'kl'] as const)
        expect(Math.abs(td[key]! - ts[key]!), `step ${i + 1} ${key}`).toBeLessThan(1e-5 * Math.abs(ts[key]!) + 1e-6);
      const [ss, sd] = [await single.getOptimizerState(), await dp.getOptimizerState()];
      expect(sd.step).toBe(i + 1);
      expect(relativeGap(sd.m, ss.m), `step ${i + 1} m`).toBeLessThan(1e-4);
      expect(relativeGap(sd.v, ss.v), `step ${i + 1} v`).toBeLessThan(1e-4);
      if (i > 0) continue;
      // Step 1: m̃ = g, so the shards' parameters must be Adam of exactly that gradient.
      const arena = AdamArena.create(trainable);
      for (const t of trainable) {
        arena.param(t.name).set(before[t.name]!.data);
        arena.grad(t.name).set(sd.m[t.name]!.data);
      }
      arena.update(ADAM_DEFAULTS, LR, 1);
      const after = await dp.getParams();
      for (const t of trainable) expect(after[t.name]!.data, t.name).toEqual(arena.param(t.name));
    }
  });

  it('resumes exactly: a second data-parallel engine given its parameters and Adam state steps bit-identically', async () => {
    const params = initParameters(SPEC, new Rng(8));
    const a = await engine({ shards: 2 }, params);
    const [b1, b2, b3, b4] = batches(SPEC, [16, 16, 17, 1], 9) as TrainBatch[];
    await a.stepTerms(b1!);
    await a.stepTerms(b2!);
    const b = await engine({ shards: 2 }, await a.getParams());
    expect(b.layout?.shards).toBe(2);
    await b.setOptimizerState(await a.getOptimizerState());
    for (const batch of [b3!, b4!]) expect((await b.stepTerms(batch)).loss).toBe((await a.stepTerms(batch)).loss);
    expect(await b.getParams()).toEqual(await a.getParams());
    expect(await b.getOptimizerState()).toEqual(await a.getOptimizerState());
    expect((await b.getOptimizerState()).step).toBe(4);
    const fa = await a.forwardTerms(b3!);
    expect(fa.embedding.shape).toEqual([17, 3]);
    expect((await b.forward(b3!)).decoded.shape).toEqual([17, 36]);
  });

  it('is chosen by default, where preferred, on the CPU EP with ≥ 2 cores unless threads, inline runs or the model say otherwise', () => {
    expect(ortLayout({}, 'cpu', null, 2)).toMatchObject({ shards: DEFAULT_ORT_SHARDS });
    expect(ortLayout({}, 'cpu', null, 2, 2)).toMatchObject({ shards: 2, threads: 1 });
    expect(ortLayout({}, 'cpu', null, 4, 2)).toMatchObject({ shards: 2, threads: 2 });
    expect(ortLayout({}, 'cpu', null, 1, 2)).toMatchObject({ shards: 1, threads: 1 });
    expect(ortLayout({ threads: 2 }, 'cpu', null, 2, 2)).toMatchObject({ shards: 1, threads: 2 });
    expect(ortLayout({ worker: false }, 'cpu', null, 2, 2)).toMatchObject({ shards: 1, threads: 2 });
    expect(ortLayout({}, 'cpu', 'batch norm', 2, 2)).toMatchObject({ shards: 1, threads: 2, reason: 'batch norm' });
    expect(splitBlocker(createModelSpec({ kind: 'sparse-ae', hidden: [8], latentDim: 4 }))).toMatch(/couples/);
    expect(splitBlocker(createModelSpec({ kind: 'vae', hidden: [8], latentDim: 4, norm: 'batch' }))).toMatch(/buffers/);
    expect(splitBlocker(SPEC)).toBeNull();
    expect(ortLayout({}, 'webgpu', null, 2, 2)).toMatchObject({ shards: 1 });
    expect(ortLayout({ shards: 3, threads: 1 }, 'cpu', null, 2)).toMatchObject({ shards: 3, threads: 1 });
    expect(() => ortLayout({ shards: 2 }, 'cpu', 'batch norm')).toThrow(
      /options.shards: expected 1 .*here batch norm\), got 2/,
    );
    expect(() => ortLayout({ shards: 2, worker: false }, 'cpu', null)).toThrow(/here worker: false\), got 2/);
    expect(() => new OrtEngine({ shards: 0 })).toThrow(/options.shards: expected an integer ≥ 1, got 0/);
  });
});
