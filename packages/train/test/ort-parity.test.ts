import {
  Rng,
  createModelSpec,
  initParameters,
  inputSize,
  validateModelSpec,
  withBatchNorm,
  type LayerSpec,
  type ModelSpec,
  type ModelSpecOptions,
} from '@vae/core';
import { afterAll, describe, expect, it } from 'vitest';
import { makeBatch } from '../src/batches/batches.js';
import { resolveTrainConfig } from '../src/config.js';
import type { ImageSplit } from '@vae/data';
import type { Engine, TrainBatch } from '../src/engines/engine.js';
import { OrtEngine } from '../src/engines/ort/index.js';
import { TfjsEngine } from '../src/engines/tfjs/tfjs-engine.js';

const BASE = { imageShape: [8, 8, 1] as const, hidden: [16], latentDim: 4 };
const KINDS: Readonly<Record<string, ModelSpecOptions>> = {
  vae: { kind: 'vae', ...BASE },
  'beta-vae': { kind: 'beta-vae', ...BASE, beta: 4 },
  cvae: { kind: 'cvae', ...BASE, numClasses: 10 },
  'beta-tcvae': { kind: 'beta-tcvae', ...BASE },
  ae: { kind: 'ae', ...BASE },
  'denoising-ae': { kind: 'denoising-ae', ...BASE, noise: { type: 'mask', fraction: 0.3 } },
  'sparse-ae-kl': { kind: 'sparse-ae', ...BASE, sparsity: { type: 'kl', rho: 0.05, weight: 1 } },
  'sparse-ae-l1': { kind: 'sparse-ae', ...BASE, sparsity: { type: 'l1', weight: 0.1 } },
  'contractive-ae': { kind: 'contractive-ae', imageShape: [8, 8, 1], latentDim: 8, contractiveWeight: 0.1 },
  'vae-gaussian': { kind: 'vae', ...BASE, likelihood: 'gaussian', gaussianSigma: 0.3, activation: 'tanh' },
  'conv-vae': { kind: 'vae', architecture: 'conv', imageShape: [8, 8, 1], latentDim: 4 },
  'conv-cvae': { kind: 'cvae', architecture: 'conv', imageShape: [8, 8, 1], latentDim: 4, numClasses: 10 },
  'vae-batch-norm': { kind: 'vae', ...BASE, hidden: [16, 12], norm: 'batch' },
  'conv-vae-batch-norm': { kind: 'vae', architecture: 'conv', imageShape: [8, 8, 1], latentDim: 4, norm: 'batch' },
  'conv-denoising-ae': {
    kind: 'denoising-ae',
    architecture: 'conv',
    imageShape: [8, 8, 1],
    latentDim: 4,
    noise: { type: 'gaussian', sigma: 0.2 },
  },
};
/** Importance samples per example of a case (the IWAE bound); 1 where not listed. */
const SAMPLES: Readonly<Record<string, number>> = { 'vae-iwae-5': 5, 'cvae-iwae-3': 3 };
Object.assign(KINDS, { 'vae-iwae-5': KINDS.vae, 'cvae-iwae-3': KINDS.cvae });

/** The conv preset's layer pattern with narrow layers (4 and 6 filters, 16 units) so tfjs' cpu backend stays fast. */
function narrow(spec: ModelSpec): ModelSpec {
  if (spec.encoder.every((l) => l.type !== 'conv2d')) return spec;
  const conv = (filters: number): LayerSpec => ({
    type: 'conv2d',
    filters,
    kernelSize: 4,
    strides: 2,
    padding: 'same',
    activation: 'relu',
  });
  const deconv = (filters: number, activation: 'relu' | 'linear'): LayerSpec => ({
    type: 'conv2d-transpose',
    filters,
    kernelSize: 4,
    strides: 2,
    padding: 'same',
    activation,
  });
  const norm = spec.encoder.some((l) => l.type === 'batch-norm');
  const out: ModelSpec = {
    ...spec,
    encoder: [
      { type: 'reshape', shape: [8, 8, 1] },
      conv(4),
      conv(6),
      { type: 'flatten' },
      { type: 'dense', units: 16, activation: 'relu' },
    ],
    decoder: [
      { type: 'dense', units: 16, activation: 'relu' },
      { type: 'dense', units: 24, activation: 'relu' },
      { type: 'reshape', shape: [2, 2, 6] },
      deconv(4, 'relu'),
      deconv(1, 'linear'),
      { type: 'flatten' },
    ],
  };
  const normed = norm
    ? { ...out, encoder: withBatchNorm(out.encoder, false), decoder: withBatchNorm(out.decoder, true) }
    : out;
  validateModelSpec(normed);
  return normed;
}

