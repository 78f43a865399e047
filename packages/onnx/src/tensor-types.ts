import type { Tensor } from '@vae/core';

/** Element types a graph tensor may have, with their ONNX `TensorProto.DataType` code and byte width. */
export const TENSOR_DTYPES = Object.freeze({
  float32: { onnx: 1, bytes: 4 },
  uint8: { onnx: 2, bytes: 1 },
  int8: { onnx: 3, bytes: 1 },
  int32: { onnx: 6, bytes: 4 },
  int64: { onnx: 7, bytes: 8 },
  bool: { onnx: 9, bytes: 1 },
  float16: { onnx: 10, bytes: 2 },
  float64: { onnx: 11, bytes: 8 },
});
/** An element type name. */
export type TensorDType = keyof typeof TENSOR_DTYPES;

/** Typed-array storage per element type (`float16` is stored as its raw IEEE-754 half bits). */
export interface TensorStorage {
  float32: Float32Array;
  uint8: Uint8Array;
  int8: Int8Array;
  int32: Int32Array;
  int64: BigInt64Array;
  bool: Uint8Array;
  float16: Uint16Array;
  float64: Float64Array;
}

/** A tensor of any element type, for initializers and tensor attributes. */
export type GraphTensor = {
  [K in TensorDType]: { readonly dtype: K; readonly dims: readonly number[]; readonly data: TensorStorage[K] };
}[TensorDType];

/** A graph dimension: a fixed size, or a symbolic name such as `'batch'` (dynamic). */
export type Dim = number | string;

/** A float32 {@link GraphTensor} from a core {@link Tensor}. */
export function fromCoreTensor(t: Tensor): GraphTensor {
  return { dtype: 'float32', dims: [...t.shape], data: t.data };
}

/** An int64 {@link GraphTensor} from integers. */
export function int64Tensor(
  values: readonly (number | bigint)[],
  dims: readonly number[] = [values.length],
): GraphTensor {
  return { dtype: 'int64', dims, data: BigInt64Array.from(values, (v) => BigInt(v)) };
}

/** A float32 {@link GraphTensor} from numbers (`dims` defaults to a vector; `[]` gives a scalar). */
export function float32Tensor(
  values: readonly number[] | Float32Array,
  dims: readonly number[] = [values.length],
): GraphTensor {
  return { dtype: 'float32', dims, data: Float32Array.from(values) };
}
