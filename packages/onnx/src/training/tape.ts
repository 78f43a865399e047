import type { AttributeValue, Attributes } from '../attributes.js';

/** Floating-point element types a training tape can be built in (float64 for gradient checks). */
export const TAPE_DTYPES = Object.freeze({
  float32: { onnx: 1, bytes: 4 },
  float64: { onnx: 11, bytes: 8 },
});
/** A tape element type. */
export type TapeDtype = keyof typeof TAPE_DTYPES;

/**
 * A static dimension, or a named dynamic one: `'batch'`, or `'batchx3'` for a batch with each row
 * repeated 3 times (importance samples; see {@link repeatedDim}).
 */
export type TapeDim = number | string;

/** The dimension `d` with each row repeated `times` times. */
export function repeatedDim(d: TapeDim, times: number): TapeDim {
  if (times === 1) return d;
  return typeof d === 'number' ? d * times : `${d}x${times}`;
}

/** The dimension of which `d` is the `times`-fold repetition (inverse of {@link repeatedDim}). */
export function unrepeatedDim(d: TapeDim, times: number): TapeDim {
  if (times === 1) return d;
  if (typeof d === 'number') return d / times;
  const suffix = `x${times}`;
  if (!d.endsWith(suffix)) throw new RangeError(`dimension ${d}: expected a ${times}-fold repetition (…${suffix})`);
  return d.slice(0, -suffix.length);
}

/** One value of a tape: a graph tensor name plus its static shape. */
export interface TapeValue {
  readonly name: string;
  readonly shape: readonly TapeDim[];
  /** `int64` for shape/axes helpers; every differentiable value has the tape's float type. */
  readonly dtype: TapeDtype | 'int64' | 'bool';
}

/** Arguments of a vector–Jacobian product rule. */
export interface VjpContext {
  readonly tape: Tape;
  readonly node: TapeNode;
  /** Gradient of the loss with respect to each output (null when an output does not reach the loss). */
  readonly dOutputs: readonly (TapeValue | null)[];
  /** Which inputs need a gradient. */
  readonly needs: readonly boolean[];
}

/** Emits the gradient of each input (null where not needed or not differentiable). */
export type VjpRule = (ctx: VjpContext) => (TapeValue | null)[];

/** One recorded ONNX node. */
export interface TapeNode {
  readonly op: string;
  readonly inputs: readonly TapeValue[];
  readonly outputs: readonly TapeValue[];
  readonly attrs: Attributes;
  /** A rule for this node only (fused composites); otherwise the registry rule for `op` applies. */
  readonly vjp?: VjpRule;
  /**
   * For fused composites: the values the gradient flows to instead of `inputs` (the composite's
   * inner nodes are then never differentiated). `vjp` returns one gradient per entry.
   */
  readonly gradInputs?: readonly TapeValue[];
  /** Values produced by the forward pass that the rule reuses (e.g. a sigmoid of a fused loss). */
  readonly saved?: readonly TapeValue[];
}

/** A constant the tape needs, emitted as an initializer. */
export interface TapeConstant {
  readonly name: string;
  readonly dtype: TapeDtype | 'int64';
  readonly dims: readonly number[];
  readonly values: readonly number[];
}

/** A graph input or output declaration. */
export interface TapeIo {
  readonly name: string;
  readonly dtype: TapeDtype;
  readonly shape: readonly TapeDim[];
}

/** Broadcasts two static shapes with numpy rules (`'batch'` only matches `'batch'` or 1). */
export function broadcastShapes(a: readonly TapeDim[], b: readonly TapeDim[], what: string): TapeDim[] {
  const n = Math.max(a.length, b.length);
  const out: TapeDim[] = [];
  for (let i = 0; i < n; i++) {
    const da = a[a.length - n + i] ?? 1;
    const db = b[b.length - n + i] ?? 1;
    if (da === db || db === 1) out.push(da);
    else if (da === 1) out.push(db);
    else throw new RangeError(`${what}: expected broadcastable shapes, got [${a.join(', ')}] and [${b.join(', ')}]`);
  }
  return out;
}

/**
 * A recording of ONNX nodes with static shapes, from which reverse-mode gradients can be emitted
 * (see `gradients` in `tape-grad.ts`). Every helper records exactly one ONNX node of the default
 * domain (opset 17) unless its documentation says otherwise.
 */
