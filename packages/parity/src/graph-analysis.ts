/**
 * Reads an ONNX graph with `@vae/onnx`'s protobuf classes for `vae parity --bisect` and `--onnx`:
 * its real inputs (not initializers), its nodes in graph order (ONNX requires topological order),
 * and the element type of every value (declared, or inferred by {@link OUTPUT_TYPES}), so every
 * float32 intermediate can be made a graph output. Browser-safe.
 */
import { onnx } from '@vae/onnx/graphs';

/** An ONNX `ModelProto` as `@vae/onnx`'s protobuf classes decode it. */
export type OnnxModel = ReturnType<typeof onnx.ModelProto.decode>;
type OnnxGraph = NonNullable<OnnxModel['graph']>;
/** An ONNX `NodeProto`. */
export type OnnxNode = NonNullable<OnnxGraph['node']>[number];
/** An ONNX `TensorProto` (initializers). */
export type OnnxTensor = NonNullable<OnnxGraph['initializer']>[number];
/** An ONNX `ValueInfoProto` (graph inputs and outputs). */
export type OnnxValueInfo = NonNullable<OnnxGraph['input']>[number];
type OnnxShape = NonNullable<NonNullable<NonNullable<OnnxValueInfo['type']>['tensorType']>['shape']>;
type OnnxDim = NonNullable<OnnxShape['dim']>[number];

/** ONNX `TensorProto.DataType` codes used here. */
export const ONNX_TYPES = Object.freeze({ float32: 1, uint8: 2, int64: 7, bool: 9 });

/** A graph input: name, element type code and dimensions (numbers, or symbolic names). */
export interface GraphInputInfo {
  readonly name: string;
  readonly elemType: number;
  readonly dims: readonly (number | string)[];
}

/** One node: where it sits in the graph, what it reads and writes. */
export interface GraphNodeInfo {
  readonly index: number;
  readonly name: string;
  readonly op: string;
  readonly inputs: readonly string[];
  readonly outputs: readonly string[];
}

/** A decoded graph and what {@link analyzeGraph} learned about it. */
export interface GraphAnalysis {
  readonly model: OnnxModel;
  readonly inputs: readonly GraphInputInfo[];
  readonly outputs: readonly string[];
  readonly nodes: readonly GraphNodeInfo[];
  /** Element type code of every value whose type is known. */
  readonly types: ReadonlyMap<string, number>;
  readonly initializers: ReadonlyMap<string, OnnxTensor>;
}

/** Infers the element type of output `index` of `node` from its inputs' types (undefined = unknown). */
type TypeRule = (node: OnnxNode, inputs: readonly (number | undefined)[], index: number) => number | undefined;

const fixed =
  (type: number): TypeRule =>
  () =>
    type;
const ofInput =
  (i: number): TypeRule =>
  (_n, inputs) =>
    inputs[i];
const attribute = (node: OnnxNode, name: string) => node.attribute?.find((a) => a.name === name);
const intAttr =
  (name: string, fallback: TypeRule): TypeRule =>
  (n, inputs, i) => {
    const a = attribute(n, name);
    return a?.i !== undefined && a.i !== null ? Number(String(a.i)) : fallback(n, inputs, i);
  };
const indicesAt =
  (output: number, type: number): TypeRule =>
  (_n, inputs, i) =>
    i === output ? type : inputs[0];
const constantType: TypeRule = (n) => {
  const a = n.attribute?.[0];
  if (a?.t) return a.t.dataType ?? undefined;
  if (a?.name === 'value_float' || a?.name === 'value_floats') return ONNX_TYPES.float32;
  if (a?.name === 'value_int' || a?.name === 'value_ints') return ONNX_TYPES.int64;
  return undefined;
};
const int64 = fixed(ONNX_TYPES.int64);
const bool = fixed(ONNX_TYPES.bool);

/**
 * Output element types of the operators whose outputs do not take their first input's type (every
 * other operator does). One entry per operator; a new rule is one line.
 */
export const OUTPUT_TYPES: Readonly<Record<string, TypeRule>> = Object.freeze({
  Shape: int64,
  Size: int64,
  NonZero: int64,
  ArgMax: int64,
  ArgMin: int64,
  Equal: bool,
  Less: bool,
  LessOrEqual: bool,
  Greater: bool,
  GreaterOrEqual: bool,
  Not: bool,
  And: bool,
  Or: bool,
  Xor: bool,
  IsNaN: bool,
  IsInf: bool,
  Cast: intAttr('to', () => undefined),
  CastLike: ofInput(1),
  RandomNormal: intAttr('dtype', fixed(ONNX_TYPES.float32)),
  RandomUniform: intAttr('dtype', fixed(ONNX_TYPES.float32)),
  RandomNormalLike: intAttr('dtype', ofInput(0)),
  RandomUniformLike: intAttr('dtype', ofInput(0)),
  EyeLike: intAttr('dtype', ofInput(0)),
  Constant: constantType,
  ConstantOfShape: (n) => attribute(n, 'value')?.t?.dataType ?? ONNX_TYPES.float32,
  DequantizeLinear: ofInput(1),
  QuantizeLinear: (_n, inputs) => inputs[2] ?? ONNX_TYPES.uint8,
  DynamicQuantizeLinear: (_n, _i, i) => (i === 1 ? ONNX_TYPES.float32 : ONNX_TYPES.uint8),
  Where: ofInput(1),
  TopK: indicesAt(1, ONNX_TYPES.int64),
  MaxPool: indicesAt(1, ONNX_TYPES.int64),
  Dropout: indicesAt(1, ONNX_TYPES.bool),
  Unique: indicesAt(0, ONNX_TYPES.int64),
});

