import { Rng, listParameters, modelObjective, tensor } from '@vae/core';
import { describe, expect, it } from 'vitest';
import { TRAIN_STEP_NAMES, buildTrainStepGraph } from '../src/training/index.js';
import {
  TINY_SPECS,
  batchFeeds,
  coreTerms,
  createModelSpec,
  ort,
  randomBatch,
  randomParams,
  type Terms,
} from './training-helpers.js';

const N = TRAIN_STEP_NAMES;

function relErr(a: number, b: number): number {
  return Math.abs(a - b) / Math.max(Math.abs(a), Math.abs(b), 1e-6);
}

/** Every tiny spec with one sample, and the IWAE bound (S = 3) of the plain and the conditional VAE. */
const CASES: readonly (readonly [string, (typeof TINY_SPECS)[string], number])[] = [
  ...Object.entries(TINY_SPECS).map(([label, options]) => [label, options, 1] as const),
  ['vae-iwae-3', TINY_SPECS.vae!, 3],
  ['cvae-iwae-3', TINY_SPECS.cvae!, 3],
];

/** The float64 `gradients` graph of `spec` (forward outputs exposed) and a run on batch `b` with given parameters. */
async function float64Step(
  spec: ReturnType<typeof createModelSpec>,
  b: ReturnType<typeof randomBatch>,
  samples: number,
) {
  const graph = buildTrainStepGraph(spec, { mode: 'gradients', dtype: 'float64', exposeForward: true, samples });
  const session = await ort.InferenceSession.create(graph.bytes, { intraOpNumThreads: 1 });
  const data = batchFeeds(spec, b, 'float64');
  const run = async (p: Record<string, Float64Array>) => {
    const feeds: Record<string, ort.Tensor> = { ...data };
    for (const info of listParameters(spec))
      feeds[info.name] = new ort.Tensor('float64', p[info.name]!, [...info.shape]);
    return session.run(feeds);
  };
  return { session, run };
}

describe('training graph gradients (float64, through onnxruntime)', () => {
  for (const [label, options, samples] of CASES) {
    it(`${label}: graph gradients match central finite differences; terms match core's float64 evaluator`, async () => {
      const spec = createModelSpec(options);
      const rng = new Rng(17);
      const params = randomParams(spec, rng);
      const b = randomBatch(spec, rng, 5, samples);
      const { session, run } = await float64Step(spec, b, samples);
      const out = await run(params);
      const loss = Number(out[N.loss]!.data[0]);
      // The graph's terms equal core's float64 evaluation of the kind's objective on the graph's forward outputs.
      const ref: Terms = coreTerms(spec, out, b, params);
      expect(ref.loss).toBeGreaterThan(0);
      expect(relErr(loss, ref.loss)).toBeLessThan(1e-12);
      expect(relErr(Number(out[N.reconstruction]!.data[0]), ref.reconstruction)).toBeLessThan(1e-12);
      expect(relErr(Number(out[N.regularizer]!.data[0]), ref.regularizer)).toBeLessThan(1e-12);
      if (ref.kl !== null) expect(relErr(Number(out[N.kl]!.data[0]), ref.kl)).toBeLessThan(1e-12);

      if (samples === 1) {
        // …and core's public modelObjective (float32 inputs) on the same outputs.
        const f32 = (name: string) =>
          tensor(Float32Array.from(out[name]!.data as Float64Array), out[name]!.dims as number[]);
        const core = modelObjective(spec, {
          x: tensor(Float32Array.from(b.x), [b.batch, b.x.length / b.batch]),
          decoded: f32('decoded'),
          ...(out.mu ? { mu: f32('mu'), logvar: f32('logvar') } : {}),
          ...(out.code ? { code: f32('code') } : {}),
          ...(b.eps ? { eps: tensor(Float32Array.from(b.eps), [b.batch, spec.latentDim]) } : {}),
          params: Object.fromEntries(
            listParameters(spec).map((p) => [p.name, tensor(Float32Array.from(params[p.name]!), [...p.shape])]),
          ),
        });
        expect(relErr(loss, core.loss)).toBeLessThan(1e-5);
      }

      let worst = 0;
      let checked = 0;
      const h = 1e-5;
      for (const info of listParameters(spec)) {
        const g = out[N.grad(info.name)]!.data as Float64Array;
        const picks = g.length <= 6 ? [...g.keys()] : Array.from({ length: 6 }, () => rng.int(g.length));
        for (const i of picks) {
          const plus = { ...params, [info.name]: Float64Array.from(params[info.name]!) };
          const minus = { ...params, [info.name]: Float64Array.from(params[info.name]!) };
          plus[info.name]![i] = plus[info.name]![i]! + h;
          minus[info.name]![i] = minus[info.name]![i]! - h;
          const lp = Number((await run(plus))[N.loss]!.data[0]);
          const lm = Number((await run(minus))[N.loss]!.data[0]);
          const fd = (lp - lm) / (2 * h);
          const err = Math.abs(fd - g[i]!) / Math.max(Math.abs(fd), Math.abs(g[i]!), 1e-2);
          worst = Math.max(worst, err);
          checked++;
        }
      }
      if (process.env.VAE_REPORT)
        process.stdout.write(
          `${label}: ${checked} coordinates, worst relative error vs central differences ${worst.toExponential(2)}\n`,
        );
      expect(checked).toBeGreaterThan(20);
      expect(worst).toBeLessThan(1e-6);
      await session.release();
    });
  }
});

describe('training graph gradients at the log σ² clamp', () => {
  it('units clamped above or below get no gradient; the others match central differences', async () => {
    const spec = createModelSpec(TINY_SPECS.vae!);
    const rng = new Rng(5);
    const params = randomParams(spec, rng);
    const bias = params['encoder.logvar.bias']!;
    bias[0] = 30;
    bias[1] = -45;
    const b = randomBatch(spec, rng, 4);
    const { session, run } = await float64Step(spec, b, 1);
    const out = await run(params);
    const g = out[N.grad('encoder.logvar.bias')]!.data as Float64Array;
    expect([g[0], g[1]]).toEqual([0, 0]);
    // The clamped σ² = e²⁰ makes the loss ~2e8: its rounding over a 2e-3 step is ~1e-5 of the slope.
    const h = 1e-3;
    const at = (v: number) => {
      const p = { ...params, 'encoder.logvar.bias': Float64Array.from(bias) };
      p['encoder.logvar.bias']![2] = bias[2]! + v;
      return run(p).then((o) => Number(o[N.loss]!.data[0]));
    };
    const fd = ((await at(h)) - (await at(-h))) / (2 * h);
    expect(Math.abs(g[2]!)).toBeGreaterThan(1e-3);
    expect(relErr(g[2]!, fd)).toBeLessThan(2e-4);
    await session.release();
  });
});
