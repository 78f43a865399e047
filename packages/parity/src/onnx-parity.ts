/**
 * `vae parity --onnx FILE`: any ONNX model, no manifest. Seeded uniform inputs (or `--load-inputs`)
 * run on the selected runtimes and are compared with the reference runtime, or with a golden file
 * of another machine (`--load-outputs`); `--save-outputs` writes one; `--bisect` finds the first
 * divergent node.
 */
import { readFile, mkdtemp } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { basename, join, resolve } from 'node:path';
import { assertInteger, getLogger, sha256Hex, type Tensor } from '@vae/core';
import { bisectCandidate } from './bisect-models.js';
import { bisectProblem, runBisect, type BisectResult } from './bisect.js';
import { compareOutputs, type FlatOutputs } from './compare-outputs.js';
import { analyzeGraph, floatOutputs, withOutputs, type GraphAnalysis } from './graph-analysis.js';
import { graphFeeds } from './graph-feeds.js';
import { openGraphEngine, type GraphEngine } from './graph-engine.js';
import { PARITY_EXIT_CODES, exitCodeFor, type RuntimeResult } from './parity-report.js';
import type { ParityRuntime } from './parity-runtime.js';
import { getParityRuntime, listParityRuntimes } from './runtime-registry.js';
import { ALL_RUNTIMES, type RuntimeName } from './runtime-names.js';
import { readTensorFile, writeTensorFile, type TensorFileContents } from './tensor-file.js';
import { toleranceFor, type ToleranceOverride } from './tolerances.js';
import './parity-hosts.js';

const log = getLogger('parity:onnx');

/** Identifies an `--onnx` parity report. */
export const ONNX_PARITY_REPORT_SCHEMA = 'vae-everywhere/onnx-parity-report';

/** Options of {@link runOnnxParity}. */
export interface OnnxParityOptions {
  /** The ONNX file. */
  readonly file: string;
  /** Runtimes to compare (default all that run ONNX graphs, unavailable ones skipped). */
  readonly runtimes?: readonly RuntimeName[];
  /** Reference runtime (default `ort-node-cpu`); replaced by the golden file of `loadOutputs`. */
  readonly reference?: RuntimeName;
  /** Seed of the random inputs (default 1). */
  readonly seed?: number;
  /** Sizes of symbolic dimensions (`--dim batch=8`); unnamed ones are 1. */
  readonly dims?: Readonly<Record<string, number>>;
  /** Golden tensor file whose inputs are fed (`--load-inputs`). */
  readonly loadInputs?: string;
  /** Golden tensor file whose outputs are the reference (`--load-outputs`; its inputs are fed unless `loadInputs`). */
  readonly loadOutputs?: string;
  /** Writes the reference runtime's inputs and outputs to this golden tensor file (`--save-outputs`). */
  readonly saveOutputs?: string;
  readonly tolerances?: readonly ToleranceOverride[];
  readonly threads?: number;
  /** Also bisect the reference against the one candidate runtime. */
  readonly bisect?: boolean;
  /** Path prefix of the bisect's repro files; default a fresh temp folder. */
  readonly reproPrefix?: string;
}

/** The JSON report of `vae parity --onnx`. */
export interface OnnxParityReport {
  readonly schema: typeof ONNX_PARITY_REPORT_SCHEMA;
  readonly version: 1;
  readonly createdAt: string;
  readonly model: {
    readonly file: string;
    readonly sha256: string;
    readonly inputs: readonly { readonly name: string; readonly shape: readonly number[] }[];
    /** Float32 outputs compared (others are left out: the runtime contract is float32). */
    readonly outputs: readonly string[];
  };
  /** Reference runtime, or `golden:<file>` with `--load-outputs`. */
  readonly reference: string;
  readonly inputs: {
    readonly source: 'random' | 'file';
    readonly seed: number;
    readonly file?: string;
    readonly dims: Readonly<Record<string, number>>;
  };
  readonly runtimes: readonly RuntimeResult[];
  readonly passed: boolean;
  readonly exitCode: number;
  readonly problems: readonly string[];
  readonly bisect?: BisectResult;
}

const message = (err: unknown): string => (err instanceof Error ? err.message : String(err));
const flat = (o: Record<string, Tensor>): FlatOutputs =>
  Object.fromEntries(Object.entries(o).map(([k, t]) => [k, t.data]));
const place = (r: ParityRuntime) => ({ runtime: r.name, device: r.device, arithmetic: r.arithmetic });

/** Runs `bytes` once on `run`'s engine of `runtime`; the outputs and what ran them. */
async function runOnce(run: OnnxRun, runtime: ParityRuntime) {
  const started = performance.now();
  const engine = await engineOf(run, runtime);
  try {
    const session = await engine.load(run.bytes);
    const outputs = await session.run(run.feeds).finally(() => session.release());
    return { outputs, detail: engine.detail, seconds: (performance.now() - started) / 1000 };
  } finally {
    if (!run.kept.has(runtime.name)) await engine.release();
  }
}

