import { describe, expect, it } from 'vitest';
import { HttpError, outputTensor, parseInferRequest, type V2ModelMetadata } from '../src/index.js';

const encoder: V2ModelMetadata = {
  name: 'm-encoder',
  versions: ['1'],
  platform: 'onnxruntime_onnx',
  inputs: [
    { name: 'x', datatype: 'FP32', shape: [-1, 3] },
    { name: 'y', datatype: 'FP32', shape: [-1, 2] },
  ],
  outputs: [
    { name: 'mu', datatype: 'FP32', shape: [-1, 2] },
    { name: 'logvar', datatype: 'FP32', shape: [-1, 2] },
  ],
};

function error(body: unknown): HttpError {
  try {
    parseInferRequest(body, encoder, 8);
  } catch (e) {
    return e as HttpError;
  }
  throw new Error('expected parseInferRequest to throw');
}

describe('parseInferRequest', () => {
  it('accepts flat and nested data, converts to float32 and keeps the id and requested outputs', () => {
    const r = parseInferRequest(
      {
        id: 'abc',
        inputs: [
          { name: 'x', shape: [2, 3], datatype: 'FP32', data: [0.5, 1, 2, 3, 4, 5] },
          {
            name: 'y',
            shape: [2, 2],
            datatype: 'FP64',
            data: [
              [1, 0],
              [0, 1],
            ],
          },
        ],
        outputs: [{ name: 'logvar' }],
      },
      encoder,
      8,
    );
    expect(r.id).toBe('abc');
    expect(r.rows).toBe(2);
    expect(r.outputs).toEqual(['logvar']);
    expect(r.inputs.x).toEqual({ data: Float32Array.from([0.5, 1, 2, 3, 4, 5]), shape: [2, 3] });
    expect(r.inputs.y!.data).toEqual(Float32Array.from([1, 0, 0, 1]));
    const all = parseInferRequest(
      {
        inputs: [
          { name: 'y', shape: [1, 2], datatype: 'FP32', data: [1, 0] },
          { name: 'x', shape: [1, 3], datatype: 'FP32', data: [1, 2, 3] },
        ],
      },
      encoder,
      8,
    );
    expect(all.outputs).toEqual(['mu', 'logvar']);
    expect(all.id).toBeUndefined();
  });

  it.each([
    [null, /body: expected a JSON object/],
    [{ inputs: {} }, /inputs: expected a non-empty array of tensors, got an object/],
    [
      { inputs: [{ name: 'x', shape: [1, 3], datatype: 'FP32', data: [1, 2, 3] }] },
      /inputs: expected tensors named x, y, got no y/,
    ],
    [
      {
        inputs: [
          { name: 'x', shape: [1, 3], datatype: 'FP32', data: [1, 2, 3] },
          { name: 'x', shape: [1, 3], datatype: 'FP32', data: [1, 2, 3] },
        ],
      },
      /inputs\[1\]\.name: expected each input once, got "x" twice/,
    ],
    [
      {
        inputs: [
          { name: 'x', shape: [1, 3], datatype: 'FP32', data: [1, 2, 3] },
          { name: 'y', shape: [2, 2], datatype: 'FP32', data: [1, 0, 0, 1] },
        ],
      },
      /inputs\[1\]\.shape\[0\]: expected the batch size of the other inputs \(1\), got 2/,
    ],
    [
      { inputs: [{ name: 'x', shape: [9, 3], datatype: 'FP32', data: new Array(27).fill(0) }] },
      /inputs\[0\]\.shape\[0\]: expected a batch size in \[1, 8\], got 9/,
    ],
    [
      { inputs: [{ name: 'x', shape: [1, 3], datatype: 'FP32', data: [1, 2] }] },
      /inputs\[0\]\.data: expected 3 values for shape \[1, 3\], got 2/,
    ],
    [
      { inputs: [{ name: 'x', shape: [1, 3], datatype: 'FP32', data: [[1, 2, 3, 4]] }] },
      /inputs\[0\]\.data\[0\]: expected an array of length 3/,
    ],
    [
      { inputs: [{ name: 'x', shape: [1, 3], datatype: 'FP32', data: [1, true, 3] }] },
      /inputs\[0\]\.data\[1\]: expected a finite number, got true/,
    ],
    [
      { inputs: [{ name: 'x', shape: [1.5, 3], datatype: 'FP32', data: [1, 2, 3] }] },
      /inputs\[0\]\.shape: expected an array of non-negative integers, got \[1\.5,3\]/,
    ],
    [
      { inputs: [{ name: 'x', shape: [1, 3], datatype: 'BYTES', data: [1, 2, 3] }] },
      /inputs\[0\]\.datatype: expected FP32\|FP64, got "BYTES"/,
    ],
    [
      { inputs: [{ name: 'x', shape: [1, 3], datatype: 'FP32', parameters: { binary_data_size: 12 } }] },
      /inputs\[0\]\.parameters\.binary_data_size: expected 12 bytes of binary data after the JSON header, got 0/,
    ],
    [
      {
        inputs: [
          { name: 'x', shape: [1, 3], datatype: 'FP32', data: [1, 2, 3] },
          { name: 'y', shape: [1, 2], datatype: 'FP32', data: [1, 0] },
        ],
        outputs: 'mu',
      },
      /outputs: expected an array of \{name\}/,
    ],
  ])('rejects %j with 400', (body, reason) => {
    const e = error(body);
    expect(e).toBeInstanceOf(HttpError);
    expect(e.statusCode).toBe(400);
    expect(e.message).toMatch(reason);
  });

  it('formats outputs as FP32 with shape and plain number data', () => {
    expect(outputTensor('mu', { data: Float32Array.from([0.5, -1]), shape: [1, 2] })).toEqual({
      name: 'mu',
      datatype: 'FP32',
      shape: [1, 2],
      data: [0.5, -1],
    });
  });
});
