/**
 * `vae parity --bisect`: every float32 intermediate of each graph becomes a graph output on both
 * sides (reference runtime/model and candidate), both run the same feeds, and nodes are compared
 * in graph (topological) order; the first node with an output out of tolerance is reported with
 * its inputs' errors and a minimal ONNX reproduction written next to the report.
 */
import { basename } from 'node:path';
import { sha256Hex, type Precision, type Tensor } from '@vae/core';
import { writeFileAtomic } from '@vae/data/node';
import { reproGraph } from './bisect-repro.js';
import {
  analyzeGraph,
  exposeIntermediates,
  initializerValues,
  type GraphAnalysis,
  type GraphNodeInfo,
} from './graph-analysis.js';
import { openGraphEngine, type GraphEngine } from './graph-engine.js';
import { errorStats, violations, type ErrorStats, type Tolerance } from './metrics-impl.js';
import type { ParityRuntime } from './parity-runtime.js';
import { writeTensorFile } from './tensor-file.js';
import { toleranceFor, type ToleranceOverride } from './tolerances.js';

/** One graph to bisect: the reference side's and the candidate side's bytes (the same file for two runtimes). */
export interface BisectGraph {
  /** e.g. `encoder`, `decoder`, the ONNX file name. */
  readonly name: string;
  readonly reference: Uint8Array;
  readonly candidate: Uint8Array;
  /** Float32 feeds by graph input name (both sides get exactly these). */
  readonly feeds: Readonly<Record<string, Tensor>>;
}

/** Options of {@link runBisect}. */
export interface BisectOptions {
  readonly graphs: readonly BisectGraph[];
  readonly reference: ParityRuntime;
  readonly candidate: ParityRuntime;
  /** Precision key of the tolerance table (`fp32` when both sides run the same weights). */
  readonly precision: Precision;
  readonly tolerances?: readonly ToleranceOverride[];
  readonly threads?: number;
  /** Path prefix of the repro files: `<prefix>.onnx` and `<prefix>.golden.json`. */
  readonly reproPrefix: string;
  /** Engines already open (the caller releases them); the others are opened and released here. */
  readonly engines?: { readonly reference?: GraphEngine; readonly candidate?: GraphEngine };
}

/** Error of one input of the divergent node (candidate vs reference). */
export interface BisectInputError {
  readonly name: string;
  readonly role: 'graph input' | 'initializer' | 'node output';
  /** Null when it could not be compared (not float32), with the reason in `note`. */
  readonly stats: ErrorStats | null;
  readonly note?: string;
}

/** One output of a compared node. */
export interface BisectOutputError {
  readonly name: string;
  readonly stats: ErrorStats;
  readonly tolerance: Tolerance;
  readonly violations: number;
  readonly pass: boolean;
}

/** One compared node, in order (the trace up to the first divergent node). */
export interface BisectTraceRow {
  readonly graph: string;
  readonly node: string;
  readonly op: string;
  readonly maxAbs: number;
  readonly maxRel: number;
  readonly pass: boolean;
}

/** Per graph: how many nodes it has, how many were compared, the first out of tolerance. */
export interface BisectGraphSummary {
  readonly graph: string;
  readonly nodes: number;
  readonly compared: number;
  readonly firstDivergent: string | null;
}

/** The `bisect` section of the parity report; `node` is null when every node is within tolerance. */
export interface BisectResult {
  readonly reference: string;
  readonly runtime: string;
  readonly graphs: readonly BisectGraphSummary[];
  readonly trace: readonly BisectTraceRow[];
  readonly graph: string | null;
  readonly node: string | null;
  readonly op: string | null;
  readonly maxAbs: number | null;
  readonly maxRel: number | null;
  readonly outputs: readonly BisectOutputError[];
  readonly inputs: readonly BisectInputError[];
  /** The minimal ONNX reproduction. */
  readonly repro: string | null;
  /** Its inputs and the reference's outputs (a `--load-outputs` golden file). */
  readonly reproGolden: string | null;
  /** The command that reproduces the divergence from those two files. */
  readonly reproduce: string | null;
}

type Outputs = Record<string, Tensor>;

