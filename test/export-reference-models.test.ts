import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import * as ort from 'onnxruntime-node';
import { beforeAll, describe, expect, it } from 'vitest';
import { Rng, elbo, mean, samplePosterior, type Tensor } from '@vae/core';
import { readModelDirectory, type ModelDirectory } from '@vae/onnx';
import { loadDataset } from '@vae/data/node';

const models = resolve(fileURLToPath(import.meta.url), '../../models');
const N = 500;

async function run(model: Uint8Array, feeds: Record<string, Tensor>): Promise<Record<string, Tensor>> {
  const s = await ort.InferenceSession.create(model, { executionProviders: ['cpu'], intraOpNumThreads: 1 });
  try {
    const out = await s.run(
      Object.fromEntries(Object.entries(feeds).map(([k, v]) => [k, new ort.Tensor('float32', v.data, [...v.shape])])),
    );
    return Object.fromEntries(
      Object.entries(out).map(([k, v]) => [k, { data: v.data as Float32Array, shape: [...v.dims] }]),
    );
  } finally {
    await s.release();
  }
}

/** Mean single-sample ELBO (nats) on the first N MNIST test images, binarized with a fixed seed. */
async function testElbo(m: ModelDirectory, x: Tensor): Promise<number> {
  const enc = await run(m.encoder, { x });
  const { z } = samplePosterior(enc.mu!, enc.logvar!, new Rng(2));
  const dec = await run(m.decoder, { z });
  return mean(
    elbo({
      x,
      mu: enc.mu!,
      logvar: enc.logvar!,
      decoded: dec.x_logits!,
      likelihood: 'bernoulli',
      sigma: m.manifest.gaussianSigma,
    }).elbo,
  );
}

let fp32: ModelDirectory;
let int8: ModelDirectory;
let x: Tensor;
beforeAll(async () => {
  fp32 = await readModelDirectory(join(models, 'mnist-vae'));
  int8 = await readModelDirectory(join(models, 'mnist-vae-int8'));
  const data = await loadDataset('mnist');
  const rng = new Rng(1);
  const d = 784;
  x = {
    data: Float32Array.from(data.test!.images.subarray(0, N * d), (p) => (rng.uniform() < p / 255 ? 1 : 0)),
    shape: [N, d],
  };
});

describe('reference models in models/', () => {
  it('are the trained 784-400-20 Bernoulli MNIST VAE, small, with checked files and provenance', () => {
    for (const [m, precision] of [
      [fp32, 'fp32'],
      [int8, 'int8'],
    ] as const) {
      expect(m.manifest).toMatchObject({
        kind: 'vae',
        likelihood: 'bernoulli',
        latentDim: 20,
        imageShape: [28, 28, 1],
        precision,
      });
      expect(m.manifest.spec.encoder).toEqual([{ type: 'dense', units: 400, activation: 'relu' }]);
      expect(m.manifest.provenance.dataset).toBe('mnist');
      expect(m.manifest.provenance.epochs).toBeGreaterThanOrEqual(1);
      expect(m.manifest.provenance.valElbo!).toBeLessThan(0);
      expect(m.encoder.length + m.decoder.length).toBeLessThan(3_000_000);
    }
    expect(int8.encoder.length + int8.decoder.length).toBeLessThan((fp32.encoder.length + fp32.decoder.length) / 3);
  });

  it('have a trained test ELBO, and int8 stays within 1 nat of fp32', async () => {
    const e32 = await testElbo(fp32, x);
    const e8 = await testElbo(int8, x);
    expect(e32).toBeGreaterThan(-140);
    expect(e32).toBeLessThan(-80);
    expect(Math.abs(e8 - e32)).toBeLessThan(1);
  });
});
