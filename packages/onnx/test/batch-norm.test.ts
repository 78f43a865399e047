import {
  Rng,
  createModelSpec,
  initParameters,
  listParameters,
  listTrainableParameters,
  sizeOf,
  type ModelSpec,
  type ParameterSet,
} from '@vae/core';
import { describe, expect, it } from 'vitest';
import { buildDecoderGraph, buildEncoderGraph } from '../src/index.js';
import { TRAIN_STEP_NAMES, buildTrainStepGraph } from '../src/training/index.js';
import { maxAbsDiff, runOrt } from './ort-helpers.js';
import { referenceDecode, referenceEncode } from './reference-forward.js';
import { seededInputs } from './specs.js';
import { batchFeeds, ort, randomBatch, randomParams } from './training-helpers.js';

const N = TRAIN_STEP_NAMES;
const MLP = createModelSpec({
  kind: 'cvae',
  imageShape: [4, 4, 1],
  hidden: [6, 5],
  latentDim: 3,
  numClasses: 3,
  norm: 'batch',
  activation: 'tanh',
});
const CONV = createModelSpec({ kind: 'vae', architecture: 'conv', imageShape: [8, 8, 1], latentDim: 3, norm: 'batch' });

/** Initial parameters with random γ, β and running statistics, so evaluation-mode batch norm is far from identity. */
function randomState(spec: ModelSpec, seed: number): ParameterSet {
  const rng = new Rng(seed);
  const p = initParameters(spec, rng);
  for (const info of listParameters(spec)) {
    if (!/\.(gamma|beta|running_mean|running_var)$/.test(info.name)) continue;
    const positive = info.name.endsWith('running_var') || info.name.endsWith('gamma');
    p[info.name] = {
      data: Float32Array.from({ length: sizeOf(info.shape) }, () => (positive ? 0.5 + rng.uniform() : rng.normal())),
      shape: info.shape,
    };
  }
  return p;
}

