import { Rng, createModelSpec, listParameters, validateModelSpec, type LayerSpec, type ModelSpec } from '@vae/core';
import { describe, expect, it } from 'vitest';
import { TRAIN_STEP_NAMES, buildTrainStepGraph } from '../src/training/index.js';
import { batchFeeds, ort, randomBatch, randomParams } from './training-helpers.js';

const N = TRAIN_STEP_NAMES;

/**
 * Small conv networks over 8×8 images (valid and same padding, strides 1 and 2, odd kernels,
 * asymmetric padding); `channels` 3: colour, HWC, the Gaussian likelihood over every channel.
 */
function convSpec(kind: 'vae' | 'ae' | 'cvae', channels: 1 | 3 = 1): ModelSpec {
  const base = createModelSpec({
    kind,
    imageShape: [8, 8, channels],
    latentDim: 3,
    ...(kind === 'cvae' ? { numClasses: 3 } : {}),
    ...(channels === 3 ? { likelihood: 'gaussian', gaussianSigma: 0.5 } : {}),
  });
  const spec: ModelSpec = {
    ...base,
    encoder: [
      { type: 'reshape', shape: [8, 8, channels] },
      { type: 'conv2d', filters: 3, kernelSize: 4, strides: 2, padding: 'same', activation: 'tanh' },
      { type: 'conv2d', filters: 4, kernelSize: 3, strides: 1, padding: 'valid', activation: 'tanh' },
      { type: 'flatten' },
      { type: 'dense', units: 6, activation: 'tanh' },
    ],
    decoder: [
      { type: 'dense', units: 2 * 2 * 4, activation: 'tanh' },
      { type: 'reshape', shape: [2, 2, 4] },
      { type: 'conv2d-transpose', filters: 3, kernelSize: 2, strides: 2, padding: 'valid', activation: 'tanh' },
      { type: 'conv2d-transpose', filters: channels, kernelSize: 5, strides: 2, padding: 'same', activation: 'linear' },
      { type: 'flatten' },
    ] as LayerSpec[],
  };
  const layout = validateModelSpec(spec);
  expect(layout.decoder.at(-1)!.outputShape).toEqual([64 * channels]);
  return spec;
}

// onnxruntime's CPU EP has no float64 Conv/ConvTranspose, so this check runs in float32 (tanh units:
// no ReLU kinks inside the finite-difference interval; ReLU's rule is checked in float64): central
// differences along whole-tensor directions (the computed gradient's and a random one) keep the
// rounding noise far below the signal.
describe('training graph gradients of convolutional networks (float32 directional differences)', () => {
  for (const [kind, channels] of [
    ['vae', 1],
    ['ae', 1],
    ['cvae', 1],
    ['vae', 3],
  ] as const) {
    it(`${kind}${channels === 3 ? ' colour (8×8×3, Gaussian)' : ''}: directional derivatives match the graph gradient per parameter tensor`, async () => {
      const spec = convSpec(kind, channels);
      const rng = new Rng(31);
      const params = randomParams(spec, rng);
      const b = randomBatch(spec, rng, 4);
      const graph = buildTrainStepGraph(spec, { mode: 'gradients', dtype: 'float32' });
      const session = await ort.InferenceSession.create(graph.bytes, { intraOpNumThreads: 1 });
      const data = batchFeeds(spec, b, 'float32');
      const run = async (p: Record<string, Float64Array>) => {
        const feeds: Record<string, ort.Tensor> = { ...data };
        for (const info of listParameters(spec))
          feeds[info.name] = new ort.Tensor('float32', Float32Array.from(p[info.name]!), [...info.shape]);
        return session.run(feeds);
      };
      const out = await run(params);
      const h = 1e-2;
      let worst = 0;
      for (const info of listParameters(spec)) {
        const g = Float64Array.from(out[N.grad(info.name)]!.data as Float32Array);
        const norm = Math.hypot(...g);
        expect(norm).toBeGreaterThan(1e-4);
        const random = Float64Array.from(g, () => rng.normal());
        const rnorm = Math.hypot(...random);
        for (const dir of [g.map((v) => v / norm), random.map((v) => v / rnorm)]) {
          const shifted = (sign: number) => ({
            ...params,
            [info.name]: params[info.name]!.map((v, i) => v + sign * h * dir[i]!),
          });
          const fd =
            (Number((await run(shifted(1))).loss!.data[0]) - Number((await run(shifted(-1))).loss!.data[0])) / (2 * h);
          const analytic = g.reduce((s, v, i) => s + v * dir[i]!, 0);
          worst = Math.max(worst, Math.abs(fd - analytic) / norm);
        }
      }
      expect(worst).toBeLessThan(1e-2);
      await session.release();
    });
  }
});
