import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  listModelKinds,
  Rng,
  contractivePenalty,
  importanceSampledLogLikelihood,
  initParameters,
  mean,
  modelObjective,
  type ModelSpec,
  type ModelSpecOptions,
} from '@vae/core';
import { DEFAULT_TRAIN_CONFIG, makeBatch, reportTerms, resolveTrainConfig } from '../src/index.js';
import { TfjsEngine, createTfjsModel, selectBackend } from '../src/engines/tfjs/index.js';
import type { ImageSplit } from '@vae/data';
import { t, tinySpec, values } from './helpers.js';

beforeAll(async () => {
  await selectBackend('cpu');
});

const N = 6;
const split: ImageSplit = {
  images: Uint8Array.from(values(N * 16, 11, 0, 256), (v) => Math.floor(v)),
  labels: Uint8Array.from([0, 1, 2, 0, 1, 2]),
  count: N,
};
const config = resolveTrainConfig({ ...DEFAULT_TRAIN_CONFIG, backend: 'cpu', learningRate: 1e-2 });

const cases: [string, ModelSpecOptions][] = [
  ...listModelKinds().map((kind): [string, ModelSpecOptions] => [kind, { kind }]),
  ['vae gaussian', { kind: 'vae', likelihood: 'gaussian', gaussianSigma: 0.3 }],
  ['vae tanh 2 layers', { kind: 'vae', hidden: [6, 4], activation: 'tanh' }],
  ['sparse-ae l1', { kind: 'sparse-ae', sparsity: { type: 'l1', weight: 0.5 } }],
  ['denoising-ae gaussian', { kind: 'denoising-ae', noise: { type: 'gaussian', sigma: 0.4 } }],
  ['denoising-ae salt-pepper', { kind: 'denoising-ae', noise: { type: 'salt-pepper', fraction: 0.5 } }],
  ['beta-vae β=4', { kind: 'beta-vae', beta: 4 }],
  ['conv vae', { kind: 'vae', architecture: 'conv', imageShape: [8, 8, 1] }],
  // Colour (HWC, C = 3): the likelihoods sum over every channel of every pixel.
  ['mlp vae colour gaussian', { kind: 'vae', imageShape: [4, 4, 3], likelihood: 'gaussian', gaussianSigma: 0.3 }],
  [
    'conv vae colour, batch norm, leaky-relu mlp',
    { kind: 'vae', architecture: 'conv', imageShape: [8, 8, 3], norm: 'batch', activation: 'leaky-relu' },
  ],
];

async function engineFor(spec: ModelSpec, seed = 1): Promise<TfjsEngine> {
  const engine = new TfjsEngine();
  await engine.init(spec, initParameters(spec, new Rng(seed)), config);
  return engine;
}

