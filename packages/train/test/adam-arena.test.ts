import { Rng } from '@vae/core';
import { ADAM_GRAPH_DEFAULTS, adamMomentScales } from '@vae/onnx';
import { describe, expect, it } from 'vitest';
import { AdamArena, SUBNORMAL_FLUSH_INTERVAL, type ArenaTensor } from '../src/engines/ort/adam-arena.js';

/** Sizes that are not multiples of the kernel's 4-value vectors, so padding between tensors is exercised. */
const TENSORS: ArenaTensor[] = [
  { name: 'a.kernel', shape: [7, 5] },
  { name: 'a.bias', shape: [5] },
  { name: 'b.kernel', shape: [5, 3] },
  { name: 'b.bias', shape: [3] },
];

function filled(simd: boolean, seed: number): AdamArena {
  const arena = AdamArena.create(TENSORS, { simd });
  const rng = new Rng(seed);
  for (const t of TENSORS) arena.param(t.name).forEach((_, i, a) => (a[i] = rng.normal()));
  return arena;
}

function setGrads(arena: AdamArena, rng: Rng): void {
  for (const t of TENSORS) arena.grad(t.name).forEach((_, i, a) => (a[i] = 0.1 * rng.normal()));
}

describe('AdamArena', () => {
  it('runs the WebAssembly SIMD kernel on Node, bit-identical to the JavaScript loop over several steps', () => {
    const simd = filled(true, 3);
    const js = filled(false, 3);
    expect(simd.simd).toBe(true);
    expect(js.simd).toBe(false);
    const [r1, r2] = [new Rng(9), new Rng(9)];
    for (let step = 1; step <= 5; step++) {
      setGrads(simd, r1);
      setGrads(js, r2);
      simd.update(ADAM_GRAPH_DEFAULTS, 0.01, step);
      js.update(ADAM_GRAPH_DEFAULTS, 0.01, step);
    }
    for (const t of TENSORS) {
      for (const key of ['param', 'm', 'v'] as const) {
        const a = simd[key](t.name);
        const b = js[key](t.name);
        expect(a.length).toBe(t.shape.reduce((x, y) => x * y, 1));
        expect(a.some((u) => u !== 0)).toBe(true);
        expect(Array.from(a), `${t.name} ${key}`).toEqual(Array.from(b));
      }
    }
  });

  it('is bias-corrected Adam on the scaled moments, within float32 rounding of a float64 reference', () => {
    const arena = filled(true, 4);
    const rng = new Rng(11);
    const { beta1, beta2, epsilon } = ADAM_GRAPH_DEFAULTS;
    const scale = adamMomentScales(ADAM_GRAPH_DEFAULTS);
    const lr = 0.003;
    const ref = new Map(
      TENSORS.map((t) => [
        t.name,
        {
          p: Float64Array.from(arena.param(t.name)),
          m: new Float64Array(arena.m(t.name).length),
          v: new Float64Array(arena.v(t.name).length),
        },
      ]),
    );
    // Bounds: float32 rounding relative to the values' scale (gradients are ~0.1, so m ~0.1 and v ~1e-5).
    let worst = 0;
    for (let step = 1; step <= 4; step++) {
      setGrads(arena, rng);
      for (const t of TENSORS) {
        const r = ref.get(t.name)!;
        arena.grad(t.name).forEach((g, i) => {
          r.m[i] = beta1 * r.m[i]! + (1 - beta1) * g;
          r.v[i] = beta2 * r.v[i]! + (1 - beta2) * g * g;
          const mHat = r.m[i]! / (1 - beta1 ** step);
          const vHat = r.v[i]! / (1 - beta2 ** step);
          r.p[i] = r.p[i]! - (lr * mHat) / (Math.sqrt(vHat) + epsilon);
        });
      }
      arena.update(ADAM_GRAPH_DEFAULTS, lr, step);
      for (const t of TENSORS) {
        const r = ref.get(t.name)!;
        arena.param(t.name).forEach((p, i) => {
          worst = Math.max(worst, Math.abs(p - r.p[i]!) / (lr + 2 ** -23 * Math.abs(r.p[i]!)));
          expect(Math.abs(arena.m(t.name)[i]! * scale.m - r.m[i]!)).toBeLessThanOrEqual(
            1e-6 * (Math.abs(r.m[i]!) + 0.1),
          );
          expect(Math.abs(arena.v(t.name)[i]! * scale.v - r.v[i]!)).toBeLessThanOrEqual(
            1e-6 * (Math.abs(r.v[i]!) + 1e-5),
          );
        });
      }
    }
    // Every update moves each value by about lr; float32 keeps it within a small fraction of that.
    expect(worst).toBeLessThan(1e-3);
  });

  it('updates a range only, and mixes a scratch gradient in (SIMD bit-identical to JavaScript)', () => {
    const [simd, js, whole] = [true, false, true].map((k) => {
      const a = AdamArena.create(TENSORS, { simd: k, scratch: true });
      const rng = new Rng(5);
      a.values.forEach((_, i, v) => (v[i] = rng.normal()));
      a.grads.forEach((_, i, g) => (g[i] = rng.normal()));
      a.scratch.forEach((_, i, x) => (x[i] = rng.normal()));
      return a;
    }) as [AdamArena, AdamArena, AdamArena];
    const range = { from: 36, to: 56 };
    for (const a of [simd, js]) {
      a.mixGrads(range, 0.25, 0.75);
      a.update(ADAM_GRAPH_DEFAULTS, 0.01, 1, range);
    }
    expect(Array.from(simd.values)).toEqual(Array.from(js.values));
    expect(Array.from(simd.grads)).toEqual(Array.from(js.grads));
    expect(simd.grads[40]).toBe(
      Math.fround(Math.fround(whole.grads[40]! * 0.25) + Math.fround(whole.scratch[40]! * 0.75)),
    );
    expect(simd.values.subarray(0, 36)).toEqual(whole.values.subarray(0, 36));
    expect(simd.values[40]).not.toBe(whole.values[40]);
    expect(AdamArena.create(TENSORS).scratch).toHaveLength(0);
    expect(() => simd.update(ADAM_GRAPH_DEFAULTS, 0.01, 1, { from: 2, to: 8 })).toThrow(
      /range: expected multiples of 4 within \[0, 64\], got \[2, 8\)/,
    );
  });

  it('sets subnormal moments to 0 every SUBNORMAL_FLUSH_INTERVAL steps, the range only (SIMD bit-identical to JavaScript)', () => {
    const MIN_NORMAL = 2 ** -126;
    const [simd, js] = [true, false].map((k) => {
      const a = AdamArena.create(TENSORS, { simd: k });
      a.values.fill(0.5);
      // First moments of a.kernel and a.bias start just above the subnormal range and get no
      // gradient: β₁ takes them below 2⁻¹²⁶ after one step. b.kernel gets gradients.
      const m = a.m('a.kernel');
      m.fill(1.5 * MIN_NORMAL);
      a.m('a.bias').fill(1.5 * MIN_NORMAL);
      a.grads.fill(0);
      a.grad('b.kernel').fill(0.01);
      return a;
    }) as [AdamArena, AdamArena];
    const subnormal = (a: AdamArena) =>
      [...a.m('a.kernel'), ...a.m('a.bias')].filter((x) => x !== 0 && Math.abs(x) < MIN_NORMAL).length;
    const range = { from: 0, to: 36 };
    for (let step = 1; step < SUBNORMAL_FLUSH_INTERVAL; step++)
      for (const a of [simd, js]) a.update(ADAM_GRAPH_DEFAULTS, 0.01, step, range);
    expect(subnormal(simd)).toBe(35);
    for (const a of [simd, js]) a.update(ADAM_GRAPH_DEFAULTS, 0.01, SUBNORMAL_FLUSH_INTERVAL, range);
    // Inside the range (a.kernel's 35 floats and their padding) flushed; a.bias, outside it, untouched.
    expect(simd.m('a.kernel').every((x) => x === 0)).toBe(true);
    expect(Array.from(simd.m('a.bias'))).toEqual(Array(5).fill(Math.fround(1.5 * MIN_NORMAL)));
    for (const key of ['values', 'grads'] as const) expect(Array.from(simd[key])).toEqual(Array.from(js[key]));
    for (const t of TENSORS) {
      expect(Array.from(simd.m(t.name)), t.name).toEqual(Array.from(js.m(t.name)));
      expect(Array.from(simd.v(t.name)), t.name).toEqual(Array.from(js.v(t.name)));
    }
    // Normal moments are left as they are.
    simd.update(ADAM_GRAPH_DEFAULTS, 0.01, 2 * SUBNORMAL_FLUSH_INTERVAL);
    expect(simd.m('b.kernel').every((x) => x === Math.fround(0.01))).toBe(true);
  });

  it('names the argument in its errors', () => {
    const arena = AdamArena.create(TENSORS);
    expect(() => arena.param('c.kernel')).toThrow(/name: expected one of a\.kernel, .*got c\.kernel/);
    expect(() => arena.update(ADAM_GRAPH_DEFAULTS, 0, 1)).toThrow(/lr: expected a finite number > 0, got 0/);
    expect(() => arena.update(ADAM_GRAPH_DEFAULTS, 0.01, 0)).toThrow(/step: expected an integer ≥ 1, got 0/);
    expect(() => AdamArena.create([TENSORS[0]!, TENSORS[0]!])).toThrow(/unique names, got a\.kernel twice/);
  });
});
