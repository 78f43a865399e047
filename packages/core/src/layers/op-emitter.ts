import { LEAKY_RELU_SLOPE, type Activation } from '../model-spec.js';

/** A static dimension, or a named dynamic one (`'batch'`; training graphs also name repeated batches). */
export type EmitDim = number | string;

/** A tensor of the graph being emitted: its name and full static shape (batch first). */
export interface EmitTensor {
  readonly name: string;
  readonly shape: readonly EmitDim[];
}

/** A FLOAT attribute (plain numbers are INT attributes). */
export interface EmitFloat {
  readonly kind: 'float';
  readonly value: number;
}

/** ONNX node attributes: integers, integer lists, strings, and floats as {@link EmitFloat}. */
export type EmitAttributes = Readonly<Record<string, number | readonly number[] | string | EmitFloat>>;

/**
 * The small ONNX-op interface layer emissions are written against. Implemented by the inference
 * `GraphBuilder` adapter (exported graphs) and by the training `Tape` adapter (training graphs,
 * which differentiate what is recorded), both in `@vae/onnx`.
 */
export interface OpEmitter {
  /** True in training graphs: layers with batch statistics use them and update their buffers. */
  readonly training: boolean;
  /** Records one default-domain ONNX node with one output of static `shape`. */
  op(type: string, inputs: readonly EmitTensor[], attrs: EmitAttributes, shape: readonly EmitDim[]): EmitTensor;
  /** An int64 vector constant (shapes, axes). */
  ints(values: readonly number[]): EmitTensor;
  /** A float scalar constant of the graph's float type. */
  scalar(value: number): EmitTensor;
  /** The batch size of batch-first `x` as a float scalar (no gradient flows through it). */
  batchSize(x: EmitTensor): EmitTensor;
}

/** Options of {@link LayerEmitter.state}. */
export interface StateOptions {
  /** Permutation from the TensorFlow layout the state is kept in to the layout the op wants. */
  readonly perm?: readonly number[];
  /** Output-channel axis after `perm` (int8 export quantizes per index of it); omit for vectors. */
  readonly channelAxis?: number;
}

/** An {@link OpEmitter} scoped to one layer: it can read and update that layer's state. */
export interface LayerEmitter extends OpEmitter {
  /** The state tensor `<prefix>.<suffix>`; throws naming it when missing. */
  state(suffix: string, options?: StateOptions): EmitTensor;
  /** Training only: the value buffer `<prefix>.<suffix>` takes after this step. */
  updateBuffer(suffix: string, value: EmitTensor): void;
}

/**
 * A value between layers: `shape` is the logical per-example shape (HWC for spatial values);
 * `layout` says how the tensor stores it: `row-major` is `[batch, ...shape]`, `nchw` is
 * `[batch, C, H, W]` for a logical `[H, W, C]`.
 */
export interface LayerValue {
  readonly t: EmitTensor;
  readonly shape: readonly number[];
  readonly layout: 'row-major' | 'nchw';
}

/** `v` in row-major (HWC) layout, transposing NCHW → NHWC when needed. */
export function toRowMajor(e: OpEmitter, v: LayerValue): LayerValue {
  if (v.layout === 'row-major') return v;
  return {
    t: e.op('Transpose', [v.t], { perm: [0, 2, 3, 1] }, ['batch', ...v.shape]),
    shape: v.shape,
    layout: 'row-major',
  };
}

/** `v` (logical HWC) in NCHW layout, transposing NHWC → NCHW when needed. */
export function toNchw(e: OpEmitter, v: LayerValue, path: string): LayerValue {
  if (v.layout === 'nchw') return v;
  if (v.shape.length !== 3)
    throw new RangeError(`${path}: expected an HWC input of rank 3 (add a reshape layer), got [${v.shape.join(', ')}]`);
  const [h, w, c] = v.shape as [number, number, number];
  return { t: e.op('Transpose', [v.t], { perm: [0, 3, 1, 2] }, ['batch', c, h, w]), shape: v.shape, layout: 'nchw' };
}

/** `v` as a flat `[batch, n]` row-major tensor (HWC order kept). */
export function toFlat(e: OpEmitter, v: LayerValue): LayerValue {
  const rm = toRowMajor(e, v);
  if (rm.shape.length === 1) return rm;
  const n = rm.shape.reduce((a, b) => a * b, 1);
  return { t: e.op('Reshape', [rm.t, e.ints([0, n])], {}, ['batch', n]), shape: [n], layout: 'row-major' };
}

/** `[batch, …a] ‖ [batch, n]` along the feature axis of two flat values. */
export function concatFeatures(e: OpEmitter, a: LayerValue, b: EmitTensor): LayerValue {
  const flat = toFlat(e, a);
  const n = flat.shape[0]! + (b.shape[1] as number);
  return { t: e.op('Concat', [flat.t, b], { axis: 1 }, ['batch', n]), shape: [n], layout: 'row-major' };
}

/** The ONNX op (and its attributes) of each activation (`linear` emits nothing). */
export const ACTIVATION_OPS: Readonly<
  Record<Activation, { readonly op: string; readonly attrs: EmitAttributes } | null>
> = Object.freeze({
  linear: null,
  relu: { op: 'Relu', attrs: {} },
  'leaky-relu': { op: 'LeakyRelu', attrs: { alpha: { kind: 'float', value: LEAKY_RELU_SLOPE } } },
  tanh: { op: 'Tanh', attrs: {} },
  sigmoid: { op: 'Sigmoid', attrs: {} },
});

/** Emits activation `a` on `t` (same shape). */
export function emitActivation(e: OpEmitter, a: Activation, t: EmitTensor): EmitTensor {
  const act = ACTIVATION_OPS[a];
  return act ? e.op(act.op, [t], act.attrs, t.shape) : t;
}
