import type { Tensor } from '@vae/core';
import { toTypedAttribute, type Attributes, type TypedAttribute } from './attributes.js';
import { IR_VERSION, OPSET_VERSION, onnx, toLong, type OnnxTypes } from './onnx-proto.js';
import {
  TENSOR_DTYPES,
  fromCoreTensor,
  float32Tensor,
  int64Tensor,
  type Dim,
  type GraphTensor,
  type TensorDType,
} from './tensor-types.js';

/** Options of a {@link GraphBuilder}. */
export interface GraphBuilderOptions {
  /** Default-domain opset (default 17). */
  readonly opset?: number;
  /** IR version (default 8). */
  readonly irVersion?: number;
  /** Extra opset imports, e.g. `{ 'com.microsoft': 1 }`. */
  readonly extraOpsets?: Readonly<Record<string, number>>;
  readonly producerName?: string;
  readonly docString?: string;
}

/** Options of one node. */
export interface NodeOptions {
  /** Node name (default: a unique `<op>_<n>`). */
  readonly name?: string;
  /** Operator domain (default: the ONNX default domain). */
  readonly domain?: string;
}

/** Counts of what a builder holds, for logs and reports. */
export interface GraphStats {
  readonly nodes: number;
  readonly initializers: number;
  readonly initializerBytes: number;
  readonly ops: Readonly<Record<string, number>>;
}

const LITTLE_ENDIAN = new Uint8Array(new Uint16Array([1]).buffer)[0] === 1;

function rawBytes(t: GraphTensor, path: string): Uint8Array {
  if (!LITTLE_ENDIAN) throw new Error(`${path}: ONNX raw tensor data is little-endian; this host is big-endian`);
  const n = t.dims.reduce((a, b) => a * b, 1);
  if (t.data.length !== n)
    throw new RangeError(`${path}: expected ${n} values for dims [${t.dims.join(', ')}], got ${t.data.length}`);
  return new Uint8Array(t.data.buffer, t.data.byteOffset, t.data.byteLength);
}

function checkName(name: string, what: string): void {
  if (typeof name !== 'string' || name.length === 0)
    throw new TypeError(`${what}: expected a non-empty string name, got ${JSON.stringify(name)}`);
}

/**
 * A small typed builder of ONNX graphs (IR 8, opset 17 by default). Every value has a unique name;
 * node helpers return the names of their outputs so graphs read like straight-line code:
 *
 * ```ts
 * const g = new GraphBuilder('encoder');
 * const x = g.input('x', ['batch', 784]);
 * const h = g.op('Relu', [g.op('Gemm', [x, g.initializer('w', w), g.initializer('b', b)])]);
 * g.output(g.op('Identity', [h], {}, 'h'), ['batch', 400]);
 * const bytes = g.toBytes();
 * ```
 */
export class GraphBuilder {
  readonly name: string;
  private readonly options: Required<Omit<GraphBuilderOptions, 'extraOpsets' | 'docString'>> & GraphBuilderOptions;
  private readonly inputs: OnnxTypes.IValueInfoProto[] = [];
  private readonly outputs: OnnxTypes.IValueInfoProto[] = [];
  private readonly initializers: OnnxTypes.ITensorProto[] = [];
  private readonly nodes: OnnxTypes.INodeProto[] = [];
  private readonly values = new Set<string>();
  private readonly counters = new Map<string, number>();
  private readonly opCounts: Record<string, number> = {};
  private initializerBytes = 0;

  /** @param name graph name, stored in the model. */
  constructor(name: string, options: GraphBuilderOptions = {}) {
    checkName(name, 'name');
    this.name = name;
    this.options = { opset: OPSET_VERSION, irVersion: IR_VERSION, producerName: 'vae-everywhere', ...options };
  }

  /** A name not used yet in this graph, `prefix` or `prefix_<n>`. */
  uniqueName(prefix: string): string {
    checkName(prefix, 'prefix');
    if (!this.values.has(prefix) && !this.counters.has(prefix)) {
      this.counters.set(prefix, 0);
      return prefix;
    }
    let n = this.counters.get(prefix) ?? 0;
    let candidate: string;
    do {
      n += 1;
      candidate = `${prefix}_${n}`;
    } while (this.values.has(candidate));
    this.counters.set(prefix, n);
    return candidate;
  }

  /** True when `name` is an input, initializer or node output of this graph. */
  has(name: string): boolean {
    return this.values.has(name);
  }

  private claim(name: string, what: string): string {
    checkName(name, what);
    if (this.values.has(name))
      throw new RangeError(`${what}: the name ${JSON.stringify(name)} is already used in graph ${this.name}`);
    this.values.add(name);
    return name;
  }

  private valueInfo(name: string, dims: readonly Dim[], dtype: TensorDType): OnnxTypes.IValueInfoProto {
    return {
      name,
      type: {
        tensorType: {
          elemType: TENSOR_DTYPES[dtype].onnx,
          shape: { dim: dims.map((d) => (typeof d === 'number' ? { dimValue: toLong(d) } : { dimParam: d })) },
        },
      },
    };
  }

  /** Declares a graph input; string dimensions (e.g. `'batch'`) are dynamic. Returns `name`. */
  input(name: string, dims: readonly Dim[], dtype: TensorDType = 'float32'): string {
    this.claim(name, 'input');
    this.inputs.push(this.valueInfo(name, dims, dtype));
    return name;
  }

  /** Declares an existing value as a graph output. Returns `name`. */
  output(name: string, dims: readonly Dim[], dtype: TensorDType = 'float32'): string {
    if (!this.values.has(name))
      throw new RangeError(`output: no value named ${JSON.stringify(name)} in graph ${this.name}`);
    if (this.outputs.some((o) => o.name === name))
      throw new RangeError(`output: ${JSON.stringify(name)} is already an output`);
    this.outputs.push(this.valueInfo(name, dims, dtype));
    return name;
  }

