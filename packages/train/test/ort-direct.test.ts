import {
  Rng,
  consoleLogSink,
  createModelSpec,
  initParameters,
  listTrainableParameters,
  setLogSink,
  type ModelSpecOptions,
} from '@vae/core';
import { TRAIN_STEP_NAMES as N, buildTrainStepGraph } from '@vae/onnx/graphs';
import * as ort from 'onnxruntime-node';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { makeBatch } from '../src/batches/batches.js';
import { ADAM_DEFAULTS } from '../src/engines/adam-defaults.js';
import { AdamArena } from '../src/engines/ort/adam-arena.js';
import { DirectSession, directBindingStatus, directOptions, parseOrtNodeBinding } from '@vae/device-node';
import { directAdamKernel } from '../src/engines/ort/direct-binding.js';
import { NODE_ORT_PLATFORM, nodeOrtPlatform } from '../src/engines/ort/node-platform.js';
import { OrtEngine } from '../src/engines/ort/ort-engine.js';
import { OrtStepRunner } from '../src/engines/ort/ort-step-runner.js';
import { resolveTrainConfig } from '../src/config.js';

const SPEC: ModelSpecOptions = { kind: 'vae', imageShape: [6, 6, 1], hidden: [12], latentDim: 3 };
const status = directBindingStatus();

describe('the direct onnxruntime binding', () => {
  it('is built wherever CI runs (scripts/setup.sh builds it)', () => {
    if (process.env.CI) expect(status).toMatchObject({ available: true });
    if (!status.available) console.warn(`direct binding not tested: ${status.reason}`);
  });

  it('parses binding requests and says which session options it cannot honour', () => {
    expect(parseOrtNodeBinding('direct')).toBe('direct');
    expect(() => parseOrtNodeBinding('fast', 'VAE_ORT_BINDING')).toThrow(
      'VAE_ORT_BINDING: expected auto|direct|onnxruntime-node, got "fast"',
    );
    expect(directOptions({ executionProviders: ['webgpu'] })).toBe(
      'execution providers webgpu: direct sessions are CPU only',
    );
    expect(directOptions({ enableProfiling: true })).toBe(
      "session options enableProfiling are onnxruntime-node's only",
    );
    expect(directOptions({ intraOpNumThreads: 2, extra: { session: { intra_op: { allow_spinning: '0' } } } })).toEqual({
      intraOpThreads: 2,
      interOpThreads: 0,
      parallel: 0,
      memPattern: 1,
      optimizationLevel: 99,
      logSeverity: 2,
      config: [['session.intra_op.allow_spinning', '0']],
    });
  });
});

