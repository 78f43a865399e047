import { describe, expect, it } from 'vitest';
import {
  GoldenFileError,
  decodeGoldenInput,
  decodeGoldenValues,
  encodeGoldenFloats,
  encodeGoldenPixels,
  parseGoldenFile,
  type GoldenFile,
} from '../src/index.js';

const tol = { abs: 3e-5, rel: 1e-5 };
function golden(): GoldenFile {
  return {
    schema: 'vae-everywhere/golden',
    schemaVersion: 1,
    reference: { backend: 'b', device: 'cpu' },
    tolerances: { exact: { z: tol }, reassociated: { z: tol } },
    toleranceSource: 'test',
    cases: {
      decoder: {
        inputs: { x: encodeGoldenPixels(Uint8Array.of(0, 51, 255), [1, 3], 1 / 255) },
        outputs: { z: encodeGoldenFloats({ data: Float32Array.of(1, 2, 3, 4, 5), shape: [1, 5] }, 2) },
      },
    },
  };
}

describe('golden files', () => {
  it('round-trip pixels as byte·scale in float32 and strided outputs as every k-th value', () => {
    const g = golden();
    expect(Array.from(decodeGoldenInput(g.cases.decoder!.inputs.x!, 'x').data)).toEqual([0, Math.fround(0.2), 1]);
    expect(Array.from(decodeGoldenValues(g.cases.decoder!.outputs.z!, 'z'))).toEqual([1, 3, 5]);
    expect(parseGoldenFile(JSON.parse(JSON.stringify(g)))).toEqual(g);
  });

  it('name the offending field, the expected and the actual value', () => {
    const noTol = { ...golden(), tolerances: { exact: {}, reassociated: { z: tol } } };
    expect(() => parseGoldenFile(noTol)).toThrow(
      new GoldenFileError('golden.tolerances.exact.z', '{ abs ≥ 0, rel ≥ 0 }', undefined),
    );
    expect(() => parseGoldenFile({ ...golden(), schemaVersion: 2 })).toThrow(
      /^golden\.schemaVersion: expected 1, got 2$/,
    );
    const short = golden();
    const z = { ...short.cases.decoder!.outputs.z!, base64: btoa('abc') };
    expect(() => decodeGoldenValues(z, 'golden.cases.decoder.outputs.z')).toThrow(
      /^golden\.cases\.decoder\.outputs\.z\.base64: expected 12 bytes for shape \[1, 5\], got 3$/,
    );
  });
});