describe('batch norm: one definition, exported and trained', () => {
  it('the presets put it after each hidden dense/conv layer (bias dropped, activation moved), never on the heads or the output', () => {
    expect(MLP.encoder.map((l) => l.type)).toEqual(['dense', 'batch-norm', 'dense', 'batch-norm']);
    expect(MLP.decoder.map((l) => l.type)).toEqual(['dense', 'batch-norm', 'dense', 'batch-norm', 'dense']);
    expect(MLP.encoder[0]).toMatchObject({ activation: 'linear', useBias: false });
    expect(MLP.encoder[1]).toMatchObject({ activation: 'tanh', momentum: 0.1, epsilon: 1e-5 });
    expect(CONV.decoder.at(-2)).toMatchObject({ type: 'conv2d-transpose', activation: 'linear' });
    expect(CONV.decoder.at(-2)).not.toHaveProperty('useBias');
    const buffers = listParameters(MLP)
      .filter((p) => !p.trainable)
      .map((p) => p.name);
    expect(buffers).toEqual([
      'encoder.1.running_mean',
      'encoder.1.running_var',
      'encoder.3.running_mean',
      'encoder.3.running_var',
      'decoder.1.running_mean',
      'decoder.1.running_var',
      'decoder.3.running_mean',
      'decoder.3.running_var',
    ]);
    expect(listTrainableParameters(MLP).some((p) => p.name.includes('running'))).toBe(false);
    expect(() => createModelSpec({ kind: 'contractive-ae', norm: 'batch' })).toThrow(
      /^norm: expected 'none' for contractive-ae/,
    );
    expect(() => createModelSpec({ ...MLP, norm: 'layer' as 'batch' })).toThrow(
      /^norm: expected one of none\|batch, got "layer"/,
    );
  });

  for (const [label, spec] of [
    ['mlp', MLP],
    ['conv', CONV],
  ] as const) {
    it(`${label}: exported graphs use the running statistics (float64 reference within 1e-5)`, async () => {
      const params = randomState(spec, 5);
      const { x, y, z } = seededInputs(spec, 3, 2);
      const enc = await runOrt(buildEncoderGraph(spec, params), { x, ...(y ? { y } : {}) });
      const dec = await runOrt(buildDecoderGraph(spec, params), { z, ...(y ? { y } : {}) });
      const d = x.shape[1]!;
      for (let r = 0; r < 3; r++) {
        const row = (t: { data: Float32Array }, n: number) => Float64Array.from(t.data.subarray(r * n, (r + 1) * n));
        const yr = y ? row(y, spec.numClasses) : null;
        const re = referenceEncode(spec, params, row(x, d), yr);
        expect(maxAbsDiff(row(enc.mu!, 3), re.mu!)).toBeLessThan(1e-5);
        const rd = referenceDecode(spec, params, row(z, 3), yr);
        expect(maxAbsDiff(row(dec.x_logits!, d), rd.x_logits!)).toBeLessThan(1e-5);
      }
    });
  }

  it('mlp: training-graph gradients of every parameter match float64 central differences (batch statistics)', async () => {
    const rng = new Rng(11);
    const params = randomParams(MLP, rng);
    const b = randomBatch(MLP, rng, 5);
    const graph = buildTrainStepGraph(MLP, { mode: 'gradients', dtype: 'float64' });
    expect(graph.parameters.map((p) => p.name)).toEqual(listTrainableParameters(MLP).map((p) => p.name));
    const session = await ort.InferenceSession.create(graph.bytes, { intraOpNumThreads: 1 });
    const run = async (p: Record<string, Float64Array>) => {
      const feeds: Record<string, ort.Tensor> = { ...batchFeeds(MLP, b, 'float64') };
      for (const info of listParameters(MLP))
        feeds[info.name] = new ort.Tensor('float64', p[info.name]!, [...info.shape]);
      return session.run(feeds);
    };
    const out = await run(params);
    const h = 1e-6;
    let worst = 0;
    for (const info of graph.parameters) {
      const g = out[N.grad(info.name)]!.data as Float64Array;
      for (let i = 0; i < g.length; i++) {
        const shift = (s: number) => ({
          ...params,
          [info.name]: params[info.name]!.map((v, j) => (j === i ? v + s * h : v)),
        });
        const fd =
          (Number((await run(shift(1))).loss!.data[0]) - Number((await run(shift(-1))).loss!.data[0])) / (2 * h);
        worst = Math.max(worst, Math.abs(fd - g[i]!) / Math.max(1, Math.abs(fd)));
      }
    }
    expect(worst).toBeLessThan(1e-6);
    await session.release();
  });

  it('mlp: an Adam step updates the running statistics in the graph (PyTorch rule), not by Adam; evaluation reads them', async () => {
    const rng = new Rng(13);
    const params = randomParams(MLP, rng);
    const b = randomBatch(MLP, rng, 6);
    const graph = buildTrainStepGraph(MLP, { mode: 'adam', dtype: 'float64' });
    expect(graph.buffers.map((p) => p.name)).toContain('encoder.1.running_mean');
    const inputs = graph.outputs.filter((o) => o.startsWith('next.adam.m.'));
    expect(inputs.some((o) => o.includes('running'))).toBe(false);
    const session = await ort.InferenceSession.create(graph.bytes, { intraOpNumThreads: 1 });
    const feeds: Record<string, ort.Tensor> = {
      ...batchFeeds(MLP, b, 'float64'),
      lr: new ort.Tensor('float64', Float64Array.of(1e-3), []),
      step: new ort.Tensor('float64', Float64Array.of(1), []),
    };
    for (const info of listParameters(MLP))
      feeds[info.name] = new ort.Tensor('float64', params[info.name]!, [...info.shape]);
    for (const info of graph.parameters)
      for (const k of [N.m(info.name), N.v(info.name)])
        feeds[k] = new ort.Tensor('float64', new Float64Array(sizeOf(info.shape)), [...info.shape]);
    const out = await session.run(feeds);
    // encoder.0 is dense without bias on [x, y]: its output's batch mean and unbiased variance per unit.
    const W = params['encoder.0.kernel']!;
    const [din, units] = [16 + 3, 6];
    const pre = Array.from({ length: 6 }, (_, r) =>
      Array.from({ length: units }, (_, u) => {
        let s = 0;
        for (let i = 0; i < din; i++) s += (i < 16 ? b.x[r * 16 + i]! : b.y![r * 3 + i - 16]!) * W[i * units + u]!;
        return s;
      }),
    );
    for (let u = 0; u < units; u++) {
      const col = pre.map((row) => row[u]!);
      const mean = col.reduce((a, v) => a + v, 0) / 6;
      const unbiased = col.reduce((a, v) => a + (v - mean) ** 2, 0) / 5;
      const rm = params['encoder.1.running_mean']![u]!;
      const rv = params['encoder.1.running_var']![u]!;
      expect((out[N.next('encoder.1.running_mean')]!.data as Float64Array)[u]).toBeCloseTo(0.9 * rm + 0.1 * mean, 12);
      expect((out[N.next('encoder.1.running_var')]!.data as Float64Array)[u]).toBeCloseTo(
        0.9 * rv + 0.1 * unbiased,
        12,
      );
    }
    await session.release();
  });

  it('conv: the forward-mode (evaluation) graph agrees with the exported encoder', async () => {
    const params = randomState(CONV, 17);
    const graph = buildTrainStepGraph(CONV, { mode: 'forward', exposeForward: true });
    const session = await ort.InferenceSession.create(graph.bytes, { intraOpNumThreads: 1 });
    const { x } = seededInputs(CONV, 4, 3);
    const feeds: Record<string, ort.Tensor> = {
      x: new ort.Tensor('float32', x.data, [...x.shape]),
      eps: new ort.Tensor('float32', new Float32Array(4 * 3), [4, 3]),
      beta: new ort.Tensor('float32', Float32Array.of(1), []),
    };
    for (const info of listParameters(CONV))
      feeds[info.name] = new ort.Tensor('float32', params[info.name]!.data, [...info.shape]);
    const out = await session.run(feeds);
    const enc = await runOrt(buildEncoderGraph(CONV, params), { x });
    expect(maxAbsDiff(out.mu!.data as Float32Array, enc.mu!.data)).toBeLessThan(1e-5);
    await session.release();
  });
});
