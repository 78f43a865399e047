import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Rng, reparameterize, setLogLevel, type ParameterSet } from '@vae/core';
import { buildDecoderGraph, buildEncoderGraph } from '@vae/onnx';
import * as ort from 'onnxruntime-node';
import { afterAll, describe, expect, it } from 'vitest';
import { loadCheckpoint } from '../src/checkpoint/checkpoint.js';
import { resolveTrainConfig } from '../src/config.js';
import { registerDataset } from '@vae/data/node';
import { OrtEngine } from '../src/engines/ort/index.js';
import { train } from '../src/trainer/trainer.js';

setLogLevel('warn');
const dirs: string[] = [];
afterAll(async () => Promise.all(dirs.map((d) => rm(d, { recursive: true, force: true }))));

registerDataset('ort-test-blobs', async () => {
  const rng = new Rng(99);
  const make = (count: number) => {
    const images = new Uint8Array(count * 64);
    const labels = new Uint8Array(count);
    for (let i = 0; i < count; i++) {
      labels[i] = rng.int(4);
      for (let p = 0; p < 64; p++) images[i * 64 + p] = (p % 4 === labels[i] ? 200 : 20) + rng.int(40);
    }
    return { images, labels, count };
  };
  return {
    name: 'ort-test-blobs',
    imageShape: [8, 8, 1],
    numClasses: 4,
    train: make(240),
    test: make(40),
    source: 'generated in the test',
  };
});

/** Number of values that differ (bitwise, as float32) between two parameter sets. */
function differingValues(a: ParameterSet, b: ParameterSet): number {
  let n = 0;
  for (const [name, t] of Object.entries(a)) t.data.forEach((v, i) => (n += Object.is(v, b[name]!.data[i]) ? 0 : 1));
  return n;
}

async function tempRun(name: string): Promise<string> {
  const d = await mkdtemp(join(tmpdir(), `ort-${name}-`));
  dirs.push(d);
  return d;
}

const BASE = {
  model: { kind: 'vae' as const, hidden: [16], latentDim: 3 },
  dataset: 'ort-test-blobs',
  batchSize: 32,
  learningRate: 3e-3,
  seed: 4,
  engine: 'ort',
  backend: 'cpu' as const,
};

describe('trainer with the ort engine', () => {
  const models = {
    mlp: BASE.model,
    'mlp with batch norm': { ...BASE.model, hidden: [16, 12], norm: 'batch' as const },
  };
  for (const [label, model] of Object.entries(models)) {
    it(`${label}: trains, checkpoints, and a resumed run is bit-identical to an uninterrupted one`, async () => {
      const straight = await train({ ...BASE, model, epochs: 2, runDir: await tempRun('straight') }, { plots: false });
      expect(straight.engine).toBe('ort');
      expect(straight.backend).toBe('cpu');
      expect(straight.metrics).toHaveLength(2);
      expect(straight.metrics[1]!.trainLoss).toBeLessThan(straight.metrics[0]!.trainLoss);

      const dir = await tempRun('resumed');
      await train({ ...BASE, model, epochs: 1, runDir: dir }, { plots: false });
      const resumed = await train({ runDir: dir, epochs: 2 }, { resume: true, plots: false });
      expect(resumed.epoch).toBe(2);
      const a = await loadCheckpoint(straight.runDir);
      const b = await loadCheckpoint(dir);
      expect(b.engine).toBe('ort');
      expect(b.optimizer?.step).toBe(a.optimizer?.step);
      // The checkpoint keeps the Adam moments as the graph holds them (scaled), so nothing is re-rounded.
      expect(b.optimizer?.momentScale).toEqual({ m: 1 - 0.9, v: 1 - 0.999 });
      expect(differingValues(a.params, b.params)).toBe(0);
      // Buffers (batch-norm running statistics) are checkpointed and moved by training, without Adam moments.
      for (const name of Object.keys(a.params).filter((n) => n.includes('running_'))) {
        expect(a.optimizer!.m[name]).toBeUndefined();
        expect(a.params[name]!.data.some((v) => v !== 0 && v !== 1)).toBe(true);
      }
      expect(differingValues(a.optimizer!.m, b.optimizer!.m)).toBe(0);
      expect(differingValues(a.optimizer!.v, b.optimizer!.v)).toBe(0);
      expect(resumed.metrics.map((m) => [m.trainLoss, m.valLoss])).toEqual(
        straight.metrics.map((m) => [m.trainLoss, m.valLoss]),
      );
    });
  }

  it("exported encoder and decoder graphs from an ort checkpoint reproduce the engine's forward pass", async () => {
    const run = await train({ ...BASE, epochs: 1, runDir: await tempRun('export') }, { plots: false });
    const ck = await loadCheckpoint(run.runDir);
    const engine = new OrtEngine({ worker: false });
    await engine.init(ck.spec, ck.params, resolveTrainConfig({ backend: 'cpu' }));
    const rng = new Rng(3);
    const x = { data: Float32Array.from({ length: 5 * 64 }, () => rng.uniform()), shape: [5, 64] };
    const eps = { data: rng.normals(5 * 3), shape: [5, 3] };
    const fwd = await engine.forward({ x, target: x, eps, samples: 1, indices: new Uint32Array(5) });
    engine.dispose();
    const enc = await ort.InferenceSession.create(buildEncoderGraph(ck.spec, ck.params));
    const dec = await ort.InferenceSession.create(buildDecoderGraph(ck.spec, ck.params));
    const e = await enc.run({ x: new ort.Tensor('float32', x.data, x.shape) });
    const mu = e.mu!.data as Float32Array;
    const logvar = e.logvar!.data as Float32Array;
    mu.forEach((v, i) => expect(Math.abs(v - fwd.mu!.data[i]!)).toBeLessThan(1e-5));
    logvar.forEach((v, i) => expect(Math.abs(v - fwd.logvar!.data[i]!)).toBeLessThan(1e-5));
    const z = reparameterize({ data: mu, shape: [5, 3] }, { data: logvar, shape: [5, 3] }, eps);
    const d = await dec.run({ z: new ort.Tensor('float32', z.data, [5, 3]) });
    (d.x_logits!.data as Float32Array).forEach((v, i) => expect(Math.abs(v - fwd.decoded.data[i]!)).toBeLessThan(1e-4));
    await enc.release();
    await dec.release();
  });
});
