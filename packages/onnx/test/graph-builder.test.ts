import { describe, expect, it } from 'vitest';
import { GraphBuilder, attr, onnx } from '../src/index.js';
import { permute } from '../src/permute-impl.js';
import { runOrt } from './ort-helpers.js';

describe('GraphBuilder', () => {
  it('builds a runnable graph with int64 initializers, typed attributes and a dynamic batch', async () => {
    const g = new GraphBuilder('demo');
    const x = g.input('x', ['batch', 6]);
    const shape = g.constInt64('shape', [0, 2, 3]);
    const r = g.op('Reshape', [x, shape]);
    const t = g.op('Transpose', [r], { perm: [0, 2, 1] });
    const a = g.op('LeakyRelu', [t], { alpha: attr.float(0.5) });
    const [y] = g.node('Flatten', [a], ['y'], { axis: 1 });
    g.output(y!, ['batch', 6]);
    const bytes = g.toBytes();
    const m = onnx.ModelProto.decode(bytes);
    expect(m.graph!.node!.map((n) => n.opType)).toEqual(['Reshape', 'Transpose', 'LeakyRelu', 'Flatten']);
    expect(m.graph!.node![1]!.attribute![0]!.ints!.map(Number)).toEqual([0, 2, 1]);
    expect(m.graph!.node![2]!.attribute![0]!.f).toBeCloseTo(0.5);
    expect(g.stats()).toMatchObject({ nodes: 4, initializers: 1, initializerBytes: 24 });
    const out = await runOrt(bytes, {
      x: { data: Float32Array.from([1, -2, 3, 4, -5, 6, 7, 8, 9, 10, 11, -12]), shape: [2, 6] },
    });
    expect([...out.y!.data]).toEqual([1, 4, -1, -2.5, 3, 6, 7, 10, 8, 11, 9, -6]);
    expect(out.y!.shape).toEqual([2, 6]);
  });

  it('gives unique names and rejects duplicates, unknown inputs and non-integer ints', () => {
    const g = new GraphBuilder('names');
    g.input('x', ['batch', 2]);
    expect(g.uniqueName('x')).toBe('x_1');
    expect(g.op('Relu', ['x'])).not.toBe(g.op('Relu', ['x']));
    expect(() => g.input('x', [1])).toThrow(/input: the name "x" is already used in graph names/);
    expect(() => g.op('Relu', ['nope'])).toThrow(/Relu node .*: input 0 names no existing value, got "nope"/);
    expect(() => g.op('LeakyRelu', ['x'], { alpha: 0.5 })).toThrow(
      /LeakyRelu\.alpha: expected an integer \(use attr\.float for floats\), got 0\.5/,
    );
    expect(() => g.output('missing', ['batch'])).toThrow(/output: no value named "missing"/);
    expect(() => new GraphBuilder('empty').toBytes()).toThrow(/expected at least one output/);
  });

  it('writes weights as rawData with their dtype and dims', () => {
    const g = new GraphBuilder('w');
    g.input('x', ['batch', 2]);
    g.initializer('h', { dtype: 'float16', dims: [2], data: Uint16Array.from([0x3c00, 0xc000]) });
    g.initializer('q', { dtype: 'int8', dims: [3], data: Int8Array.from([-127, 0, 127]) });
    g.output(g.op('Identity', ['x']), ['batch', 2]);
    const inits = onnx.ModelProto.decode(g.toBytes()).graph!.initializer!;
    expect(inits.map((t) => [t.name, t.dataType, t.dims!.map(Number), [...t.rawData!]])).toEqual([
      ['h', 10, [2], [0x00, 0x3c, 0x00, 0xc0]],
      ['q', 3, [3], [0x81, 0x00, 0x7f]],
    ]);
    expect(() => g.initializer('bad', { dtype: 'float32', dims: [3], data: new Float32Array(2) })).toThrow(
      /initializer bad: expected 3 values for dims \[3\], got 2/,
    );
  });
});

describe('permute', () => {
  it('maps a TF conv kernel [kh, kw, inC, outC] to ONNX [outC, inC, kh, kw]', () => {
    const dims = [2, 3, 4, 5];
    const data = Float32Array.from({ length: 120 }, (_, i) => i);
    const { data: out, dims: outDims } = permute(data, dims, [3, 2, 0, 1]);
    expect(outDims).toEqual([5, 4, 2, 3]);
    for (let o = 0; o < 5; o++)
      for (let c = 0; c < 4; c++)
        for (let i = 0; i < 2; i++)
          for (let j = 0; j < 3; j++)
            expect(out[((o * 4 + c) * 2 + i) * 3 + j]).toBe(data[((i * 3 + j) * 4 + c) * 5 + o]);
  });
});