/** The engine of `runtime`: the kept one of the bisect's two sides (opened once), else a fresh one. */
async function engineOf(run: OnnxRun, runtime: ParityRuntime): Promise<GraphEngine> {
  const threads = run.o.threads === undefined ? {} : { threads: run.o.threads };
  if (!run.kept.has(runtime.name)) return openGraphEngine(runtime, runtime.name, threads);
  const engine = run.kept.get(runtime.name) ?? (await openGraphEngine(runtime, runtime.name, threads));
  run.kept.set(runtime.name, engine);
  return engine;
}

/** The graph of `--onnx`, decoded, with its float32 outputs only. */
type OnnxGraph = Awaited<ReturnType<typeof readGraph>>;

/** Reads and decodes `--onnx FILE`; `bytes` keeps only its float32 outputs. */
async function readGraph(path: string) {
  const file = resolve(path);
  const raw = new Uint8Array(
    await readFile(file).catch((err: unknown) => {
      throw new Error(`--onnx: expected a readable ONNX file, got ${file} (${message(err)})`, { cause: err });
    }),
  );
  const a = analyzeGraph(raw, `--onnx ${file}`);
  const outputs = floatOutputs(a);
  if (outputs.length === 0)
    throw new RangeError(
      `--onnx: expected a graph with float32 outputs, got ${a.outputs.join(', ') || 'none'} in ${file}`,
    );
  if (outputs.length < a.outputs.length)
    log.warn(`comparing float32 outputs only: ${outputs.join(', ')} of ${a.outputs.join(', ')}`);
  return { file, raw, a, outputs, bytes: withOutputs(a, outputs) };
}

/** The golden files and feeds of the run. */
async function loadFeeds(o: OnnxParityOptions, a: GraphAnalysis, seed: number) {
  if (o.loadOutputs && o.saveOutputs)
    throw new RangeError(
      '--save-outputs: expected it without --load-outputs (the golden file is the reference), got both',
    );
  const golden = o.loadOutputs ? await readTensorFile(o.loadOutputs, '--load-outputs') : null;
  if (golden && !golden.outputs)
    throw new RangeError(`--load-outputs: expected a file with outputs, got inputs only in ${o.loadOutputs}`);
  const given = o.loadInputs ? (await readTensorFile(o.loadInputs, '--load-inputs')).inputs : golden?.inputs;
  const feeds = graphFeeds(a.inputs, { seed, dims: o.dims ?? {}, ...(given ? { given } : {}) }, `--onnx ${o.file}`);
  return { golden, feeds, source: given ? ('file' as const) : ('random' as const) };
}

/** Reference, candidates and the bisect's candidate of the run. */
function selectRuntimes(o: OnnxParityOptions, golden: boolean) {
  const all = !o.runtimes || o.runtimes.length === 0 || o.runtimes.includes(ALL_RUNTIMES);
  const requested = all ? null : [...new Set(o.runtimes)];
  requested?.forEach((r, i) => getParityRuntime(r, `runtimes[${i}]`));
  const reference = getParityRuntime(o.reference ?? 'ort-node-cpu', 'reference');
  if (o.bisect && golden)
    throw new RangeError(
      '--bisect: expected a reference runtime, got --load-outputs (a golden file holds no intermediates)',
    );
  const bisectWith = o.bisect ? bisectCandidate(reference, requested, true) : null;
  const candidates = listParityRuntimes().filter(
    (r) => (requested ? requested.includes(r.name) : true) && (golden || r.name !== reference.name),
  );
  return { requested, reference, bisectWith, candidates };
}

/** Everything one run shares. */
interface OnnxRun {
  readonly o: OnnxParityOptions;
  readonly bytes: Uint8Array;
  readonly feeds: Record<string, Tensor>;
  readonly selection: ReturnType<typeof selectRuntimes>;
  readonly results: RuntimeResult[];
  readonly problems: string[];
  /** Engines kept open for the bisect (reference and candidate: one browser launch each), by runtime name. */
  readonly kept: Map<string, GraphEngine | undefined>;
}

/** Records that `runtime` could not run: an error when asked for, else skipped. */
function unavailable(run: OnnxRun, runtime: ParityRuntime, asked: boolean, reason: string): void {
  if (asked) run.problems.push(`${runtime.name} was requested but could not run: ${reason}`);
  run.results.push({ ...place(runtime), status: asked ? 'error' : 'skipped', requested: asked, reason, outputs: [] });
}

/** Runs the reference runtime; its outputs, or null (recorded as an error) when it cannot run. */
async function runReference(run: OnnxRun, reference: ParityRuntime): Promise<Record<string, Tensor> | null> {
  try {
    const got = await runOnce(run, reference);
    const asked = run.selection.requested?.includes(reference.name) ?? false;
    run.results.push({
      ...place(reference),
      status: 'reference',
      requested: asked,
      detail: got.detail,
      seconds: got.seconds,
      outputs: [],
    });
    return got.outputs;
  } catch (err) {
    unavailable(run, reference, true, message(err));
    return null;
  }
}