export class Tape {
  readonly dtype: TapeDtype;
  readonly nodes: TapeNode[] = [];
  readonly inputs: TapeIo[] = [];
  readonly outputs: TapeIo[] = [];
  readonly constants: TapeConstant[] = [];
  private readonly constantCache = new Map<string, TapeValue>();
  private readonly batchSizes = new Map<string, TapeValue>();
  private readonly dimSizes = new Map<string, { int: TapeValue; float: TapeValue }>();
  private readonly names = new Set<string>();
  private counter = 0;

  constructor(dtype: TapeDtype) {
    if (!(dtype in TAPE_DTYPES)) throw new RangeError(`dtype: expected float32|float64, got ${String(dtype)}`);
    this.dtype = dtype;
  }

  /** A fresh, unused tensor name with `hint` as prefix. */
  fresh(hint: string): string {
    let name: string;
    do name = `${hint}_${this.counter++}`;
    while (this.names.has(name));
    this.names.add(name);
    return name;
  }

  private claim(name: string): void {
    if (this.names.has(name))
      throw new RangeError(`name: expected a tensor name not yet used in the graph, got ${JSON.stringify(name)}`);
    this.names.add(name);
  }

  /** Declares a graph input of the tape's float type. */
  input(name: string, shape: readonly TapeDim[]): TapeValue {
    this.claim(name);
    this.inputs.push({ name, dtype: this.dtype, shape });
    return { name, shape, dtype: this.dtype };
  }

  /** Declares `v` as a graph output named `name` (an Identity node renames it when needed). */
  output(v: TapeValue, name: string): TapeValue {
    let out = v;
    if (v.name !== name) out = this.op('Identity', [v], {}, v.shape, name);
    this.outputs.push({ name, dtype: this.dtype, shape: v.shape });
    return out;
  }

  /** A float scalar constant (shape `[]`) of the tape's type, shared between uses. */
  scalar(value: number): TapeValue {
    return this.constant([value], [], this.dtype);
  }

  /** An int64 vector constant, e.g. axes or a shape. */
  ints(values: readonly number[]): TapeValue {
    return this.constant(values, [values.length], 'int64');
  }

  /** A float constant of shape `dims` with every element `value`, of the tape's type. */
  filled(value: number, dims: readonly number[]): TapeValue {
    return this.constant(new Array<number>(dims.reduce((a, b) => a * b, 1)).fill(value), dims, this.dtype);
  }

  private constant(values: readonly number[], dims: readonly number[], dtype: TapeDtype | 'int64'): TapeValue {
    const key = `${dtype}:${dims.join('x')}:${values.join(',')}`;
    const hit = this.constantCache.get(key);
    if (hit) return hit;
    const name = this.fresh(dtype === 'int64' ? 'const_i64' : 'const');
    this.constants.push({ name, dtype, dims, values });
    const v: TapeValue = { name, shape: dims, dtype };
    this.constantCache.set(key, v);
    return v;
  }

  /**
   * Records one node with a single output of static `shape`.
   * @param name output tensor name (fresh when omitted).
   */
  op(
    op: string,
    inputs: readonly TapeValue[],
    attrs: Attributes,
    shape: readonly TapeDim[],
    name?: string,
    extra: Partial<Pick<TapeNode, 'vjp' | 'saved' | 'gradInputs'>> = {},
    dtype: TapeValue['dtype'] = this.dtype,
  ): TapeValue {
    const outName = name ?? this.fresh(op.toLowerCase());
    if (name !== undefined) this.claim(name);
    const out: TapeValue = { name: outName, shape, dtype };
    this.nodes.push({ op, inputs, outputs: [out], attrs, ...extra });
    return out;
  }

  /** `op(A)·op(B) (+ C)` for 2-D operands (ONNX Gemm). */
  gemm(
    a: TapeValue,
    b: TapeValue,
    c: TapeValue | null,
    o: { transA?: boolean; transB?: boolean; name?: string } = {},
  ): TapeValue {
    if (a.shape.length !== 2 || b.shape.length !== 2)
      throw new RangeError(`gemm: expected 2-D operands, got [${a.shape.join(', ')}] and [${b.shape.join(', ')}]`);
    const [m, ka] = o.transA ? [a.shape[1]!, a.shape[0]!] : [a.shape[0]!, a.shape[1]!];
    const [kb, n] = o.transB ? [b.shape[1]!, b.shape[0]!] : [b.shape[0]!, b.shape[1]!];
    if (ka !== kb) throw new RangeError(`gemm: expected matching inner dimensions, got ${ka} and ${kb}`);
    const attrs: Record<string, AttributeValue> = {};
    if (o.transA) attrs.transA = 1;
    if (o.transB) attrs.transB = 1;
    return this.op('Gemm', c ? [a, b, c] : [a, b], attrs, [m, n], o.name);
  }

