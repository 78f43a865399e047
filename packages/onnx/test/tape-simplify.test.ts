import { Rng, listParameters } from '@vae/core';
import { describe, expect, it } from 'vitest';
import { buildTrainStepGraph } from '../src/training/index.js';
import { Tape } from '../src/training/tape.js';
import { TINY_SPECS, batchFeeds, createModelSpec, ort, randomBatch, randomParams } from './training-helpers.js';

describe('simplified training graphs (simplifyTapeNodes)', () => {
  for (const [label, options] of Object.entries(TINY_SPECS)) {
    it(`${label}: fewer nodes, and every output bit-identical to the graph as recorded`, async () => {
      const spec = createModelSpec(options);
      const rng = new Rng(3);
      const params = randomParams(spec, rng);
      const b = randomBatch(spec, rng, 4);
      const feeds: Record<string, ort.Tensor> = { ...batchFeeds(spec, b, 'float32') };
      for (const p of listParameters(spec))
        feeds[p.name] = new ort.Tensor('float32', Float32Array.from(params[p.name]!), [...p.shape]);
      const build = (simplify: boolean) =>
        buildTrainStepGraph(spec, { mode: 'gradients', exposeForward: true, simplify });
      const [plain, simple] = [build(false), build(true)];
      expect(simple.stats.nodes).toBeLessThan(plain.stats.nodes);
      expect(simple.outputs).toEqual(plain.outputs);
      const run = async (bytes: Uint8Array) =>
        (await ort.InferenceSession.create(bytes, { intraOpNumThreads: 1 })).run(feeds);
      const [a, s] = [await run(plain.bytes), await run(simple.bytes)];
      for (const name of plain.outputs)
        expect(Array.from(s[name]!.data as Float32Array), name).toEqual(Array.from(a[name]!.data as Float32Array));
    });
  }
});

describe('Tape.clip', () => {
  it('returns a value already clipped to the same bounds, and clips again for other bounds', () => {
    const tape = new Tape('float32');
    const x = tape.input('x', ['batch', 3]);
    const once = tape.clip(x, -30, 20);
    expect(tape.clip(once, -30, 20)).toBe(once);
    expect(tape.nodes.filter((n) => n.op === 'Clip')).toHaveLength(1);
    expect(tape.clip(once, -10, 20)).not.toBe(once);
    expect(tape.nodes.filter((n) => n.op === 'Clip')).toHaveLength(2);
  });
});

describe('Tape.mul and Tape.dimSize', () => {
  it('drops a factor that is the scalar constant 1, and reads a named dimension once', () => {
    const tape = new Tape('float32');
    const x = tape.input('x', ['batch', 3]);
    const beta = tape.input('beta', []);
    expect(tape.mul(tape.scalar(1), beta)).toBe(beta);
    expect(tape.mul(x, tape.scalar(1))).toBe(x);
    expect(tape.nodes).toHaveLength(0);
    expect(tape.mul(x, tape.scalar(2)).shape).toEqual(['batch', 3]);
    const y = tape.input('y', ['batch', 5]);
    expect(tape.dimSize(y, 0)).toBe(tape.dimSize(x, 0));
    expect(tape.dimSize(x, 1).int).toBe(tape.ints([3]));
    expect(tape.nodes.filter((n) => n.op === 'Shape')).toHaveLength(1);
  });
});

describe('the default VAE training step', () => {
  it('keeps the reparameterisation, KL and batch means to few nodes (71 for 784-400-20, was 93)', () => {
    const spec = createModelSpec({ kind: 'vae', hidden: [400], latentDim: 20 });
    const graph = buildTrainStepGraph(spec, { mode: 'gradients' });
    expect(graph.stats.nodes).toBeLessThanOrEqual(71);
    expect(graph.stats.ops.Shape ?? 0).toBe(1);
  });
});
