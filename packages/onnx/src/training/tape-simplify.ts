import type { Tape, TapeDim, TapeNode, TapeValue } from './tape.js';

/** Element-wise ops with numpy broadcasting, whose operands may be left unexpanded. */
const BROADCASTING = new Set(['Add', 'Sub', 'Mul', 'Div']);

const sameShape = (a: readonly TapeDim[], b: readonly TapeDim[]): boolean =>
  a.length === b.length && a.every((d, i) => d === b[i]);

/**
 * The tape's nodes after three rewrites that keep every value the graph outputs bit-identical but
 * spare the runtime whole passes over batch-sized tensors (a reverse-mode tape emits many):
 * - an `Expand` read only by broadcasting element-wise ops whose other operand already has the
 *   expanded shape is bypassed (the op broadcasts its input instead of reading a materialised copy;
 *   e.g. the gradient of a sum, broadcast to `[batch, 784]` and multiplied by `σ(ℓ) − x`);
 * - a graph output renamed by an `Identity` takes the name of the value itself when that value is
 *   computed by a node and is neither a graph input nor another output (no copy per run);
 * - nodes none of whose outputs is read or output are dropped (e.g. gradients flowing into the
 *   batch size, which has none).
 */
export function simplifyTapeNodes(tape: Tape): TapeNode[] {
  let nodes = [...tape.nodes];
  const outputs = new Set(tape.outputs.map((o) => o.name));
  const consumers = (name: string) => nodes.filter((n) => n.inputs.some((v) => v.name === name));
  const replaceInput = (node: TapeNode, from: string, to: TapeValue): TapeNode => ({
    ...node,
    inputs: node.inputs.map((v) => (v.name === from ? to : v)),
  });

  for (const expand of nodes.filter((n) => n.op === 'Expand')) {
    const out = expand.outputs[0]!;
    if (outputs.has(out.name)) continue;
    const users = consumers(out.name);
    const bypassable = users.every((u) => {
      if (!BROADCASTING.has(u.op) || u.inputs.length !== 2) return false;
      const other = u.inputs[0]!.name === out.name ? u.inputs[1]! : u.inputs[0]!;
      return other.name !== out.name && sameShape(other.shape, out.shape);
    });
    if (!bypassable || users.length === 0) continue;
    const source = expand.inputs[0]!;
    nodes = nodes.map((n) => (users.includes(n) ? replaceInput(n, out.name, source) : n));
  }

  const produced = new Set(nodes.flatMap((n) => n.outputs.map((o) => o.name)));
  const inputs = new Set(tape.inputs.map((i) => i.name));
  for (const name of outputs) {
    const identity = nodes.find((n) => n.op === 'Identity' && n.outputs[0]!.name === name);
    const value = identity?.inputs[0];
    if (!identity || !value || !produced.has(value.name) || inputs.has(value.name) || outputs.has(value.name)) continue;
    const renamed: TapeValue = { ...value, name };
    const rename = (v: TapeValue) => (v.name === value.name ? renamed : v);
    nodes = nodes
      .filter((n) => n !== identity)
      .map((n) => ({ ...n, inputs: n.inputs.map(rename), outputs: n.outputs.map(rename) }));
    produced.add(name);
    produced.delete(value.name);
  }

  const read = new Set(outputs);
  const kept: TapeNode[] = [];
  for (let i = nodes.length - 1; i >= 0; i--) {
    const n = nodes[i]!;
    if (!n.outputs.some((o) => read.has(o.name))) continue;
    kept.push(n);
    for (const v of n.inputs) read.add(v.name);
  }
  return kept.reverse();
}