  /** Adds a constant tensor under exactly `name` (weights are stored as `rawData`). Returns `name`. */
  initializer(name: string, tensor: GraphTensor | Tensor): string {
    this.claim(name, 'initializer');
    const t: GraphTensor = 'dtype' in tensor ? tensor : fromCoreTensor(tensor);
    const raw = rawBytes(t, `initializer ${name}`);
    this.initializers.push({
      name,
      dims: t.dims.map((d) => toLong(d)),
      dataType: TENSOR_DTYPES[t.dtype].onnx,
      rawData: raw,
    });
    this.initializerBytes += raw.byteLength;
    return name;
  }

  /** Adds a constant under a fresh name derived from `prefix`. Returns the name. */
  constant(prefix: string, tensor: GraphTensor | Tensor): string {
    return this.initializer(this.uniqueName(prefix), tensor);
  }

  /** A float32 constant (a scalar when `dims` is `[]`). */
  constFloat32(prefix: string, values: readonly number[], dims: readonly number[] = [values.length]): string {
    return this.constant(prefix, float32Tensor(values, dims));
  }

  /** An int64 constant (shapes, axes, …; a scalar when `dims` is `[]`). */
  constInt64(prefix: string, values: readonly (number | bigint)[], dims: readonly number[] = [values.length]): string {
    return this.constant(prefix, int64Tensor(values, dims));
  }

  /**
   * Adds a node. `outputs` is a count of fresh output names (default 1) or explicit names.
   * Inputs must name existing values (`''` marks an omitted optional input). Returns the output names.
   */
  node(
    op: string,
    inputs: readonly string[],
    outputs: number | readonly string[] = 1,
    attrs: Attributes = {},
    options: NodeOptions = {},
  ): string[] {
    checkName(op, 'op');
    const nodeName = options.name ?? this.uniqueName(op);
    inputs.forEach((input, i) => {
      if (input !== '' && !this.values.has(input)) {
        throw new RangeError(
          `${op} node ${nodeName}: input ${i} names no existing value, got ${JSON.stringify(input)}`,
        );
      }
    });
    const outNames =
      typeof outputs === 'number'
        ? Array.from({ length: outputs }, (_, i) =>
            this.claim(this.uniqueName(outputs === 1 ? nodeName : `${nodeName}_out${i}`), `${op} output`),
          )
        : outputs.map((o) => this.claim(o, `${op} output`));
    const attribute = Object.entries(attrs).map(([key, value]) =>
      encodeAttribute(key, toTypedAttribute(value, `${op}.${key}`)),
    );
    this.nodes.push({
      opType: op,
      input: [...inputs],
      output: outNames,
      name: nodeName,
      attribute,
      ...(options.domain ? { domain: options.domain } : {}),
    });
    this.opCounts[op] = (this.opCounts[op] ?? 0) + 1;
    return outNames;
  }

  /** A single-output node; returns its output name (`output` names it explicitly). */
  op(op: string, inputs: readonly string[], attrs: Attributes = {}, output?: string): string {
    return this.node(op, inputs, output === undefined ? 1 : [output], attrs)[0]!;
  }

  /** Counts of nodes, initializers and initializer bytes. */
  stats(): GraphStats {
    return {
      nodes: this.nodes.length,
      initializers: this.initializers.length,
      initializerBytes: this.initializerBytes,
      ops: { ...this.opCounts },
    };
  }

  /** The `ModelProto` message. */
  toModelProto(): OnnxTypes.ModelProto {
    if (this.outputs.length === 0) throw new RangeError(`graph ${this.name}: expected at least one output, got none`);
    const opsetImport = [{ domain: '', version: toLong(this.options.opset) }];
    for (const [domain, version] of Object.entries(this.options.extraOpsets ?? {}))
      opsetImport.push({ domain, version: toLong(version) });
    return onnx.ModelProto.create({
      irVersion: toLong(this.options.irVersion),
      opsetImport,
      producerName: this.options.producerName,
      ...(this.options.docString ? { docString: this.options.docString } : {}),
      graph: {
        name: this.name,
        node: this.nodes,
        initializer: this.initializers,
        input: this.inputs,
        output: this.outputs,
      },
    });
  }

  /** The serialized model (`.onnx` file bytes). */
  toBytes(): Uint8Array {
    return onnx.ModelProto.encode(this.toModelProto()).finish();
  }
}

function encodeTensor(t: GraphTensor, name: string): OnnxTypes.ITensorProto {
  return {
    name,
    dims: t.dims.map((d) => toLong(d)),
    dataType: TENSOR_DTYPES[t.dtype].onnx,
    rawData: rawBytes(t, `attribute ${name}`),
  };
}

function encodeAttribute(name: string, a: TypedAttribute): OnnxTypes.IAttributeProto {
  const T = onnx.AttributeProto.AttributeType;
  const int = toLong;
  switch (a.kind) {
    case 'float':
      return { name, type: T.FLOAT, f: a.value };
    case 'floats':
      return { name, type: T.FLOATS, floats: [...a.value] };
    case 'int':
      return { name, type: T.INT, i: int(a.value) };
    case 'ints':
      return { name, type: T.INTS, ints: a.value.map(int) };
    case 'string':
      return { name, type: T.STRING, s: new TextEncoder().encode(a.value) };
    case 'strings':
      return { name, type: T.STRINGS, strings: a.value.map((s) => new TextEncoder().encode(s)) };
    case 'tensor':
      return { name, type: T.TENSOR, t: encodeTensor(a.value, name) };
  }
}