  /** Element-wise binary op with numpy broadcasting (`Add`, `Sub`, `Mul`, `Div`). */
  binary(op: 'Add' | 'Sub' | 'Mul' | 'Div', a: TapeValue, b: TapeValue, name?: string): TapeValue {
    return this.op(op, [a, b], {}, broadcastShapes(a.shape, b.shape, op), name);
  }

  add(a: TapeValue, b: TapeValue, name?: string): TapeValue {
    return this.binary('Add', a, b, name);
  }

  sub(a: TapeValue, b: TapeValue, name?: string): TapeValue {
    return this.binary('Sub', a, b, name);
  }

  /**
   * `a·b`; a factor that is the scalar constant 1 (rank 0, so the product has the other's shape) is
   * dropped: no node, the same values (e.g. the loss gradient 1 times β).
   */
  mul(a: TapeValue, b: TapeValue, name?: string): TapeValue {
    if (name === undefined && this.isOne(a)) return b;
    if (name === undefined && this.isOne(b)) return a;
    return this.binary('Mul', a, b, name);
  }

  private isOne(v: TapeValue): boolean {
    return this.constantCache.get(`${this.dtype}::1`)?.name === v.name;
  }

  div(a: TapeValue, b: TapeValue, name?: string): TapeValue {
    return this.binary('Div', a, b, name);
  }

  /** Element-wise unary op keeping the shape (`Relu`, `Sigmoid`, `Tanh`, `Exp`, `Log`, `Abs`, `Neg`, `Sign`, `Sqrt`). */
  unary(
    op: 'Relu' | 'Sigmoid' | 'Tanh' | 'Exp' | 'Log' | 'Abs' | 'Neg' | 'Sign' | 'Sqrt' | 'Identity',
    x: TapeValue,
    name?: string,
  ): TapeValue {
    return this.op(op, [x], {}, x.shape, name);
  }

  /**
   * `min(max(x, lo), hi)` with scalar bounds (ONNX Clip). Clipping a value already clipped to the
   * same bounds returns it (idempotent: no second Clip, nor its mask in the backward pass).
   */
  clip(x: TapeValue, lo: number, hi: number, name?: string): TapeValue {
    const bounds = [this.scalar(lo), this.scalar(hi)];
    const source = this.nodes.find((n) => n.outputs[0]!.name === x.name);
    if (
      name === undefined &&
      source?.op === 'Clip' &&
      source.inputs[1]!.name === bounds[0]!.name &&
      source.inputs[2]!.name === bounds[1]!.name
    )
      return x;
    return this.op('Clip', [x, ...bounds], {}, x.shape, name);
  }

  /** Sum over `axes` (ONNX ReduceSum, axes as an input). */
  reduceSum(x: TapeValue, axes: readonly number[], keepdims: boolean, name?: string): TapeValue {
    const rank = x.shape.length;
    const norm = axes.map((a) => (a < 0 ? a + rank : a));
    const shape = keepdims
      ? x.shape.map((d, i) => (norm.includes(i) ? 1 : d))
      : x.shape.filter((_, i) => !norm.includes(i));
    return this.op('ReduceSum', [x, this.ints(norm)], { keepdims: keepdims ? 1 : 0 }, shape, name);
  }

  /** Concatenation along `axis`. */
  concat(parts: readonly TapeValue[], axis: number, name?: string): TapeValue {
    const first = parts[0]!;
    const shape = first.shape.map((d, i) => {
      if (i !== axis) return d;
      return parts.reduce((s, p) => {
        const pd = p.shape[i]!;
        if (typeof pd !== 'number' || typeof s !== 'number')
          throw new RangeError('concat: expected static sizes along the axis');
        return s + pd;
      }, 0 as number);
    });
    return this.op('Concat', parts, { axis }, shape, name);
  }

  /** Columns `[start, end)` of a 2-D value (ONNX Slice on axis 1). */
  sliceColumns(x: TapeValue, start: number, end: number, name?: string): TapeValue {
    return this.op(
      'Slice',
      [x, this.ints([start]), this.ints([end]), this.ints([1])],
      {},
      [x.shape[0]!, end - start],
      name,
    );
  }

