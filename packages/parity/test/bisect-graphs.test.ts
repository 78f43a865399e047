import { describe, expect, it } from 'vitest';
import { Rng } from '@vae/core';
import { GraphBuilder, attr } from '@vae/onnx';
import { onnxruntimeNodeBackend } from '@vae/runtime-node';
import { analyzeGraph, exposeIntermediates, parseDims, reproGraph } from '../src/index.js';

/** x [batch, 6] → Relu → h; Shape(x) → Concat with [-1, 2, 3]… → Reshape(h) → Sigmoid; Cast(h) int64. */
function graph(): Uint8Array {
  const g = new GraphBuilder('shapes');
  const x = g.input('x', ['batch', 6]);
  const h = g.op('Relu', [x], {}, 'h');
  const batch = g.op('Slice', [g.op('Shape', [x]), g.constInt64('s0', [0]), g.constInt64('s1', [1])]);
  const shape = g.op('Concat', [batch, g.constInt64('rest', [2, 3])], { axis: 0 }, 'shape');
  const r = g.op('Reshape', [h, shape], {}, 'r');
  g.output(g.op('Sigmoid', [r], {}, 'y'), ['batch', 2, 3]);
  g.op('Cast', [h], { to: attr.int(7) }, 'hi');
  return g.toBytes();
}

describe('bisect graph rewriting', () => {
  it('infers element types, exposes only float32 intermediates, and cuts a repro that computes its shape input', async () => {
    const a = analyzeGraph(graph(), 'shapes');
    expect(a.types.get('shape')).toBe(7);
    expect(a.types.get('hi')).toBe(7);
    expect(a.types.get('r')).toBe(1);
    const exposed = exposeIntermediates(a);
    expect(exposed.outputs).toEqual(['y', 'h', 'r']);
    const x = { data: new Rng(2).normals(12), shape: [2, 6] };
    const session = await onnxruntimeNodeBackend.createSession(exposed.bytes, { device: 'cpu' });
    const out = await session.run({ x });
    await session.release();
    expect(out.r!.shape).toEqual([2, 2, 3]);
    // The Reshape's shape input is int64 (not captured): Concat, Slice and Shape come along, fed by x.
    const reshape = a.nodes.find((n) => n.op === 'Reshape')!;
    const repro = reproGraph(a, reshape, { x, h: out.h! });
    const cut = analyzeGraph(repro.bytes, 'repro');
    expect(cut.nodes.map((n) => n.op)).toEqual(['Shape', 'Slice', 'Concat', 'Reshape']);
    expect([...repro.inputs].sort()).toEqual(['h', 'x']);
    expect(repro.outputs).toEqual(['r']);
    const again = await onnxruntimeNodeBackend.createSession(repro.bytes, { device: 'cpu' });
    expect(Array.from((await again.run({ x, h: out.h! })).r!.data)).toEqual(Array.from(out.r!.data));
    await again.release();
  });

  it('parses --dim NAME=N and names the option on a bad value', () => {
    expect(parseDims(['batch=8', 'k=2,n=3'])).toEqual({ batch: 8, k: 2, n: 3 });
    expect(() => parseDims(['batch=0'])).toThrow(/--dim: expected NAME=N with N ≥ 1 \(e\.g\. batch=8\), got "batch=0"/);
    expect(() => parseDims(['batch'])).toThrow(/got "batch"/);
  });
});