function data(spec: ModelSpec, steps: number, size: number, seed: number, samples = 1): TrainBatch[] {
  const rng = new Rng(seed);
  const d = inputSize(spec);
  const images = new Uint8Array(steps * size * d);
  for (let i = 0; i < images.length; i++) images[i] = rng.uniform() < 0.5 ? 0 : rng.int(256);
  const split: ImageSplit = {
    images,
    labels: Uint8Array.from({ length: steps * size }, () => rng.int(10)),
    count: steps * size,
  };
  const perm = rng.permutation(split.count);
  return Array.from({ length: steps }, (_, i) =>
    makeBatch(split, perm.subarray(i * size, (i + 1) * size), rng, { spec, binarize: 'dynamic', samples }),
  );
}

const engines: Engine[] = [];
afterAll(() => engines.forEach((e) => e.dispose()));

describe('ort engine vs tfjs engine, step by step', () => {
  for (const [label, options] of Object.entries(KINDS)) {
    it(`${label}: same weights, batches and ε give losses within 1e-4 relative over 20 steps`, async () => {
      const spec = narrow(createModelSpec(options));
      const params = initParameters(spec, new Rng(7));
      const samples = SAMPLES[label] ?? 1;
      const config = resolveTrainConfig({ learningRate: 3e-3, backend: 'cpu', iwSamples: samples });
      const tfjs = new TfjsEngine();
      const onnx = new OrtEngine({ worker: false, device: 'cpu' });
      engines.push(tfjs, onnx);
      await tfjs.init(spec, params, config);
      await onnx.init(spec, params, config);
      let worst = 0;
      let last = { tfjs: 0, ort: 0 };
      const batches = data(spec, 20, 16, 23, samples);
      for (const batch of batches) {
        const a = await tfjs.step(batch);
        const b = await onnx.step(batch);
        worst = Math.max(worst, Math.abs(a.loss - b.loss) / Math.abs(a.loss));
        last = { tfjs: a.loss, ort: b.loss };
      }
      if (process.env.VAE_REPORT)
        process.stdout.write(`${label}: worst relative loss difference over 20 steps ${worst.toExponential(2)}\n`);
      expect(worst).toBeLessThan(1e-4);
      expect(Math.abs(last.tfjs - last.ort) / Math.abs(last.tfjs)).toBeLessThan(1e-4);
      // Evaluation (running statistics for batch norm) agrees too.
      const evalBatch = samples === 1 ? batches[0]! : data(spec, 1, 16, 29)[0]!;
      const [fa, fb] = [await tfjs.forward(evalBatch), await onnx.forward(evalBatch)];
      expect(Math.abs(fa.loss - fb.loss) / Math.abs(fa.loss)).toBeLessThan(1e-4);
      const pa = await tfjs.getParams();
      const pb = await onnx.getParams();
      let moved = 0;
      for (const [name, t] of Object.entries(pa)) {
        const u = pb[name]!.data;
        t.data.forEach((v, i) => {
          // Adam's m/√v amplifies float32 rounding for near-zero gradients: bound by one lr step.
          expect(Math.abs(v - u[i]!)).toBeLessThan(config.learningRate);
          moved = Math.max(moved, Math.abs(v - params[name]!.data[i]!));
        });
      }
      expect(moved).toBeGreaterThan(1e-2);
      const sa = await tfjs.getOptimizerState();
      const sb = await onnx.getOptimizerState();
      expect(sb.step).toBe(sa.step);
      tfjs.dispose();
      onnx.dispose();
    });
  }
});