  /** Permutes axes (ONNX Transpose). */
  transpose(x: TapeValue, perm: readonly number[], name?: string): TapeValue {
    if (perm.length !== x.shape.length)
      throw new RangeError(`transpose: expected a permutation of ${x.shape.length} axes, got [${perm.join(', ')}]`);
    return this.op(
      'Transpose',
      [x],
      { perm: [...perm] },
      perm.map((p) => x.shape[p]!),
      name,
    );
  }

  /** Row-major reshape of a batch-first value to `[batch, ...shape]`. */
  reshapeBatch(x: TapeValue, shape: readonly number[], name?: string): TapeValue {
    return this.op('Reshape', [x, this.ints([0, ...shape])], {}, [x.shape[0]!, ...shape], name);
  }

  /** Elements `[start, end)` along each of `axes` (ONNX Slice with static bounds). */
  slice(
    x: TapeValue,
    starts: readonly number[],
    ends: readonly number[],
    axes: readonly number[],
    name?: string,
  ): TapeValue {
    const shape = x.shape.map((d, i) => {
      const j = axes.indexOf(i);
      return j < 0 ? d : ends[j]! - starts[j]!;
    });
    return this.op('Slice', [x, this.ints(starts), this.ints(ends), this.ints(axes)], {}, shape, name);
  }

  /**
   * 2-D convolution over NCHW (ONNX Conv) with explicit `pads` `[top, left, bottom, right]`;
   * the output shape is given by the caller (it knows the padding rule).
   */
  conv(
    x: TapeValue,
    w: TapeValue,
    b: TapeValue | null,
    o: {
      kernel: readonly [number, number];
      strides: readonly [number, number];
      pads: readonly number[];
      dilations?: readonly [number, number];
    },
    shape: readonly TapeDim[],
  ): TapeValue {
    const attrs = {
      kernel_shape: [...o.kernel],
      strides: [...o.strides],
      pads: [...o.pads],
      dilations: [...(o.dilations ?? [1, 1])],
      group: 1,
    };
    return this.op('Conv', b ? [x, w, b] : [x, w], attrs, shape);
  }

  /** 2-D transposed convolution over NCHW (ONNX ConvTranspose); the output shape is given by the caller. */
  convTranspose(
    x: TapeValue,
    w: TapeValue,
    b: TapeValue | null,
    o: {
      kernel: readonly [number, number];
      strides: readonly [number, number];
      pads: readonly number[];
      outputPadding: readonly [number, number];
    },
    shape: readonly TapeDim[],
  ): TapeValue {
    const attrs = {
      kernel_shape: [...o.kernel],
      strides: [...o.strides],
      pads: [...o.pads],
      output_padding: [...o.outputPadding],
      dilations: [1, 1],
      group: 1,
    };
    return this.op('ConvTranspose', b ? [x, w, b] : [x, w], attrs, shape);
  }

  /**
   * The batch size of a batch-first value as a float scalar (no gradient flows through it), recorded
   * once per named first dimension: values whose first dimensions share a name share it.
   */
  batchSize(x: TapeValue): TapeValue {
    const dim = x.shape[0];
    const key = typeof dim === 'string' ? dim : null;
    const hit = key === null ? undefined : this.batchSizes.get(key);
    if (hit) return hit;
    const size = this.recordBatchSize(x);
    if (key !== null) this.batchSizes.set(key, size);
    return size;
  }

  private recordBatchSize(x: TapeValue): TapeValue {
    const none = { vjp: () => [null] };
    return this.op('Reshape', [this.dimSize(x, 0).float, this.ints([])], {}, [], undefined, none);
  }

  /**
   * The length of `x`'s axis `axis` as a `[1]` int64 tensor and as a `[1]` float of the tape's type
   * (no gradient flows through either), recorded once per named dynamic dimension; a static length
   * is a constant. For a rank-1 `x` the int64 tensor is its shape.
   */
  dimSize(x: TapeValue, axis: number): { readonly int: TapeValue; readonly float: TapeValue } {
    const dim = x.shape[axis];
    if (dim === undefined) throw new RangeError(`dimSize: expected an axis of [${x.shape.join(', ')}], got ${axis}`);
    if (typeof dim === 'number') return { int: this.ints([dim]), float: this.constant([dim], [1], this.dtype) };
    const hit = this.dimSizes.get(dim);
    if (hit) return hit;
    const none = { vjp: () => [null] };
    const int = this.op('Shape', [x], { start: axis, end: axis + 1 }, [1], undefined, none, 'int64');
    const float = this.op('Cast', [int], { to: TAPE_DTYPES[this.dtype].onnx }, [1], undefined, none);
    const size = { int, float };
    this.dimSizes.set(dim, size);
    return size;
  }
}