describe.runIf(status.available)('direct sessions', () => {
  const spec = createModelSpec(SPEC);
  const graph = buildTrainStepGraph(spec, { mode: 'gradients' });
  const params = initParameters(spec, new Rng(4));
  const rng = new Rng(7);
  const feeds: Record<string, ort.Tensor> = {
    [N.x]: new ort.Tensor(
      'float32',
      Float32Array.from({ length: 5 * 36 }, () => (rng.uniform() < 0.4 ? 1 : 0)),
      [5, 36],
    ),
    [N.eps]: new ort.Tensor('float32', rng.normals(5 * 3), [5, 3]),
    [N.beta]: new ort.Tensor('float32', Float32Array.of(1), []),
  };
  for (const [name, t] of Object.entries(params)) feeds[name] = new ort.Tensor('float32', t.data, [...t.shape]);
  const grads = listTrainableParameters(spec).map((p) => N.grad(p.name));
  let direct: DirectSession;
  let node: ort.InferenceSession;

  beforeAll(async () => {
    const options = NODE_ORT_PLATFORM.sessionOptions('cpu', 1);
    direct = DirectSession.open(graph.bytes, options, ort.Tensor);
    node = await ort.InferenceSession.create(graph.bytes, options);
  });
  afterAll(async () => {
    await direct.release();
    await node.release();
  });

  it('computes what onnxruntime-node does, bit for bit, writing pre-allocated outputs in place', async () => {
    const expected = await node.run(feeds, [...graph.lossOutputs, ...grads]);
    const given = Object.fromEntries(
      grads.map((g) => [g, new ort.Tensor('float32', new Float32Array(expected[g]!.size), [...expected[g]!.dims])]),
    );
    const fetches = { ...Object.fromEntries(graph.lossOutputs.map((n) => [n, null])), ...given };
    const out = await direct.run(feeds, fetches);
    for (const g of grads) {
      expect(out[g]).toBe(given[g]);
      expect(out[g]!.data).toEqual(expected[g]!.data);
    }
    for (const n of graph.lossOutputs) {
      expect(out[n]!.dims).toEqual(expected[n]!.dims);
      expect(out[n]!.data).toEqual(expected[n]!.data);
    }
    expect(Object.keys(await direct.run(feeds))).toEqual(graph.outputs);
  });

  it('names the argument, the expected and the actual value on bad input', async () => {
    const wrongShape = { ...feeds, [N.eps]: new ort.Tensor('float32', new Float32Array(20), [5, 4]) };
    await expect(direct.run(wrongShape, [N.loss])).rejects.toThrow(
      new RegExp(`onnxruntime run: .*invalid dimensions for input: ${N.eps}[\\s\\S]*Got: 4 Expected: 3`),
    );
    const wrongType = { ...feeds, [N.beta]: new ort.Tensor('float64', Float64Array.of(1), []) };
    await expect(direct.run(wrongType, [N.loss])).rejects.toThrow(
      `feeds.${N.beta}: expected a float32 tensor on a direct session, got float64`,
    );
    await expect(direct.run(feeds, ['no-such-output'])).rejects.toThrow(/onnxruntime run: .*no-such-output/);
  });

  it('refuses to run once released', async () => {
    const s = DirectSession.open(graph.bytes, {}, ort.Tensor);
    await s.release();
    await expect(s.run(feeds, [N.loss])).rejects.toThrow('direct session: released');
  });

  it('its Adam kernel is bit-identical to the WebAssembly one, subnormal moments included', () => {
    const tensors = [{ name: 'w', shape: [1000] }];
    const [native, wasm] = [AdamArena.create(tensors, { kernel: directAdamKernel()! }), AdamArena.create(tensors)];
    const r = new Rng(3);
    const init = (a: AdamArena) => {
      const s = new Rng(5);
      a.param('w').set(s.normals(1000));
      a.m('w').set(Float32Array.from({ length: 1000 }, (_, i) => (i % 7 === 0 ? 1e-39 : s.normal())));
      a.v('w').set(Float32Array.from({ length: 1000 }, (_, i) => (i % 11 === 0 ? 2e-40 : s.uniform())));
    };
    init(native);
    init(wasm);
    for (let step = 1; step <= 20; step++) {
      const g = Float32Array.from({ length: 1000 }, (_, i) => (i % 5 === 0 ? 0 : r.normal() * 1e-3));
      native.grad('w').set(g);
      wasm.grad('w').set(g);
      native.update(ADAM_DEFAULTS, 1e-3, step);
      wasm.update(ADAM_DEFAULTS, 1e-3, step);
    }
    expect(native.values).toEqual(wasm.values);
    expect(native.m('w')).toEqual(wasm.m('w'));
    expect(native.v('w')).toEqual(wasm.v('w'));
  });

  it('trains exactly as onnxruntime-node and the WebAssembly Adam do', async () => {
    const init = { spec, params, learningRate: 0.01, adam: { ...ADAM_DEFAULTS }, device: 'cpu' as const, threads: 1 };
    const [a, b] = [
      await OrtStepRunner.create(init, nodeOrtPlatform('direct')),
      await OrtStepRunner.create(init, NODE_ORT_PLATFORM),
    ];
    try {
      expect([a.binding, b.binding]).toEqual(['direct', 'module']);
      const split = {
        images: Uint8Array.from({ length: 24 * 36 }, () => rng.int(256)),
        labels: new Uint8Array(24),
        count: 24,
      };
      const batchRng = new Rng(9);
      for (let i = 0; i < 3; i++) {
        const rows = Uint32Array.from({ length: 8 }, (_, j) => i * 8 + j);
        const batch = makeBatch(split, rows, batchRng, { spec, binarize: 'dynamic', samples: 1 });
        const ob = { target: batch.target, x: batch.x, eps: batch.eps! };
        expect(await a.stepTerms(ob)).toEqual(await b.stepTerms(ob));
      }
      expect(a.getParams()).toEqual(b.getParams());
      expect(a.getOptimizerState()).toEqual(b.getOptimizerState());
    } finally {
      await a.release();
      await b.release();
    }
  });

  it('the engine says which binding its worker uses', async () => {
    const logs: string[] = [];
    const engine = new OrtEngine({ device: 'cpu', threads: 1, binding: 'direct' });
    setLogSink((_level, scope, message) => logs.push(`[${scope}] ${message}`));
    try {
      await engine.init(spec, params, resolveTrainConfig({ learningRate: 0.01, backend: 'cpu', batchSize: 8 }));
      expect(logs.join('\n')).toMatch(
        /\[train:ort\] ort engine: sessions on onnxruntime \d+\.\d+\.\d+ C API, called directly/,
      );
    } finally {
      setLogSink(consoleLogSink(true));
      engine.dispose();
    }
  });
});
