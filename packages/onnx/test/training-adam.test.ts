import { Rng, listParameters } from '@vae/core';
import { describe, expect, it } from 'vitest';
import { ADAM_GRAPH_DEFAULTS, TRAIN_STEP_NAMES, adamMomentScales, buildTrainStepGraph } from '../src/training/index.js';
import {
  TINY_SPECS,
  batchFeeds,
  coreTerms,
  createModelSpec,
  ort,
  randomBatch,
  randomParams,
} from './training-helpers.js';

const N = TRAIN_STEP_NAMES;

describe('training graph Adam step (float64)', () => {
  it('updates parameters and moments as bias-corrected Adam on the gradients graph (checked by central differences)', async () => {
    const spec = createModelSpec(TINY_SPECS.vae!);
    const rng = new Rng(5);
    const params = randomParams(spec, rng);
    const b = randomBatch(spec, rng, 4);
    const graph = buildTrainStepGraph(spec, { mode: 'adam', dtype: 'float64' });
    expect(graph.dataInputs).toEqual(['x', 'eps']);
    expect(graph.scalarInputs).toEqual(['beta', 'lr', 'step']);
    const session = await ort.InferenceSession.create(graph.bytes);
    const t = 3;
    const lr = 0.01;
    const feeds: Record<string, ort.Tensor> = { ...batchFeeds(spec, b, 'float64') };
    feeds.lr = new ort.Tensor('float64', Float64Array.of(lr), []);
    feeds.step = new ort.Tensor('float64', Float64Array.of(t), []);
    const scale = adamMomentScales(ADAM_GRAPH_DEFAULTS);
    const m: Record<string, Float64Array> = {};
    const v: Record<string, Float64Array> = {};
    for (const p of listParameters(spec)) {
      m[p.name] = Float64Array.from(params[p.name]!, () => 0.01 * rng.normal());
      v[p.name] = Float64Array.from(params[p.name]!, () => 1e-4 * rng.uniform());
      feeds[p.name] = new ort.Tensor('float64', params[p.name]!, [...p.shape]);
      feeds[N.m(p.name)] = new ort.Tensor(
        'float64',
        m[p.name]!.map((u) => u / scale.m),
        [...p.shape],
      );
      feeds[N.v(p.name)] = new ort.Tensor(
        'float64',
        v[p.name]!.map((u) => u / scale.v),
        [...p.shape],
      );
    }
    const out = await session.run(feeds);
    const gradGraph = buildTrainStepGraph(spec, { mode: 'gradients', dtype: 'float64' });
    const gradSession = await ort.InferenceSession.create(gradGraph.bytes);
    const gradFeeds: Record<string, ort.Tensor> = { ...batchFeeds(spec, b, 'float64') };
    for (const p of listParameters(spec)) gradFeeds[p.name] = feeds[p.name]!;
    const gradOut = await gradSession.run(gradFeeds);
    await gradSession.release();
    expect(Number(out[N.loss]!.data[0])).toBeCloseTo(Number(gradOut[N.loss]!.data[0]), 12);
    const { beta1, beta2, epsilon } = ADAM_GRAPH_DEFAULTS;
    let worst = 0;
    let moved = 0;
    for (const p of listParameters(spec)) {
      const g = gradOut[N.grad(p.name)]!.data as Float64Array;
      const pn = out[N.next(p.name)]!.data as Float64Array;
      const mn = out[N.next(N.m(p.name))]!.data as Float64Array;
      const vn = out[N.next(N.v(p.name))]!.data as Float64Array;
      for (let i = 0; i < g.length; i++) {
        const m1 = beta1 * m[p.name]![i]! + (1 - beta1) * g[i]!;
        const v1 = beta2 * v[p.name]![i]! + (1 - beta2) * g[i]! ** 2;
        const p1 = params[p.name]![i]! - (lr * (m1 / (1 - beta1 ** t))) / (Math.sqrt(v1 / (1 - beta2 ** t)) + epsilon);
        worst = Math.max(
          worst,
          Math.abs(mn[i]! * scale.m - m1),
          Math.abs(vn[i]! * scale.v - v1),
          Math.abs(pn[i]! - p1),
        );
        moved = Math.max(moved, Math.abs(pn[i]! - params[p.name]![i]!));
      }
    }
    expect(moved).toBeGreaterThan(1e-3);
    expect(worst).toBeLessThan(1e-12);
    await session.release();
  });

  it('forward mode gives the same loss terms as the training graph', async () => {
    const spec = createModelSpec(TINY_SPECS['sparse-ae-kl']!);
    const rng = new Rng(9);
    const params = randomParams(spec, rng);
    const b = randomBatch(spec, rng, 6);
    const graph = buildTrainStepGraph(spec, { mode: 'forward', dtype: 'float64', exposeForward: true });
    expect(graph.outputs).toEqual(['loss', 'reconstruction', 'regularizer', 'decoded', 'code']);
    const session = await ort.InferenceSession.create(graph.bytes);
    const feeds: Record<string, ort.Tensor> = { ...batchFeeds(spec, b, 'float64') };
    for (const p of listParameters(spec)) feeds[p.name] = new ort.Tensor('float64', params[p.name]!, [...p.shape]);
    const out = await session.run(feeds);
    const ref = coreTerms(spec, out, b, params);
    expect(Number(out.loss!.data[0])).toBeCloseTo(ref.loss, 10);
    expect(Number(out.regularizer!.data[0])).toBeCloseTo(ref.regularizer, 10);
    expect(ref.regularizer).toBeGreaterThan(0);
    await session.release();
  });
});