/** Runs and compares one candidate runtime. */
async function runCandidate(
  run: OnnxRun,
  c: ParityRuntime,
  ref: Record<string, Tensor>,
  refArithmetic: ParityRuntime['arithmetic'],
): Promise<void> {
  const asked = run.selection.requested !== null;
  let got: Awaited<ReturnType<typeof runOnce>>;
  try {
    got = await runOnce(run, c);
  } catch (err) {
    return unavailable(run, c, asked, message(err));
  }
  const toleranceOf = (output: string) =>
    toleranceFor(output, c.arithmetic, refArithmetic, 'fp32', run.o.tolerances ?? []);
  const outputs = compareOutputs(c.name, flat(got.outputs), flat(ref), toleranceOf, run.problems);
  const pass = outputs.every((x) => x.pass);
  log.info(`${c.name}: ${pass ? 'pass' : 'FAIL'} (${got.detail})`);
  run.results.push({
    ...place(c),
    status: pass ? 'pass' : 'fail',
    requested: asked,
    detail: got.detail,
    tolerancePrecision: 'fp32',
    seconds: got.seconds,
    outputs,
  });
}

/** The bisect of `--onnx --bisect` on the run's kept engines. */
async function bisectGraphFile(run: OnnxRun, g: OnnxGraph, reference: ParityRuntime, candidate: ParityRuntime) {
  const o = run.o;
  const bisect = await runBisect({
    graphs: [{ name: basename(g.file), reference: g.raw, candidate: g.raw, feeds: run.feeds }],
    reference,
    candidate,
    precision: 'fp32',
    reproPrefix: o.reproPrefix ?? join(await mkdtemp(join(tmpdir(), 'vae-bisect-')), 'bisect'),
    engines: { reference: await engineOf(run, reference), candidate: await engineOf(run, candidate) },
    ...(o.tolerances ? { tolerances: o.tolerances } : {}),
    ...(o.threads === undefined ? {} : { threads: o.threads }),
  });
  if (bisect.node) run.problems.push(bisectProblem(bisect));
  return bisect;
}

/** The runs of the reference, the candidates and the bisect; kept engines released at the end. */
async function runAll(run: OnnxRun, g: OnnxGraph, golden: TensorFileContents | null, sha256: string) {
  const { reference, bisectWith, candidates } = run.selection;
  try {
    const ref = golden ? golden.outputs! : await runReference(run, reference);
    if (ref && run.o.saveOutputs) {
      const model = { file: basename(g.file), sha256 };
      await writeTensorFile(run.o.saveOutputs, { model, runtime: reference.name, inputs: run.feeds, outputs: ref });
    }
    if (ref) for (const c of candidates) await runCandidate(run, c, ref, golden ? 'exact' : reference.arithmetic);
    return bisectWith ? await bisectGraphFile(run, g, reference, bisectWith) : undefined;
  } finally {
    for (const engine of run.kept.values()) await engine?.release();
  }
}

/** Runs and compares `--onnx FILE` (see the module doc). Never throws for a runtime that cannot start. */
export async function runOnnxParity(o: OnnxParityOptions): Promise<OnnxParityReport> {
  const g = await readGraph(o.file);
  const seed = assertInteger(o.seed ?? 1, 'seed', 0, Number.MAX_SAFE_INTEGER);
  const { golden, feeds, source } = await loadFeeds(o, g.a, seed);
  const selection = selectRuntimes(o, golden !== null);
  const { reference, bisectWith } = selection;
  const kept = new Map(bisectWith ? [reference.name, bisectWith.name].map((n) => [n, undefined]) : []);
  const run: OnnxRun = { o, bytes: g.bytes, feeds, selection, results: [], problems: [], kept };
  const sha256 = await sha256Hex(g.raw);
  const bisect = await runAll(run, g, golden, sha256);
  const exitCode = bisect?.node ? PARITY_EXIT_CODES.violation : exitCodeFor(run.results);
  return {
    schema: ONNX_PARITY_REPORT_SCHEMA,
    version: 1,
    createdAt: new Date().toISOString(),
    model: {
      file: g.file,
      sha256,
      inputs: g.a.inputs.map((i) => ({ name: i.name, shape: feeds[i.name]!.shape })),
      outputs: g.outputs,
    },
    reference: golden ? `golden:${resolve(o.loadOutputs!)}` : reference.name,
    inputs: {
      source,
      seed,
      dims: o.dims ?? {},
      ...(o.loadInputs || o.loadOutputs ? { file: resolve((o.loadInputs ?? o.loadOutputs)!) } : {}),
    },
    runtimes: run.results,
    passed: exitCode === 0,
    exitCode,
    problems: run.problems,
    ...(bisect ? { bisect } : {}),
  };
}
