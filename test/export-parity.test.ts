import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as ort from 'onnxruntime-node';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  listModelKinds,
  Rng,
  createModelSpec,
  initParameters,
  setLogLevel,
  type ModelSpec,
  type Tensor,
} from '@vae/core';
import { exportModel, readModelDirectory } from '@vae/onnx';
import { createTfjsModel, selectBackend } from '@vae/train/tfjs';
import { oddConvSpecs, seededInputs } from '../packages/onnx/test/specs.js';

const BATCH = 64;
const TOLERANCE = 1e-5;

/** Every model kind, MLP and conv (contractive-ae is MLP-only), at MNIST size; plus TF padding corner cases. */
function specs(): { label: string; spec: ModelSpec }[] {
  const out: { label: string; spec: ModelSpec }[] = [];
  for (const kind of listModelKinds()) {
    for (const architecture of ['mlp', 'conv'] as const) {
      if (kind === 'contractive-ae' && architecture === 'conv') continue;
      out.push({
        label: `${kind}/${architecture}`,
        spec: createModelSpec({ kind, architecture, hidden: [64], latentDim: 8 }),
      });
    }
  }
  out.push({
    label: 'vae/mlp gaussian tanh',
    spec: createModelSpec({ kind: 'vae', likelihood: 'gaussian', activation: 'tanh', hidden: [64, 32], latentDim: 4 }),
  });
  out.push(...oddConvSpecs());
  // The VanillaVAE colour preset (batch norm, LeakyReLU, HWC with C = 3) at its smallest size.
  out.push({
    label: 'vae/conv vanilla-32 colour',
    spec: createModelSpec({ kind: 'vae', architecture: 'conv', imageShape: [32, 32, 3], latentDim: 16 }),
  });
  return out;
}

async function run(
  model: Uint8Array,
  feeds: Record<string, Tensor | undefined>,
): Promise<Record<string, Float32Array>> {
  const session = await ort.InferenceSession.create(model, { executionProviders: ['cpu'], intraOpNumThreads: 1 });
  try {
    const f: Record<string, ort.Tensor> = {};
    for (const [k, v] of Object.entries(feeds)) if (v) f[k] = new ort.Tensor('float32', v.data, [...v.shape]);
    const out = await session.run(f);
    return Object.fromEntries(Object.entries(out).map(([k, v]) => [k, v.data as Float32Array]));
  } finally {
    await session.release();
  }
}

function maxAbs(a: Float32Array, b: Float32Array): number {
  expect(a.length).toBe(b.length);
  let m = 0;
  for (let i = 0; i < a.length; i++) m = Math.max(m, Math.abs(a[i]! - b[i]!));
  return m;
}

function sigmoid(t: Float32Array): Float32Array {
  return t.map((v) => 1 / (1 + Math.exp(-v)));
}

let dir: string;
beforeAll(async () => {
  setLogLevel('warn');
  await selectBackend('cpu');
  dir = await mkdtemp(join(tmpdir(), 'export-parity-'));
});
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

describe('exported ONNX (onnxruntime-node CPU) equals TensorFlow.js (cpu backend) on 64 seeded inputs', () => {
  specs().forEach(({ label, spec }, index) => {
    it(`${label}: max abs ≤ ${TOLERANCE}`, async () => {
      const params = initParameters(spec, new Rng(100 + index));
      const outDir = join(dir, `model-${index}`);
      await exportModel({
        spec,
        params,
        outDir,
        provenance: {
          dataset: 'none (initial weights)',
          epochs: 0,
          seed: 100 + index,
          valElbo: null,
          engine: 'none',
          backend: 'none',
          commit: null,
        },
      });
      const files = await readModelDirectory(outDir);
      const { x, y: labels, z } = seededInputs(spec, BATCH, 200 + index);
      const y = labels ?? undefined;
      const tfm = createTfjsModel(spec, params);
      try {
        const enc = await run(files.encoder, { x, y });
        const tfEnc = tfm.encode(x, y);
        const errors: Record<string, number> = {};
        if ('mu' in tfEnc) {
          errors.mu = maxAbs(enc.mu!, tfEnc.mu.data);
          errors.logvar = maxAbs(
            enc.logvar!,
            tfEnc.logvar.data.map((v) => Math.min(20, Math.max(-30, v))),
          );
        } else {
          errors.z = maxAbs(enc.z!, tfEnc.z.data);
        }
        const dec = await run(files.decoder, { z, y });
        const tfOut = tfm.decode(z, y).data;
        errors.x_logits = maxAbs(dec.x_logits!, tfOut);
        errors.x_mean = maxAbs(dec.x_mean!, spec.likelihood === 'bernoulli' ? sigmoid(tfOut) : tfOut);
        for (const [name, e] of Object.entries(errors)) expect(e, `${label} ${name}`).toBeLessThanOrEqual(TOLERANCE);
        // Guard against comparing two trivially equal things (e.g. all zeros).
        expect(dec.x_logits!.reduce((m, v) => Math.max(m, Math.abs(v)), 0)).toBeGreaterThan(1e-2);
      } finally {
        tfm.dispose();
      }
    });
  });
});
