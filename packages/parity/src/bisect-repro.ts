/**
 * The minimal ONNX reproduction of a divergent node (`vae parity --bisect`): the node itself, its
 * captured float32 inputs as graph inputs, its initializers as initializers; a non-float input
 * (a shape, an index) that was not captured pulls in the nodes that compute it (a subgraph).
 * Browser-safe.
 */
import type { Tensor } from '@vae/core';
import { onnx } from '@vae/onnx/graphs';
import { floatValue, isFloat, type GraphAnalysis, type GraphNodeInfo, type OnnxValueInfo } from './graph-analysis.js';

/** A repro graph and the names of its inputs and outputs. */
export interface ReproGraph {
  readonly bytes: Uint8Array;
  readonly inputs: readonly string[];
  readonly outputs: readonly string[];
}

/** Nodes to include, graph inputs and initializers needed to compute `target` from `captured` values. */
function closure(a: GraphAnalysis, target: GraphNodeInfo, captured: Readonly<Record<string, Tensor>>) {
  const producers = new Map(a.nodes.flatMap((n) => n.outputs.map((o) => [o, n] as const)));
  const nodes = new Set<number>([target.index]);
  const inputs = new Set<string>();
  const initializers = new Set<string>();
  const visit = (n: GraphNodeInfo): void => {
    for (const i of n.inputs) {
      if (i === '' || initializers.has(i) || inputs.has(i)) continue;
      const producer = producers.get(i);
      if (a.initializers.has(i)) initializers.add(i);
      else if (captured[i] || !producer) inputs.add(i);
      else if (!nodes.has(producer.index)) {
        nodes.add(producer.index);
        visit(producer);
      }
    }
  };
  visit(target);
  for (const n of nodes) for (const o of a.nodes[n]!.outputs) inputs.delete(o);
  return { nodes, inputs: [...inputs], initializers };
}

/** The smallest graph of `a` that recomputes `target` from `captured` values (see the module doc). */
export function reproGraph(
  a: GraphAnalysis,
  target: GraphNodeInfo,
  captured: Readonly<Record<string, Tensor>>,
): ReproGraph {
  const { nodes, inputs, initializers } = closure(a, target, captured);
  const g = a.model.graph!;
  const declared = new Map((g.input ?? []).map((v) => [v.name ?? '', v]));
  const inputInfo = (name: string): OnnxValueInfo => {
    const t = captured[name];
    if (!t) return declared.get(name) ?? floatValue(name);
    return { name, type: { tensorType: { elemType: 1, shape: { dim: t.shape.map((d) => ({ dimValue: d })) } } } };
  };
  const outputs = target.outputs.filter((o) => isFloat(a, o));
  const graph = onnx.GraphProto.create({
    name: `${g.name ?? 'graph'}.${target.name}`,
    node: (g.node ?? []).filter((_, i) => nodes.has(i)),
    input: inputs.map(inputInfo),
    output: outputs.map(floatValue),
    initializer: (g.initializer ?? []).filter((t) => initializers.has(t.name ?? '')),
  });
  const model = onnx.ModelProto.create({
    irVersion: a.model.irVersion,
    opsetImport: a.model.opsetImport,
    producerName: 'vae parity --bisect',
    graph,
  });
  return { bytes: onnx.ModelProto.encode(model).finish(), inputs, outputs };
}