/** Runs `bytes` (intermediates exposed) on `engine` with the graph's own inputs out of `feeds`. */
async function runExposed(engine: GraphEngine, a: GraphAnalysis, feeds: Readonly<Outputs>): Promise<Outputs> {
  const runner = await engine.load(exposeIntermediates(a).bytes);
  try {
    return await runner.run(Object.fromEntries(a.inputs.map((i) => [i.name, feeds[i.name]!])));
  } finally {
    await runner.release();
  }
}

/**
 * Compares one output of a node. Its tolerance is the output's allclose row with `rel × scale` added
 * to the absolute term, `scale` being the largest |value| among the node's float inputs: a node that
 * subtracts large, nearly equal values (a log-likelihood sum minus another) loses precision to
 * cancellation that its inputs' rounding explains, and is not a divergence.
 */
function compareOutput(o: BisectOptions, name: string, got: Tensor, ref: Tensor, scale: number): BisectOutputError {
  const row = toleranceFor(name, o.candidate.arithmetic, o.reference.arithmetic, o.precision, o.tolerances);
  const tolerance = { abs: row.abs + row.rel * scale, rel: row.rel };
  const stats = errorStats(got.data, ref.data);
  const v = violations(got.data, ref.data, tolerance);
  return { name, stats, tolerance, violations: v.count, pass: v.count === 0 && stats.nonFinite === 0 };
}

/** Largest finite |value| of `values` (0 when empty). */
function maxMagnitude(values: ArrayLike<number>): number {
  let m = 0;
  for (let i = 0; i < values.length; i++) {
    const v = Math.abs(values[i]!);
    if (v > m && Number.isFinite(v)) m = v;
  }
  return m;
}

/** The magnitude of a node's float inputs on the reference side (captured values or initializers). */
function inputScale(node: GraphNodeInfo, ref: GraphAnalysis, a: Outputs): number {
  let scale = 0;
  for (const i of node.inputs) {
    const init = ref.initializers.get(i);
    const values = a[i]?.data ?? (init ? initializerValues(init) : null);
    if (values) scale = Math.max(scale, maxMagnitude(values));
  }
  return scale;
}

function inputError(name: string, ref: GraphAnalysis, cand: GraphAnalysis, a: Outputs, b: Outputs): BisectInputError {
  const ri = ref.initializers.get(name);
  const ci = cand.initializers.get(name);
  if (ri || ci) {
    const [x, y] = [ri && initializerValues(ri), ci && initializerValues(ci)];
    if (x && y && x.length === y.length) return { name, role: 'initializer', stats: errorStats(y, x) };
    return { name, role: 'initializer', stats: null, note: 'not a float32 initializer on both sides' };
  }
  const role = ref.inputs.some((i) => i.name === name) ? 'graph input' : 'node output';
  if (a[name] && b[name]) return { name, role, stats: errorStats(b[name].data, a[name].data) };
  return { name, role, stats: null, note: 'not float32 (not compared)' };
}

/** Writes the repro graph and its golden file; returns their paths and the reproducing command. */
async function writeRepro(o: BisectOptions, cand: GraphAnalysis, node: GraphNodeInfo, captured: Outputs) {
  const repro = reproGraph(cand, node, captured);
  const path = `${o.reproPrefix}.onnx`;
  const golden = `${o.reproPrefix}.golden.json`;
  await writeFileAtomic(path, repro.bytes);
  await writeTensorFile(golden, {
    model: { file: basename(path), sha256: await sha256Hex(repro.bytes) },
    runtime: o.reference.name,
    inputs: Object.fromEntries(repro.inputs.filter((i) => captured[i]).map((i) => [i, captured[i]!])),
    outputs: Object.fromEntries(repro.outputs.map((i) => [i, captured[i]!])),
  });
  return {
    repro: path,
    reproGolden: golden,
    reproduce: `vae parity --onnx ${path} --load-outputs ${golden} --runtimes ${o.candidate.name}`,
  };
}

interface GraphOutcome {
  readonly summary: BisectGraphSummary;
  readonly trace: BisectTraceRow[];
  readonly divergent?: {
    node: GraphNodeInfo;
    outputs: BisectOutputError[];
    ref: GraphAnalysis;
    cand: GraphAnalysis;
    a: Outputs;
    b: Outputs;
  };
}

