import {
  Rng,
  createModelSpec,
  initParameters,
  inputSize,
  modelObjective,
  type ModelSpec,
  type ModelSpecOptions,
  type ObjectiveTerms,
} from '@vae/core';
import { afterAll, describe, expect, it } from 'vitest';
import { makeBatch } from '../src/batches/batches.js';
import { resolveTrainConfig } from '../src/config.js';
import type { ImageSplit } from '@vae/data';
import type { Engine, StepOutputs, TrainBatch } from '../src/engines/engine.js';
import { trueAdamMoments } from '../src/checkpoint/checkpoint.js';
import { TfjsEngine } from '../src/engines/tfjs/tfjs-engine.js';
import { chooseEngine } from '../src/engines/engine-choice.js';
import { ADAM_DEFAULTS } from '../src/engines/adam-defaults.js';
import {
  NODE_ORT_PLATFORM,
  OrtEngine,
  OrtStepRunner,
  ortDeviceForConfig,
  ortDeviceSkipReason,
} from '../src/engines/ort/index.js';

function synthSplit(spec: ModelSpec, count: number, seed: number): ImageSplit {
  const rng = new Rng(seed);
  const d = inputSize(spec);
  const images = new Uint8Array(count * d);
  for (let i = 0; i < images.length; i++) images[i] = rng.uniform() < 0.6 ? 0 : rng.int(256);
  return { images, labels: Uint8Array.from({ length: count }, () => rng.int(10)), count };
}

function batches(spec: ModelSpec, n: number, size: number, seed: number): TrainBatch[] {
  const split = synthSplit(spec, n * size, seed);
  const rng = new Rng(seed + 1);
  const perm = rng.permutation(split.count);
  return Array.from({ length: n }, (_, i) =>
    makeBatch(split, perm.subarray(i * size, (i + 1) * size), rng, { spec, binarize: 'none', samples: 1 }),
  );
}

/** `terms` equal core's `modelObjective` of the forward outputs `out` of batch `b` (1e-5 relative). */
function expectCoreTerms(spec: ModelSpec, b: TrainBatch, out: StepOutputs, t: ObjectiveTerms, kind: string): void {
  const core = modelObjective(spec, {
    x: b.target,
    decoded: out.decoded,
    ...(out.mu ? { mu: out.mu, logvar: out.logvar! } : {}),
    ...(out.code ? { code: out.code } : {}),
    ...(out.objectiveParams ? { params: out.objectiveParams } : {}),
    ...(b.eps ? { eps: b.eps } : {}),
  });
  for (const key of ['loss', 'reconstruction', 'regularizer'] as const) {
    expect(Math.abs(t[key] - core[key]), `${kind} ${key}`).toBeLessThanOrEqual(1e-5 * Math.max(1, Math.abs(core[key])));
  }
  if (core.kl === null) expect(t.kl).toBeNull();
  else expect(Math.abs(t.kl! - core.kl)).toBeLessThanOrEqual(1e-5 * Math.max(1, core.kl));
  if (core.elbo === null) expect(t.elbo).toBeNull();
  else expect(Math.abs(t.elbo! - core.elbo)).toBeLessThanOrEqual(1e-5 * Math.abs(core.elbo));
}

const engines: Engine[] = [];
afterAll(() => engines.forEach((e) => e.dispose()));

const SPEC: ModelSpecOptions = { kind: 'vae', imageShape: [6, 6, 1], hidden: [12], latentDim: 3 };

