import { describe, expect, it } from 'vitest';
import { initParameters, modelKindInfo, Rng, type ModelSpec, type Tensor } from '@vae/core';
import { decoderSignature, encoderSignature } from '@vae/core';
import { buildDecoderGraph, buildEncoderGraph, onnx } from '../src/index.js';
import { maxAbsDiff, runOrt } from './ort-helpers.js';
import { referenceDecode, referenceEncode } from './reference-forward.js';
import { oddConvSpecs, seededInputs, smallSpecs } from './specs.js';

const BATCH = 64;

function rows(t: Tensor | null, i: number): Float64Array | null {
  if (!t) return null;
  const w = t.shape[1]!;
  return Float64Array.from(t.data.subarray(i * w, (i + 1) * w));
}

async function checkAgainstReference(spec: ModelSpec, seed: number): Promise<{ enc: number; dec: number }> {
  const params = initParameters(spec, new Rng(seed));
  const { x, y, z } = seededInputs(spec, BATCH, seed + 1);
  const encOut = await runOrt(buildEncoderGraph(spec, params), { x, ...(y ? { y } : {}) });
  const decOut = await runOrt(buildDecoderGraph(spec, params), { z, ...(y ? { y } : {}) });
  const encNames = encoderSignature(spec).outputs.map((o) => o.name);
  const decNames = decoderSignature(spec).outputs.map((o) => o.name);
  expect(Object.keys(encOut).sort()).toEqual([...encNames].sort());
  expect(Object.keys(decOut).sort()).toEqual([...decNames].sort());
  let enc = 0;
  let dec = 0;
  for (let i = 0; i < BATCH; i++) {
    const re = referenceEncode(spec, params, rows(x, i)!, rows(y, i));
    for (const n of encNames) enc = Math.max(enc, maxAbsDiff(rows(encOut[n]!, i)!, re[n]!));
    const rd = referenceDecode(spec, params, rows(z, i)!, rows(y, i));
    for (const n of decNames) dec = Math.max(dec, maxAbsDiff(rows(decOut[n]!, i)!, rd[n]!));
  }
  for (const n of encNames) expect(encOut[n]!.shape).toEqual([BATCH, spec.latentDim]);
  for (const n of decNames)
    expect(decOut[n]!.shape).toEqual([BATCH, spec.imageShape[0] * spec.imageShape[1] * spec.imageShape[2]]);
  return { enc, dec };
}

describe('inference graphs vs an independent float64 forward pass (onnxruntime-node CPU, 64 seeded inputs)', () => {
  for (const { label, spec } of [...smallSpecs(), ...oddConvSpecs()]) {
    it(`${label}: max abs error ≤ 1e-5`, async () => {
      const { enc, dec } = await checkAgainstReference(spec, 7);
      expect(enc).toBeLessThanOrEqual(1e-5);
      expect(dec).toBeLessThanOrEqual(1e-5);
    });
  }
});