/** Runs one graph on both engines and walks its nodes in order up to the first divergent one. */
async function bisectGraph(
  o: BisectOptions,
  g: BisectGraph,
  refEngine: GraphEngine,
  candEngine: GraphEngine,
): Promise<GraphOutcome> {
  const ref = analyzeGraph(g.reference, `${g.name} (reference)`);
  const cand = analyzeGraph(g.candidate, `${g.name} (candidate)`);
  const a = { ...g.feeds, ...(await runExposed(refEngine, ref, g.feeds)) };
  const b = { ...g.feeds, ...(await runExposed(candEngine, cand, g.feeds)) };
  const trace: BisectTraceRow[] = [];
  for (const node of cand.nodes) {
    // Outputs both sides computed, with the same size (two exports may differ in hidden sizes).
    const names = node.outputs.filter((n) => a[n] && b[n] && a[n].data.length === b[n].data.length);
    if (names.length === 0) continue;
    const scale = inputScale(node, ref, a);
    const outputs = names.map((n) => compareOutput(o, n, b[n]!, a[n]!, scale));
    const pass = outputs.every((e) => e.pass);
    const maxAbs = Math.max(...outputs.map((e) => e.stats.maxAbs));
    const maxRel = Math.max(...outputs.map((e) => e.stats.maxRel));
    trace.push({ graph: g.name, node: node.name, op: node.op, maxAbs, maxRel, pass });
    const summary = {
      graph: g.name,
      nodes: cand.nodes.length,
      compared: trace.length,
      firstDivergent: pass ? null : node.name,
    };
    if (!pass) return { summary, trace, divergent: { node, outputs, ref, cand, a, b } };
  }
  return { summary: { graph: g.name, nodes: cand.nodes.length, compared: trace.length, firstDivergent: null }, trace };
}

const NO_DIVERGENCE = {
  graph: null,
  node: null,
  op: null,
  maxAbs: null,
  maxRel: null,
  outputs: [],
  inputs: [],
  repro: null,
  reproGolden: null,
  reproduce: null,
};

/**
 * Bisects `o.graphs` in order (encoder before decoder): the first graph with a divergent node ends
 * the walk. Opens each runtime's graph engine once (one browser launch per side).
 */
export async function runBisect(o: BisectOptions): Promise<BisectResult> {
  const refEngine = o.engines?.reference ?? (await openGraphEngine(o.reference, '--reference', o));
  let candEngine: GraphEngine | undefined;
  try {
    candEngine = o.engines?.candidate ?? (await openGraphEngine(o.candidate, '--runtimes', o));
    const graphs: BisectGraphSummary[] = [];
    const trace: BisectTraceRow[] = [];
    for (const g of o.graphs) {
      const outcome = await bisectGraph(o, g, refEngine, candEngine);
      graphs.push(outcome.summary);
      trace.push(...outcome.trace);
      const d = outcome.divergent;
      if (!d) continue;
      const worst = d.outputs.reduce((x, y) => (y.stats.maxAbs > x.stats.maxAbs ? y : x));
      return {
        reference: o.reference.name,
        runtime: o.candidate.name,
        graphs,
        trace,
        graph: g.name,
        node: d.node.name,
        op: d.node.op,
        maxAbs: worst.stats.maxAbs,
        maxRel: Math.max(...d.outputs.map((e) => e.stats.maxRel)),
        outputs: d.outputs,
        inputs: d.node.inputs.filter((i) => i !== '').map((i) => inputError(i, d.ref, d.cand, d.a, d.b)),
        ...(await writeRepro(o, d.cand, d.node, d.a)),
      };
    }
    return { reference: o.reference.name, runtime: o.candidate.name, graphs, trace, ...NO_DIVERGENCE };
  } finally {
    if (candEngine !== o.engines?.candidate) await candEngine?.release();
    if (refEngine !== o.engines?.reference) await refEngine.release();
  }
}

/** The report's problem line for a divergent node. */
export function bisectProblem(b: BisectResult): string {
  return `bisect: ${b.runtime} first leaves tolerance at ${b.graph} node ${b.node} (${b.op}), max abs ${b.maxAbs?.toExponential(2)} vs ${b.reference}; repro ${b.repro}`;
}
