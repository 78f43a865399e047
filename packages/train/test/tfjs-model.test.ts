import { beforeAll, describe, expect, it } from 'vitest';
import { Rng, createModelSpec, initParameters, listParameters, type ModelSpec, type Tensor } from '@vae/core';
import { createTfjsModel, selectBackend } from '../src/engines/tfjs/index.js';
import { maxAbsDiff, t, tinySpec, values } from './helpers.js';

beforeAll(async () => {
  await selectBackend('cpu');
});

function dense(
  x: Float32Array,
  rows: number,
  w: Tensor | undefined,
  b: Tensor | undefined,
  act: (v: number) => number,
): Float32Array {
  const [n, m] = w!.shape as [number, number];
  const out = new Float32Array(rows * m);
  for (let r = 0; r < rows; r++) {
    for (let j = 0; j < m; j++) {
      let s = b!.data[j]!;
      for (let i = 0; i < n; i++) s += x[r * n + i]! * w!.data[i * m + j]!;
      out[r * m + j] = act(s);
    }
  }
  return out;
}

const relu = (v: number): number => Math.max(0, v);
const id = (v: number): number => v;

function concatCols(a: Float32Array, an: number, b: Float32Array, bn: number, rows: number): Float32Array {
  const out = new Float32Array(rows * (an + bn));
  for (let r = 0; r < rows; r++) {
    out.set(a.subarray(r * an, (r + 1) * an), r * (an + bn));
    out.set(b.subarray(r * bn, (r + 1) * bn), r * (an + bn) + an);
  }
  return out;
}

/** Naive HWC conv2d, TF 'same' padding. */
function conv2dSame(
  x: Float32Array,
  [h, w, c]: number[],
  k: Tensor | undefined,
  bias: Tensor | undefined,
  s: number,
): { y: Float32Array; shape: number[] } {
  const [kh, kw, , oc] = k!.shape as [number, number, number, number];
  const oh = Math.ceil(h! / s);
  const ow = Math.ceil(w! / s);
  const padT = Math.floor(Math.max((oh - 1) * s + kh - h!, 0) / 2);
  const padL = Math.floor(Math.max((ow - 1) * s + kw - w!, 0) / 2);
  const y = new Float32Array(oh * ow * oc);
  for (let oy = 0; oy < oh; oy++)
    for (let ox = 0; ox < ow; ox++)
      for (let o = 0; o < oc; o++) {
        let sum = bias!.data[o]!;
        for (let ky = 0; ky < kh; ky++)
          for (let kx = 0; kx < kw; kx++) {
            const iy = oy * s + ky - padT;
            const ix = ox * s + kx - padL;
            if (iy < 0 || ix < 0 || iy >= h! || ix >= w!) continue;
            for (let i = 0; i < c!; i++)
              sum += x[(iy * w! + ix) * c! + i]! * k!.data[((ky * kw + kx) * c! + i) * oc + o]!;
          }
        y[(oy * ow + ox) * oc + o] = sum;
      }
  return { y, shape: [oh, ow, oc] };
}

/** Naive HWC transposed conv, TF 'same' output size in·s; kernel [kh, kw, outC, inC]. */
function conv2dTransposeSame(
  x: Float32Array,
  [h, w, c]: number[],
  k: Tensor | undefined,
  bias: Tensor | undefined,
  s: number,
): { y: Float32Array; shape: number[] } {
  const [kh, kw, oc] = k!.shape as [number, number, number, number];
  const oh = h! * s;
  const ow = w! * s;
  const padT = Math.floor(Math.max((h! - 1) * s + kh - oh, 0) / 2);
  const padL = Math.floor(Math.max((w! - 1) * s + kw - ow, 0) / 2);
  const y = new Float32Array(oh * ow * oc);
  for (let i = 0; i < oh * ow; i++) for (let o = 0; o < oc; o++) y[i * oc + o] = bias!.data[o]!;
  for (let iy = 0; iy < h!; iy++)
    for (let ix = 0; ix < w!; ix++)
      for (let ic = 0; ic < c!; ic++) {
        const v = x[(iy * w! + ix) * c! + ic]!;
        for (let ky = 0; ky < kh; ky++)
          for (let kx = 0; kx < kw; kx++) {
            const oy = iy * s + ky - padT;
            const ox = ix * s + kx - padL;
            if (oy < 0 || ox < 0 || oy >= oh || ox >= ow) continue;
            for (let o = 0; o < oc; o++)
              y[(oy * ow + ox) * oc + o] =
                y[(oy * ow + ox) * oc + o]! + v * k!.data[((ky * kw + kx) * oc + o) * c! + ic]!;
          }
      }
  return { y, shape: [oh, ow, oc] };
}

