import {
  Rng,
  createModelSpec,
  initParameters,
  listLayerTypes,
  listParameters,
  registerLayer,
  validateModelSpec,
  type LayerSpec,
  type ModelSpec,
  type ParameterSet,
} from '@vae/core';
import { describe, expect, it } from 'vitest';
import { buildEncoderGraph } from '../src/index.js';
import { TRAIN_STEP_NAMES, buildTrainStepGraph } from '../src/training/index.js';
import { maxAbsDiff, runOrt } from './ort-helpers.js';
import { batchFeeds, ort, randomBatch, randomParams } from './training-helpers.js';

/** A layer defined only here, in one definition: a learned per-feature scale `y = x·gamma`. */
interface ScaleLayer {
  readonly type: 'test-scale';
}
registerLayer<ScaleLayer>({
  type: 'test-scale',
  description: 'per-feature learned scale (test only)',
  outputShape: (_layer, input) => [...input],
  state: (_layer, { inputShape }) => [
    { suffix: 'gamma', shape: [...inputShape], init: 'ones', fanIn: 1, fanOut: 1, trainable: true },
  ],
  emit: (e, _layer, _shape, input) => ({ ...input, t: e.op('Mul', [input.t, e.state('gamma')], {}, input.t.shape) }),
});

const base = createModelSpec({ kind: 'vae', imageShape: [4, 4, 1], hidden: [6], latentDim: 3 });
const scaled: ModelSpec = { ...base, encoder: [...base.encoder, { type: 'test-scale' } as unknown as LayerSpec] };

describe('the layer registry extends validation, state, export and training from one definition', () => {
  it('validation and state come from the registered definition; unknown types list the registered ones', () => {
    expect(listLayerTypes()).toContain('test-scale');
    expect(validateModelSpec(scaled).encoder[1]!.outputShape).toEqual([6]);
    const p = listParameters(scaled).find((q) => q.name === 'encoder.1.gamma')!;
    expect(p).toMatchObject({ shape: [6], init: 'ones', trainable: true });
    expect(Array.from(initParameters(scaled, new Rng(1))['encoder.1.gamma']!.data)).toEqual([1, 1, 1, 1, 1, 1]);
    const bad = { ...base, encoder: [{ type: 'lstm' }] } as unknown as ModelSpec;
    expect(() => validateModelSpec(bad)).toThrow(
      /^encoder\[0\]\.type: expected one of dense\|.*\|test-scale, got "lstm"/,
    );
  });

  it('the exported encoder applies it: gamma = 2 equals doubling the head kernels', async () => {
    const params: ParameterSet = initParameters(scaled, new Rng(2));
    params['encoder.1.gamma'] = { data: new Float32Array(6).fill(2), shape: [6] };
    const plain: ParameterSet = { ...params };
    delete plain['encoder.1.gamma'];
    for (const h of ['mu', 'logvar']) {
      const k = params[`encoder.${h}.kernel`]!;
      plain[`encoder.${h}.kernel`] = { data: k.data.map((v) => 2 * v), shape: k.shape };
    }
    const x = { data: Float32Array.from({ length: 3 * 16 }, (_, i) => (i % 7) / 7), shape: [3, 16] };
    const a = await runOrt(buildEncoderGraph(scaled, params), { x });
    const b = await runOrt(buildEncoderGraph(base, plain), { x });
    expect(maxAbsDiff(a.mu!.data, b.mu!.data)).toBeLessThan(1e-6);
    expect(maxAbsDiff(a.logvar!.data, b.logvar!.data)).toBeLessThan(1e-6);
  });

  it('the training graph differentiates it (float64 central differences)', async () => {
    const rng = new Rng(3);
    const params = randomParams(scaled, rng);
    const b = randomBatch(scaled, rng, 4);
    const graph = buildTrainStepGraph(scaled, { mode: 'gradients', dtype: 'float64' });
    const session = await ort.InferenceSession.create(graph.bytes, { intraOpNumThreads: 1 });
    const run = async (p: Record<string, Float64Array>) => {
      const feeds: Record<string, ort.Tensor> = { ...batchFeeds(scaled, b, 'float64') };
      for (const info of listParameters(scaled))
        feeds[info.name] = new ort.Tensor('float64', p[info.name]!, [...info.shape]);
      return session.run(feeds);
    };
    const g = (await run(params))[TRAIN_STEP_NAMES.grad('encoder.1.gamma')]!.data as Float64Array;
    const h = 1e-6;
    for (let i = 0; i < 6; i++) {
      const shift = (s: number) => ({
        ...params,
        'encoder.1.gamma': params['encoder.1.gamma']!.map((v, j) => (j === i ? v + s * h : v)),
      });
      const fd = (Number((await run(shift(1))).loss!.data[0]) - Number((await run(shift(-1))).loss!.data[0])) / (2 * h);
      expect(Math.abs(fd - g[i]!)).toBeLessThan(1e-6 * Math.max(1, Math.abs(fd)));
    }
    await session.release();
  });
});