describe('ort engine', () => {
  it('trains in a worker thread: loss decreases, reported loss equals core modelObjective, state round-trips', async () => {
    const spec = createModelSpec(SPEC);
    const params = initParameters(spec, new Rng(3));
    // One worker: compared bit for bit with the inline engine below (data parallelism has its own test file).
    const engine = new OrtEngine({ shards: 1 });
    engines.push(engine);
    await engine.init(spec, params, resolveTrainConfig({ learningRate: 0.01, backend: 'cpu' }));
    expect(engine.backend).toBe('cpu');
    const data = batches(spec, 4, 16, 11);
    const losses: number[] = [];
    let ticks = 0;
    const timer = setInterval(() => ticks++, 0);
    for (let epoch = 0; epoch < 15; epoch++) {
      for (const b of data) {
        const out = await engine.step(b);
        const core = modelObjective(spec, { x: b.target, decoded: out.decoded, mu: out.mu!, logvar: out.logvar! });
        expect(Math.abs(out.loss - core.loss)).toBeLessThan(1e-4 * Math.abs(core.loss));
        losses.push(out.loss);
      }
    }
    clearInterval(timer);
    expect(ticks).toBeGreaterThan(0);
    const first = losses.slice(0, 4).reduce((a, b) => a + b) / 4;
    const last = losses.slice(-4).reduce((a, b) => a + b) / 4;
    expect(last).toBeLessThan(first - 1);
    const state = await engine.getOptimizerState();
    expect(state.step).toBe(60);
    const p = await engine.getParams();
    expect(p['decoder.1.kernel']!.data).not.toEqual(params['decoder.1.kernel']!.data);

    const copy = new OrtEngine({ worker: false });
    engines.push(copy);
    await copy.init(spec, p, resolveTrainConfig({ learningRate: 0.01, backend: 'cpu' }));
    await copy.setOptimizerState(state);
    const a = await engine.step(data[0]!);
    const b = await copy.step(data[0]!);
    expect(b.loss).toBe(a.loss);
    const pa = await engine.getParams();
    const pb = await copy.getParams();
    expect(pb['encoder.mu.kernel']!.data).toEqual(pa['encoder.mu.kernel']!.data);
    const fa = await engine.forward(data[1]!);
    const fb = await copy.forward(data[1]!);
    expect(fb.loss).toBe(fa.loss);
    expect((await copy.getOptimizerState()).step).toBe(61);
  });

  it('Adam state crosses engines: ort keeps its scaled moments exactly, tfjs and ort convert to and from true moments', async () => {
    const spec = createModelSpec(SPEC);
    const params = initParameters(spec, new Rng(5));
    const engine = new OrtEngine({ worker: false });
    engines.push(engine);
    const config = resolveTrainConfig({ learningRate: 0.01, backend: 'cpu' });
    await engine.init(spec, params, config);
    for (const b of batches(spec, 5, 8, 11)) await engine.step(b);
    const native = await engine.getOptimizerState();
    expect(native.momentScale).toEqual({ m: 1 - 0.9, v: 1 - 0.999 });
    const truth = trueAdamMoments(native);
    expect(truth.momentScale).toBeUndefined();
    const name = 'encoder.mu.kernel';
    expect(truth.m[name]!.data).toEqual(native.m[name]!.data.map((u) => u * 0.1));

    const tfjs = new TfjsEngine();
    engines.push(tfjs);
    await tfjs.init(spec, await engine.getParams(), config);
    await tfjs.setOptimizerState(native);
    const fromTfjs = await tfjs.getOptimizerState();
    expect(fromTfjs.momentScale).toBeUndefined();
    expect(fromTfjs.m[name]!.data).toEqual(truth.m[name]!.data);
    expect(fromTfjs.v[name]!.data).toEqual(truth.v[name]!.data);

    const back = new OrtEngine({ worker: false });
    engines.push(back);
    await back.init(spec, await engine.getParams(), config);
    await back.setOptimizerState(fromTfjs);
    const again = trueAdamMoments(await back.getOptimizerState());
    for (const key of ['m', 'v'] as const) {
      again[key][name]!.data.forEach((u, i) =>
        expect(Math.abs(u - truth[key][name]!.data[i]!)).toBeLessThanOrEqual(
          2 ** -22 * Math.abs(truth[key][name]!.data[i]!),
        ),
      );
    }
  });

  it('stepTerms reports core modelObjective of the step and updates exactly as step does', async () => {
    for (const kind of ['vae', 'ae', 'sparse-ae', 'contractive-ae'] as const) {
      const spec = createModelSpec({ ...SPEC, kind });
      const params = initParameters(spec, new Rng(5));
      const config = resolveTrainConfig({ learningRate: 0.01, backend: 'cpu' });
      const full = new OrtEngine({ worker: false });
      const lean = new OrtEngine({ shards: 1 });
      engines.push(full, lean);
      await full.init(spec, params, config);
      await lean.init(spec, params, config);
      for (const b of batches(spec, 3, 16, 21)) {
        const out = await full.step(b);
        expectCoreTerms(spec, b, out, await lean.stepTerms(b), kind);
      }
      const pf = await full.getParams();
      const pl = await lean.getParams();
      for (const name of Object.keys(pf)) expect(pl[name]!.data, `${kind} ${name}`).toEqual(pf[name]!.data);
    }
  });

  it('applies the Adam update of a step exactly once, by flush() (the worker, after replying) or by the next call', async () => {
    const spec = createModelSpec(SPEC);
    const params = initParameters(spec, new Rng(6));
    const init = { spec, params, learningRate: 0.01, adam: { ...ADAM_DEFAULTS }, device: 'cpu' as const, threads: 1 };
    const [a, b] = [
      await OrtStepRunner.create(init, NODE_ORT_PLATFORM),
      await OrtStepRunner.create(init, NODE_ORT_PLATFORM),
    ];
    try {
      const [b1, b2] = batches(spec, 2, 8, 31) as [TrainBatch, TrainBatch];
      const asOrt = (t: TrainBatch) => ({ target: t.target, x: t.x, eps: t.eps! });
      await a.stepTerms(asOrt(b1));
      a.flush();
      a.flush(); // nothing pending: no second update
      await b.stepTerms(asOrt(b1)); // b's update is applied by its next call
      expect(a.getOptimizerState().step).toBe(1);
      expect(b.getOptimizerState().step).toBe(1);
      expect(a.getParams()).toEqual(b.getParams());
      expect((await a.stepTerms(asOrt(b2))).loss).toBe((await b.stepTerms(asOrt(b2))).loss);
      expect(a.getParams()).toEqual(b.getParams());
      expect(a.getParams()).not.toEqual(params);
    } finally {
      await a.release();
      await b.release();
    }
  });

  it('forwardTerms reports core modelObjective of the forward pass and its embedding, in the worker and inline', async () => {
    for (const kind of ['vae', 'sparse-ae', 'contractive-ae'] as const) {
      const spec = createModelSpec({ ...SPEC, kind });
      const params = initParameters(spec, new Rng(6));
      const config = resolveTrainConfig({ learningRate: 0.01, backend: 'cpu' });
      for (const engine of [new OrtEngine({ worker: false }), new OrtEngine()]) {
        engines.push(engine);
        await engine.init(spec, params, config);
        for (const b of batches(spec, 2, 16, 31)) {
          await engine.step(b);
          const out = await engine.forward(b);
          const { terms, embedding } = await engine.forwardTerms(b);
          expectCoreTerms(spec, b, out, terms, kind);
          expect(embedding.shape).toEqual([16, spec.latentDim]);
          expect(Array.from(embedding.data)).toEqual(Array.from((out.mu ?? out.code)!.data));
        }
      }
    }
  });

  it('auto takes CUDA only where its provider libraries are installed, else the CPU EP, with TF32 off as for inference', async () => {
    const spec = createModelSpec(SPEC);
    const tf32 = process.env.NVIDIA_TF32_OVERRIDE;
    expect(ortDeviceForConfig('auto')).toBe('auto');
    expect(ortDeviceForConfig('wasm')).toBe('auto');
    expect(ortDeviceForConfig('webgpu')).toBe('webgpu');
    expect(ortDeviceSkipReason('cpu')).toBeNull();
    const engine = new OrtEngine({ worker: false });
    engines.push(engine);
    await engine.init(spec, initParameters(spec, new Rng(1)), resolveTrainConfig({ backend: 'auto' }));
    expect(engine.backend).toBe(ortDeviceSkipReason('cuda') === null ? 'cuda' : 'cpu');
    // auto may pick CUDA, so the process environment has TF32 off before any session (a user's own setting stays).
    expect(process.env.NVIDIA_TF32_OVERRIDE).toBe(tf32 || '0');
  });

  it('rejects batches with another sample count than its graph, and unknown devices, with errors that name the argument', async () => {
    const spec = createModelSpec(SPEC);
    expect(() => new OrtEngine({ device: 'tpu' as never })).toThrow(
      /options.device: expected auto\|cuda\|webgpu\|cpu, got "tpu"/,
    );
    const engine = new OrtEngine({ worker: false });
    engines.push(engine);
    await engine.init(spec, initParameters(spec, new Rng(1)), resolveTrainConfig({ backend: 'cpu' }));
    const b = batches(spec, 1, 4, 2)[0]!;
    await expect(engine.step({ ...b, samples: 2 })).rejects.toThrow(/batch.samples: expected 1/);
  });
});

