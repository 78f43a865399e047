import { describe, expect, it } from 'vitest';
import { Rng, createModelSpec, initParameters, type Backend } from '@vae/core';
import { buildDecoderGraph, buildEncoderGraph, measurePrecisionError, onnx } from '../src/index.js';
import { float16BitsToNumber, float32ToFloat16Bits } from '../src/float16-impl.js';
import { quantizePerChannel } from '../src/quantize-impl.js';
import { maxAbsDiff, runOrt } from './ort-helpers.js';
import { seededInputs } from './specs.js';

describe('float16 conversion', () => {
  it('rounds to nearest even and handles the range ends', () => {
    expect(float32ToFloat16Bits(1)).toBe(0x3c00);
    expect(float32ToFloat16Bits(-2)).toBe(0xc000);
    expect(float32ToFloat16Bits(65504)).toBe(0x7bff);
    expect(float32ToFloat16Bits(65520)).toBe(0x7c00);
    expect(float32ToFloat16Bits(2 ** -24)).toBe(0x0001);
    expect(float32ToFloat16Bits(2 ** -26)).toBe(0x0000);
    expect(float32ToFloat16Bits(1 + 2 ** -11)).toBe(0x3c00);
    expect(float32ToFloat16Bits(1 + 3 * 2 ** -11)).toBe(0x3c02);
    expect(Number.isNaN(float16BitsToNumber(float32ToFloat16Bits(NaN)))).toBe(true);
    const rng = new Rng(1);
    for (let i = 0; i < 1000; i++) {
      const v = (rng.uniform() - 0.5) * 10;
      expect(Math.abs(float16BitsToNumber(float32ToFloat16Bits(v)) - v)).toBeLessThanOrEqual(
        Math.abs(v) * 2 ** -11 + 1e-12,
      );
    }
  });
});

describe('per-channel int8 quantization', () => {
  it('uses one scale per output channel and errs by at most half a step', () => {
    const rng = new Rng(2);
    const dims = [5, 3];
    const w = Float32Array.from(
      { length: 15 },
      (_, i) => (rng.uniform() - 0.5) * (i % 3 === 2 ? 0 : i % 3 === 1 ? 10 : 0.1),
    );
    const { q, scale } = quantizePerChannel(w, dims, 1);
    expect(scale).toHaveLength(3);
    expect(scale[2]).toBe(1);
    for (let i = 0; i < w.length; i++)
      expect(Math.abs(q[i]! * scale[i % 3]! - w[i]!)).toBeLessThanOrEqual(scale[i % 3]! / 2 + 1e-7);
    expect(
      Math.max(
        ...Array.from(q)
          .filter((_, i) => i % 3 === 1)
          .map(Math.abs),
      ),
    ).toBe(127);
  });
});

describe('precision variants of the 784-400-20 VAE', () => {
  const spec = createModelSpec({ kind: 'vae' });
  const params = initParameters(spec, new Rng(11));
  const { x, z } = seededInputs(spec, 64, 12);

  it('fp16 halves and int8 quarters the size, I/O stays float32, errors vs fp32 are small but nonzero', async () => {
    const sizes: Record<string, number> = {};
    const outs: Record<string, Record<string, Float32Array>> = {};
    for (const precision of ['fp32', 'fp16', 'int8'] as const) {
      const enc = buildEncoderGraph(spec, params, { precision });
      const dec = buildDecoderGraph(spec, params, { precision });
      sizes[precision] = enc.length + dec.length;
      const e = await runOrt(enc, { x });
      const d = await runOrt(dec, { z });
      outs[precision] = { mu: e.mu!.data, logvar: e.logvar!.data, x_mean: d.x_mean!.data };
      const m = onnx.ModelProto.decode(dec);
      for (const io of [...m.graph!.input!, ...m.graph!.output!]) expect(io.type!.tensorType!.elemType).toBe(1);
      const ops = m.graph!.node!.map((n) => n.opType);
      if (precision === 'fp16') expect(ops.filter((o) => o === 'Cast')).toHaveLength(4);
      if (precision === 'int8') {
        const dq = m.graph!.node!.filter((n) => n.opType === 'DequantizeLinear');
        expect(dq).toHaveLength(2);
        for (const n of dq) expect(Number(n.attribute!.find((a) => a.name === 'axis')!.i)).toBe(1);
      }
    }
    expect(sizes.fp16! / sizes.fp32!).toBeGreaterThan(0.45);
    expect(sizes.fp16! / sizes.fp32!).toBeLessThan(0.55);
    expect(sizes.int8! / sizes.fp32!).toBeGreaterThan(0.2);
    expect(sizes.int8! / sizes.fp32!).toBeLessThan(0.3);
    for (const k of ['mu', 'x_mean']) {
      const e16 = maxAbsDiff(outs.fp16![k]!, outs.fp32![k]!);
      const e8 = maxAbsDiff(outs.int8![k]!, outs.fp32![k]!);
      expect(e16).toBeGreaterThan(0);
      expect(e16).toBeLessThan(5e-3);
      expect(e8).toBeGreaterThan(e16);
      expect(e8).toBeLessThan(5e-2);
    }
  });
});

describe('measurePrecisionError', () => {
  it('reports per-output max |variant − fp32| through a Backend on a seeded batch', async () => {
    const backend: Backend = {
      name: 'test-ort',
      devices: ['cpu'],
      createSession: async (model) => ({
        device: 'cpu',
        inputNames: [],
        outputNames: [],
        inputMetadata: [],
        outputMetadata: [],
        run: (feeds) => runOrt(model, { ...feeds }),
        release: async () => undefined,
      }),
    };
    const spec = createModelSpec({ kind: 'cvae', imageShape: [8, 8, 1], hidden: [32], latentDim: 4, numClasses: 3 });
    const params = initParameters(spec, new Rng(4));
    const e8 = await measurePrecisionError({ spec, params, precision: 'int8', backend, seed: 1, batch: 16 });
    const e16 = await measurePrecisionError({ spec, params, precision: 'fp16', backend, seed: 1, batch: 16 });
    const again = await measurePrecisionError({ spec, params, precision: 'int8', backend, seed: 1, batch: 16 });
    expect(Object.keys(e8.encoder).sort()).toEqual(['logvar', 'mu']);
    expect(Object.keys(e8.decoder).sort()).toEqual(['x_logits', 'x_mean']);
    expect(again).toEqual(e8);
    for (const k of ['mu', 'logvar'] as const) {
      expect(e8.encoder[k]!).toBeGreaterThan(e16.encoder[k]!);
      expect(e16.encoder[k]!).toBeGreaterThan(0);
    }
    const fp32 = await measurePrecisionError({ spec, params, precision: 'fp32', backend, seed: 1, batch: 16 });
    expect(Object.values({ ...fp32.encoder, ...fp32.decoder })).toEqual([0, 0, 0, 0]);
  });
});