describe('graph structure', () => {
  const decode = (bytes: Uint8Array) => onnx.ModelProto.decode(bytes);
  const { spec } = smallSpecs().find((s) => s.label === 'cvae/conv')!;
  const params = initParameters(spec, new Rng(3));

  it('writes IR 8, opset 17, a dynamic batch and no random ops', () => {
    for (const bytes of [buildEncoderGraph(spec, params), buildDecoderGraph(spec, params)]) {
      const m = decode(bytes);
      expect(Number(m.irVersion)).toBe(8);
      expect(m.opsetImport.map((o) => [o.domain, Number(o.version)])).toEqual([['', 17]]);
      const ops = new Set(m.graph!.node!.map((n) => n.opType));
      for (const op of [
        'RandomNormal',
        'RandomNormalLike',
        'RandomUniform',
        'RandomUniformLike',
        'Multinomial',
        'Bernoulli',
      ])
        expect(ops.has(op)).toBe(false);
      for (const io of [...m.graph!.input!, ...m.graph!.output!])
        expect(io.type!.tensorType!.shape!.dim![0]!.dimParam).toBe('batch');
      for (const init of m.graph!.initializer!) {
        expect(init.rawData!.length).toBeGreaterThan(0);
        expect(init.floatData ?? []).toHaveLength(0);
      }
    }
  });

  it('clips logvar in-graph to [-30, 20]', async () => {
    const m = decode(buildEncoderGraph(spec, params));
    const clip = m.graph!.node!.find((n) => n.opType === 'Clip')!;
    const named = m.graph!.node!.find((n) => n.output![0] === 'logvar')!;
    expect(named.input).toEqual(clip.output);
    const bounds = clip.input!.slice(1).map((name) => {
      const init = m.graph!.initializer!.find((t) => t.name === name)!;
      return new Float32Array(Uint8Array.from(init.rawData!).buffer)[0];
    });
    expect(bounds).toEqual([-30, 20]);
    // Huge logvar-head bias drives the output past the clamp: the graph returns the bound.
    const big = {
      ...params,
      'encoder.logvar.bias': { data: new Float32Array(spec.latentDim).fill(1e4), shape: [spec.latentDim] },
    };
    const { x, y } = seededInputs(spec, 2, 1);
    const out = await runOrt(buildEncoderGraph(spec, big), { x, y: y! });
    expect([...out.logvar!.data]).toEqual(new Array(2 * spec.latentDim).fill(20));
  });

  it('names inputs and outputs as the manifest says', () => {
    for (const { spec: s } of smallSpecs()) {
      const enc = decode(buildEncoderGraph(s, initParameters(s, new Rng(1))));
      expect(enc.graph!.input!.map((i) => i.name)).toEqual(encoderSignature(s).inputs.map((i) => i.name));
      expect(enc.graph!.output!.map((i) => i.name)).toEqual(
        modelKindInfo(s.kind).variational ? ['mu', 'logvar'] : ['z'],
      );
      const dec = decode(buildDecoderGraph(s, initParameters(s, new Rng(1))));
      expect(dec.graph!.input!.map((i) => i.name)).toEqual(s.numClasses ? ['z', 'y'] : ['z']);
      expect(dec.graph!.output!.map((i) => i.name)).toEqual(['x_logits', 'x_mean']);
    }
  });

  it('runs with batch sizes 1 and 0', async () => {
    const enc = buildEncoderGraph(spec, params);
    for (const n of [1, 0]) {
      const { x, y } = seededInputs(spec, n, 2);
      const out = await runOrt(enc, { x, y: y! });
      expect(out.mu!.shape).toEqual([n, spec.latentDim]);
    }
  });
});

describe('errors', () => {
  const { spec } = smallSpecs().find((s) => s.label === 'vae/mlp')!;
  const params = initParameters(spec, new Rng(3));

  it('names an unsupported layer type', () => {
    const bad = { ...spec, decoder: [{ type: 'dropout', rate: 0.5 }, ...spec.decoder] } as unknown as ModelSpec;
    expect(() => buildDecoderGraph(bad, params)).toThrow(/decoder\[0\].*dropout/);
  });

  it('names an unsupported activation and its layer', () => {
    const bad = {
      ...spec,
      encoder: [{ ...spec.encoder[0]!, activation: 'elu' }, ...spec.encoder.slice(1)],
    } as unknown as ModelSpec;
    expect(() => buildEncoderGraph(bad, params)).toThrow(/encoder\[0\]\.activation.*elu/);
  });

  it('names a missing parameter and an unknown precision', () => {
    const { 'decoder.1.kernel': _drop, ...partial } = params;
    expect(() => buildDecoderGraph(spec, partial)).toThrow(/decoder\.1\.kernel/);
    expect(() => buildEncoderGraph(spec, params, { precision: 'int4' as never })).toThrow(
      /precision: expected one of fp32\|fp16\|int8, got "int4"/,
    );
  });
});