describe('createTfjsModel', () => {
  it('MLP VAE encode/decode equal a hand-written forward pass', () => {
    const spec = tinySpec({ kind: 'vae' });
    const p = initParameters(spec, new Rng(3));
    const model = createTfjsModel(spec, p);
    const x = values(2 * 16, 1);
    const enc = model.encode(t(x, [2, 16]));
    expect('mu' in enc).toBe(true);
    if (!('mu' in enc)) return;
    const h = dense(x, 2, p['encoder.0.kernel'], p['encoder.0.bias'], relu);
    expect(maxAbsDiff(enc.mu.data, dense(h, 2, p['encoder.mu.kernel'], p['encoder.mu.bias'], id))).toBeLessThan(1e-5);
    expect(
      maxAbsDiff(enc.logvar.data, dense(h, 2, p['encoder.logvar.kernel'], p['encoder.logvar.bias'], id)),
    ).toBeLessThan(1e-5);
    const z = values(2 * 3, 2, -2, 2);
    const dec = model.decode(t(z, [2, 3]));
    const hd = dense(z, 2, p['decoder.0.kernel'], p['decoder.0.bias'], relu);
    expect(dec.shape).toEqual([2, 16]);
    expect(maxAbsDiff(dec.data, dense(hd, 2, p['decoder.1.kernel'], p['decoder.1.bias'], id))).toBeLessThan(1e-5);
    model.dispose();
  });

  it('cvae concatenates y to the first dense input and [z, y] at the decoder', () => {
    const spec = tinySpec({ kind: 'cvae' });
    const p = initParameters(spec, new Rng(4));
    expect(p['encoder.0.kernel']!.shape).toEqual([16 + 3, 5]);
    expect(p['decoder.0.kernel']!.shape).toEqual([3 + 3, 5]);
    const model = createTfjsModel(spec, p);
    const x = values(2 * 16, 5);
    const y = Float32Array.from([0, 1, 0, 0, 0, 1]);
    const enc = model.encode(t(x, [2, 16]), t(y, [2, 3]));
    if (!('mu' in enc)) throw new Error('expected mu');
    const h = dense(concatCols(x, 16, y, 3, 2), 2, p['encoder.0.kernel'], p['encoder.0.bias'], relu);
    expect(maxAbsDiff(enc.mu.data, dense(h, 2, p['encoder.mu.kernel'], p['encoder.mu.bias'], id))).toBeLessThan(1e-5);
    const dec = model.decode(enc.mu, t(y, [2, 3]));
    const hd = dense(concatCols(enc.mu.data, 3, y, 3, 2), 2, p['decoder.0.kernel'], p['decoder.0.bias'], relu);
    expect(maxAbsDiff(dec.data, dense(hd, 2, p['decoder.1.kernel'], p['decoder.1.bias'], id))).toBeLessThan(1e-5);
    expect(() => model.encode(t(x, [2, 16]))).toThrow(/y: expected a one-hot label tensor of shape \[2, 3\]/);
    model.dispose();
  });

  it('plain AE returns { z } through the code activation', () => {
    const spec = tinySpec({ kind: 'contractive-ae' });
    const p = initParameters(spec, new Rng(5));
    const model = createTfjsModel(spec, p);
    const x = values(3 * 16, 6);
    const enc = model.encode(t(x, [3, 16]));
    if (!('z' in enc)) throw new Error('expected z');
    const expected = dense(x, 3, p['encoder.code.kernel'], p['encoder.code.bias'], (v) => 1 / (1 + Math.exp(-v)));
    expect(maxAbsDiff(enc.z.data, expected)).toBeLessThan(1e-6);
    model.dispose();
  });

  it('conv architecture matches naive HWC conv2d / conv2d-transpose (TF layout, same padding)', () => {
    const spec: ModelSpec = createModelSpec({ kind: 'vae', architecture: 'conv', imageShape: [8, 8, 1], latentDim: 2 });
    const p = initParameters(spec, new Rng(6));
    const names = listParameters(spec).map((q) => q.name);
    expect(names).toContain('decoder.3.kernel');
    const model = createTfjsModel(spec, p);
    const x = values(64, 7);
    const enc = model.encode(t(x, [1, 64]));
    if (!('mu' in enc)) throw new Error('expected mu');
    const c1 = conv2dSame(x, [8, 8, 1], p['encoder.1.kernel'], p['encoder.1.bias'], 2);
    const c2 = conv2dSame(c1.y.map(relu), c1.shape, p['encoder.2.kernel'], p['encoder.2.bias'], 2);
    const f = dense(c2.y.map(relu), 1, p['encoder.4.kernel'], p['encoder.4.bias'], relu);
    expect(maxAbsDiff(enc.mu.data, dense(f, 1, p['encoder.mu.kernel'], p['encoder.mu.bias'], id))).toBeLessThan(1e-4);
    const z = Float32Array.from([0.7, -1.2]);
    const d0 = dense(z, 1, p['decoder.0.kernel'], p['decoder.0.bias'], relu);
    const d1 = dense(d0, 1, p['decoder.1.kernel'], p['decoder.1.bias'], relu);
    const t1 = conv2dTransposeSame(d1, [2, 2, 64], p['decoder.3.kernel'], p['decoder.3.bias'], 2);
    const t2 = conv2dTransposeSame(t1.y.map(relu), t1.shape, p['decoder.4.kernel'], p['decoder.4.bias'], 2);
    expect(t2.shape).toEqual([8, 8, 1]);
    expect(maxAbsDiff(model.decode(t(z, [1, 2])).data, t2.y)).toBeLessThan(1e-4);
    model.dispose();
  });

  it('rejects missing or mis-shaped parameters and inputs, naming them', () => {
    const spec = tinySpec();
    const p = initParameters(spec, new Rng(1));
    const { ['encoder.mu.bias']: _drop, ...missing } = p;
    expect(() => createTfjsModel(spec, missing)).toThrow(/missing parameter "encoder.mu.bias"/);
    const model = createTfjsModel(spec, p);
    expect(() => model.encode(t(new Float32Array(10), [2, 5]))).toThrow(
      /x: expected shape \[batch, 16\], got \[2, 5\]/,
    );
    model.dispose();
    expect(() => model.decode(t(new Float32Array(3), [1, 3]))).toThrow(/after dispose/);
  });
});