describe('training objectives (tfjs) equal core modelObjective on the same outputs', () => {
  const engines: TfjsEngine[] = [];
  afterAll(() => engines.forEach((e) => e.dispose()));

  it.each(cases)('%s', async (_name, options) => {
    const spec = tinySpec(options);
    const d = spec.imageShape[0] * spec.imageShape[1] * spec.imageShape[2];
    const data: ImageSplit =
      d === 16
        ? split
        : { images: Uint8Array.from(values(N * d, 12, 0, 256), (v) => Math.floor(v)), labels: split.labels, count: N };
    const engine = await engineFor(spec);
    engines.push(engine);
    const rng = new Rng(9);
    const batch = makeBatch(data, Uint32Array.from([0, 1, 2, 3, 4, 5]), rng, { spec, binarize: 'dynamic', samples: 1 });
    if (spec.kind === 'denoising-ae') expect(Array.from(batch.x.data)).not.toEqual(Array.from(batch.target.data));
    const out = await engine.forward(batch);
    const hand = modelObjective(spec, {
      x: batch.target,
      decoded: out.decoded,
      ...(out.mu ? { mu: out.mu, logvar: out.logvar! } : {}),
      ...(out.code ? { code: out.code } : {}),
      ...(out.objectiveParams ? { params: out.objectiveParams } : {}),
      ...(batch.eps ? { eps: batch.eps } : {}),
    });
    expect(hand.loss).toBeGreaterThan(0);
    expect(Math.abs(out.loss - hand.loss)).toBeLessThan(1e-4 * Math.abs(hand.loss) + 1e-4);
    if (spec.kind === 'sparse-ae' || spec.kind === 'contractive-ae') expect(hand.regularizer).toBeGreaterThan(0);
    // A training step reports the pre-update forward pass, evaluated by core, equal to the engine's loss.
    const batch2 = makeBatch(data, Uint32Array.from([5, 4, 3, 2, 1, 0]), rng, {
      spec,
      binarize: 'dynamic',
      samples: 1,
    });
    const stepOut = await engine.step(batch2);
    const reported = await reportTerms(spec, batch2, stepOut);
    expect(Math.abs(stepOut.loss - reported.loss)).toBeLessThan(1e-4 * Math.abs(reported.loss) + 1e-4);
    const after = await engine.forward(batch2);
    expect(after.loss).not.toBe(stepOut.loss);
  });

  it('IWAE bound (K = 5) equals core importanceSampledLogLikelihood replaying the same ε', async () => {
    const spec = tinySpec({ kind: 'vae' });
    const params = initParameters(spec, new Rng(2));
    const engine = new TfjsEngine();
    await engine.init(spec, params, config);
    engines.push(engine);
    const batch = makeBatch(split, Uint32Array.from([0, 1, 2, 3]), new Rng(4), { spec, binarize: 'none', samples: 5 });
    expect(batch.eps!.shape).toEqual([20, 3]);
    const out = await engine.forward(batch);
    expect(out.decoded.shape).toEqual([20, 16]);
    const model = createTfjsModel(spec, params);
    const ll = await importanceSampledLogLikelihood({
      x: batch.target,
      mu: out.mu!,
      logvar: out.logvar!,
      samples: 5,
      chunkSize: 5,
      rng: Rng.fromState(batch.epsRngState!),
      likelihood: 'bernoulli',
      sigma: 1,
      decode: (z) => model.decodeAsync(z),
    });
    const independent = -mean(ll);
    expect(Math.abs(out.loss - independent)).toBeLessThan(1e-4 * Math.abs(independent));
    const r = await reportTerms(spec, batch, out);
    expect(r.iwBound).not.toBeNull();
    expect(Math.abs(r.loss - independent)).toBeLessThan(1e-4 * Math.abs(independent));
    const single = await engine.forward(
      makeBatch(split, Uint32Array.from([0, 1, 2, 3]), new Rng(4), { spec, binarize: 'none', samples: 1 }),
    );
    expect(single.loss).not.toBeCloseTo(out.loss, 3);
    model.dispose();
  });

  it('contractive penalty equals the squared Frobenius norm of a finite-difference Jacobian', async () => {
    const spec = tinySpec({ kind: 'contractive-ae', contractiveWeight: 0.7 });
    const params = initParameters(spec, new Rng(8));
    const model = createTfjsModel(spec, params);
    const x = values(2 * 16, 13, 0.1, 0.9);
    const code = model.encode(t(x, [2, 16]));
    if (!('z' in code)) throw new Error('expected a code');
    const closed = contractivePenalty(code.z, params['encoder.code.kernel']!);
    const h = 1e-2;
    for (let r = 0; r < 2; r++) {
      let fro = 0;
      for (let i = 0; i < 16; i++) {
        const plus = x.slice(r * 16, r * 16 + 16);
        const minus = plus.slice();
        plus[i] = plus[i]! + h;
        minus[i] = minus[i]! - h;
        const zp = model.encode(t(plus, [1, 16]));
        const zm = model.encode(t(minus, [1, 16]));
        if (!('z' in zp) || !('z' in zm)) throw new Error('expected codes');
        for (let j = 0; j < 3; j++) fro += ((zp.z.data[j]! - zm.z.data[j]!) / (2 * h)) ** 2;
      }
      expect(Math.abs(fro - closed[r]!)).toBeLessThan(2e-3 * closed[r]! + 1e-6);
    }
    // The tfjs training objective uses the same closed form: loss − reconstruction = λ·mean(penalty).
    const engine = await engineFor(spec, 8);
    engines.push(engine);
    const xs = t(x, [2, 16]);
    const out = await engine.forward({ x: xs, target: xs, samples: 1, indices: Uint32Array.from([0, 1]) });
    const terms = modelObjective(spec, { x: xs, decoded: out.decoded, code: out.code!, params: out.objectiveParams! });
    expect(Math.abs(terms.regularizer - (0.7 * (closed[0]! + closed[1]!)) / 2)).toBeLessThan(1e-5);
    expect(Math.abs(out.loss - terms.loss)).toBeLessThan(1e-4 * terms.loss);
    model.dispose();
  });
});