describe('ort engine batch hand-over', () => {
  it('stepTerms(batch, true) moves the buffers a batch owns to the worker and trains exactly as a copied batch', async () => {
    const spec = createModelSpec(SPEC);
    const params = initParameters(spec, new Rng(3));
    const config = resolveTrainConfig({ learningRate: 0.01, backend: 'cpu' });
    const [moving, copying] = [new OrtEngine({ shards: 1 }), new OrtEngine({ shards: 1 })];
    engines.push(moving, copying);
    await moving.init(spec, params, config);
    await copying.init(spec, params, config);
    for (const [i, b] of batches(spec, 3, 16, 11).entries()) {
      const copy = structuredClone(b);
      // A view of part of a larger buffer is never moved (it would take the rest of the buffer with it).
      const big = new Float32Array(b.eps!.data.length * 2);
      big.set(b.eps!.data);
      const eps = { ...b.eps!, data: big.subarray(0, b.eps!.data.length) };
      const handed = i === 2 ? { ...b, eps } : b;
      expect(await moving.stepTerms(handed, true)).toEqual(await copying.stepTerms(copy));
      expect(handed.target.data.length).toBe(0);
      if (i === 2) expect(big.length).toBe(b.eps!.data.length * 2);
      else expect(b.eps!.data.length).toBe(0);
    }
    expect(await moving.getParams()).toEqual(await copying.getParams());
  });
});

describe('engine auto choice', () => {
  it('picks ort unless the backend is a TensorFlow.js one, saying why', () => {
    expect(chooseEngine('auto', createModelSpec(SPEC))).toEqual({
      engine: 'ort',
      reason: 'the ort training graph supports this spec',
    });
    expect(chooseEngine('auto', createModelSpec({ kind: 'vae', architecture: 'conv' })).engine).toBe('ort');
    expect(chooseEngine('tfjs', createModelSpec(SPEC)).engine).toBe('tfjs');
    expect(chooseEngine('auto', createModelSpec(SPEC), { backend: 'wasm' })).toEqual({
      engine: 'tfjs',
      reason: 'backend wasm is a TensorFlow.js backend',
    });
    expect(chooseEngine('auto', createModelSpec(SPEC), { backend: 'cuda' }).engine).toBe('ort');
  });
});
