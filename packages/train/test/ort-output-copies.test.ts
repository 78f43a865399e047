import { Rng, createModelSpec, initParameters, type ModelSpecOptions } from '@vae/core';
import { describe, expect, it } from 'vitest';
import { makeBatch } from '../src/batches/batches.js';
import { ADAM_DEFAULTS } from '../src/engines/adam-defaults.js';
import { NODE_ORT_PLATFORM, OrtStepRunner } from '../src/engines/ort/index.js';
import { WorkerClient } from '../src/engines/ort/worker-client.js';

const SPEC: ModelSpecOptions = { kind: 'vae', imageShape: [6, 6, 1], hidden: [12], latentDim: 3 };

function runnerInit() {
  const spec = createModelSpec(SPEC);
  const params = initParameters(spec, new Rng(4));
  return { spec, params, learningRate: 0.01, adam: { ...ADAM_DEFAULTS }, device: 'cpu' as const, threads: 1 };
}

function ortBatches(count: number, size: number) {
  const spec = createModelSpec(SPEC);
  const rng = new Rng(9);
  const images = Uint8Array.from({ length: count * size * 36 }, () => rng.int(256));
  const split = { images, labels: new Uint8Array(count * size), count: count * size };
  return Array.from({ length: count }, (_, i) => {
    const rows = Uint32Array.from({ length: size }, (_, j) => i * size + j);
    const b = makeBatch(split, rows, rng, { spec, binarize: 'dynamic', samples: 1 });
    return { target: b.target, x: b.x, eps: b.eps! };
  });
}

describe("onnxruntime-node's output copies", () => {
  it('the engine worker can free them at once (Node 20: the flag it is started with)', async () => {
    const client = new WorkerClient();
    try {
      const info = await client.call('init', { runner: runnerInit(), logLevel: 'warn', binding: 'onnxruntime-node' });
      expect(info.freesOutputCopies).toBe(true);
    } finally {
      client.terminate();
    }
  });

  it('the runner releases every fetched gradient copy, never an arena view, and trains exactly as without', async () => {
    const released: ArrayBufferView[] = [];
    // A release that destroys what it is given: were it an arena view, the Adam update would read NaN.
    const destroying = {
      ...NODE_ORT_PLATFORM,
      releaseFetchedCopy: (data: ArrayBufferView) => {
        released.push(data);
        (data as Float32Array).fill(Number.NaN);
      },
    };
    const keeping = { ...NODE_ORT_PLATFORM, releaseFetchedCopy: undefined };
    const [a, b] = [
      await OrtStepRunner.create(runnerInit(), destroying),
      await OrtStepRunner.create(runnerInit(), keeping),
    ];
    try {
      const steps = ortBatches(3, 8);
      for (const batch of steps) {
        expect((await a.stepTerms(batch)).loss).toBe((await b.stepTerms(batch)).loss);
      }
      a.flush();
      b.flush();
      const params = a.getParams();
      expect(params).toEqual(b.getParams());
      for (const t of Object.values(params)) expect(t.data.every(Number.isFinite)).toBe(true);
      expect(released).toHaveLength(steps.length * Object.keys(params).length);
    } finally {
      await a.release();
      await b.release();
    }
  });
});