const dimOf = (d: OnnxDim): number | string =>
  d.dimParam ? d.dimParam : d.dimValue !== undefined && d.dimValue !== null ? Number(String(d.dimValue)) : '?';

/** Decodes ONNX `bytes` (errors name `what`) and infers every value's element type. */
export function analyzeGraph(bytes: Uint8Array, what: string): GraphAnalysis {
  let model: OnnxModel;
  try {
    model = onnx.ModelProto.decode(bytes);
  } catch (err) {
    throw new RangeError(`${what}: expected an ONNX model (protobuf ModelProto), got ${(err as Error).message}`, {
      cause: err,
    });
  }
  const graph = model.graph;
  if (!graph) throw new RangeError(`${what}: expected an ONNX model with a graph, got none`);
  const initializers = new Map((graph.initializer ?? []).map((t) => [t.name ?? '', t]));
  const types = new Map<string, number>();
  for (const t of graph.initializer ?? []) types.set(t.name ?? '', t.dataType ?? 0);
  const declared = [...(graph.input ?? []), ...(graph.valueInfo ?? []), ...(graph.output ?? [])];
  for (const v of declared) if (v.type?.tensorType?.elemType) types.set(v.name ?? '', v.type.tensorType.elemType);
  const inputs = (graph.input ?? [])
    .filter((v) => !initializers.has(v.name ?? ''))
    .map((v) => ({
      name: v.name ?? '',
      elemType: v.type?.tensorType?.elemType ?? 0,
      dims: (v.type?.tensorType?.shape?.dim ?? []).map(dimOf),
    }));
  const nodes = (graph.node ?? []).map((n, index): GraphNodeInfo => {
    const ins = (n.input ?? []).map((i) => (i === '' ? undefined : types.get(i)));
    const rule = OUTPUT_TYPES[n.opType ?? ''] ?? ((_n, i) => i.find((t) => t !== undefined));
    (n.output ?? []).forEach((o, i) => {
      const t = types.get(o) ?? rule(n, ins, i);
      if (o !== '' && t !== undefined) types.set(o, t);
    });
    return {
      index,
      name: n.name || `${n.opType ?? 'node'}#${index}`,
      op: n.opType ?? '',
      inputs: [...(n.input ?? [])],
      outputs: (n.output ?? []).filter((o) => o !== ''),
    };
  });
  return { model, inputs, outputs: (graph.output ?? []).map((o) => o.name ?? ''), nodes, types, initializers };
}

/** Whether value `name` of `a` is float32. */
export const isFloat = (a: GraphAnalysis, name: string): boolean => a.types.get(name) === ONNX_TYPES.float32;

/** A float32 graph output (or input) with no declared shape (the runtime infers it). */
export const floatValue = (name: string): OnnxValueInfo => ({
  name,
  type: { tensorType: { elemType: ONNX_TYPES.float32 } },
});

/** The graph of `a` with exactly `outputs` (float32) as its graph outputs. */
export function withOutputs(a: GraphAnalysis, outputs: readonly string[]): Uint8Array {
  const graph = onnx.GraphProto.create({ ...a.model.graph!, output: outputs.map(floatValue) });
  return onnx.ModelProto.encode(onnx.ModelProto.create({ ...a.model, graph })).finish();
}

/** The graph's own float32 outputs (the runtime contract is float32). */
export const floatOutputs = (a: GraphAnalysis): string[] => a.outputs.filter((o) => isFloat(a, o));

/**
 * The graph of `a` with every float32 node output also a graph output (Polygraphy's "mark all"),
 * and only float32 outputs. Returns the bytes and the names of the outputs.
 */
export function exposeIntermediates(a: GraphAnalysis): { readonly bytes: Uint8Array; readonly outputs: string[] } {
  const outputs = [...new Set([...floatOutputs(a), ...a.nodes.flatMap((n) => n.outputs.filter((o) => isFloat(a, o)))])];
  return { bytes: withOutputs(a, outputs), outputs };
}

/** The float32 values of initializer `t` (raw data or `floatData`), or null when it is not float32. */
export function initializerValues(t: OnnxTensor): Float32Array | null {
  if (t.dataType !== ONNX_TYPES.float32) return null;
  if (t.rawData && t.rawData.length > 0) {
    const copy = new Uint8Array(t.rawData);
    return new Float32Array(copy.buffer, 0, copy.length / 4);
  }
  return Float32Array.from(t.floatData ?? []);
}
