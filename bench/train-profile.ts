/**
 * Where a training step's time goes, for the default 784-400-20 VAE, batch 128 (`--batch`):
 * 1. kernels: onnxruntime's profiler on the ort engine's step graph, kernel time summed by op type,
 *    beside the step's wall time (`gradients` is the graph the engine runs; `adam` the same graph
 *    with the in-graph Adam step, the engine's layout before the arena);
 * 2. pipeline: the engine's own step runner (`OrtStepRunner`, the engine's session options) on real
 *    MNIST batches, inline: per step the batch preparation (`makeBatch`, dynamic binarization and ε),
 *    the run (`stepTerms`) and the Adam update (`flush`), medians over the steps — what the trainer
 *    and the engine's worker do one after the other (the worker's Adam overlaps the next batch's
 *    preparation).
 *
 * `--simplify false` profiles the step graph as the tape recorded it (before `simplifyTapeNodes`), for
 * before/after tables; the pipeline always uses the engine's own (simplified) graph.
 *
 *   tsx bench/train-profile.ts [--mode gradients|adam] [--threads 2] [--batch 128] [--steps 300]
 *     [--simplify true|false] [--nodes 0]
 *
 * `--nodes N` also lists the N costliest nodes of the optimised graph. The profiler adds several µs to
 * every node it records, so the same graph is also timed in a session without it (`unprofiledRunMs`).
 *
 * Writes bench/train-profile-results.json.
 */
import { mkdtemp, readFile, readdir, rename, rm, writeFile } from 'node:fs/promises';
import { cpus, loadavg, tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Rng, createModelSpec, initParameters, listParameters } from '@vae/core';
import { TRAIN_STEP_NAMES as N, buildTrainStepGraph, type TrainGraphMode } from '@vae/onnx';
import { inMemory, loadDataset, splitValidation } from '@vae/data';
import { ADAM_DEFAULTS, NODE_ORT_PLATFORM, makeBatch } from '@vae/train';
import { OrtStepRunner } from '@vae/train/web';
import * as ort from 'onnxruntime-node';
import { benchArg } from './lib/bench-arg.js';

const mode = benchArg('mode', 'gradients') as TrainGraphMode;
if (mode !== 'gradients' && mode !== 'adam') throw new RangeError(`--mode: expected gradients|adam, got ${mode}`);
const threads = Number(benchArg('threads', '2'));
const steps = Number(benchArg('steps', '300'));
const simplify = benchArg('simplify', 'true');
const topNodes = Number(benchArg('nodes', '0'));
if (simplify !== 'true' && simplify !== 'false')
  throw new RangeError(`--simplify: expected true|false, got ${simplify}`);
const out = (s: string) => process.stdout.write(`${s}\n`);
const batch = Number(benchArg('batch', '128'));

const spec = createModelSpec({ kind: 'vae', hidden: [400], latentDim: 20 });
const graph = buildTrainStepGraph(spec, { mode, simplify: simplify === 'true' });
const dir = await mkdtemp(join(tmpdir(), 'vae-train-profile-'));
const session = await ort.InferenceSession.create(graph.bytes, {
  ...NODE_ORT_PLATFORM.sessionOptions('cpu', threads),
  enableProfiling: true,
  profileFilePrefix: join(dir, 'profile'),
});
const rng = new Rng(1);
const params = initParameters(spec, rng);
const t = (data: Float32Array, dims: readonly number[]) => new ort.Tensor('float32', data, [...dims]);
const feeds: Record<string, ort.Tensor> = {
  [N.x]: t(
    Float32Array.from({ length: batch * 784 }, () => rng.uniform()),
    [batch, 784],
  ),
  [N.eps]: t(rng.normals(batch * 20), [batch, 20]),
  [N.beta]: t(Float32Array.of(1), []),
};
for (const p of listParameters(spec)) {
  feeds[p.name] = t(params[p.name]!.data, p.shape);
  if (mode === 'adam') {
    feeds[N.m(p.name)] = t(new Float32Array(params[p.name]!.data.length), p.shape);
    feeds[N.v(p.name)] = t(new Float32Array(params[p.name]!.data.length), p.shape);
  }
}
if (mode === 'adam') {
  feeds[N.lr] = t(Float32Array.of(1e-3), []);
  feeds[N.step] = t(Float32Array.of(1), []);
}
const run = () => session.run(feeds);
for (let i = 0; i < 20; i++) await run();
const t0 = performance.now();
for (let i = 0; i < steps; i++) await run();
const wallMs = (performance.now() - t0) / steps;
session.endProfiling();
/**
 * The same graph and feeds in a session without the profiler, median ms per run: onnxruntime's
 * profiler adds several µs to every node it records (a small element-wise node costs ~1 µs without
 * it), so its kernel times overstate the small kernels; this is the run it profiles, as it runs.
 */
async function unprofiledMs(): Promise<number> {
  const plain = await ort.InferenceSession.create(graph.bytes, NODE_ORT_PLATFORM.sessionOptions('cpu', threads));
  try {
    for (let i = 0; i < 20; i++) await plain.run(feeds);
    const times: number[] = [];
    for (let i = 0; i < steps; i++) {
      const s0 = performance.now();
      await plain.run(feeds);
      times.push(performance.now() - s0);
    }
    return times.sort((a, b) => a - b)[times.length >> 1]!;
  } finally {
    await plain.release();
  }
}
const plainMs = await unprofiledMs();
const profileFile = (await readdir(dir)).find((f) => f.startsWith('profile') && f.endsWith('.json'));
if (!profileFile) throw new Error(`${dir}: expected onnxruntime's profile file, found none`);
const events = JSON.parse(await readFile(join(dir, profileFile), 'utf8')) as {
  cat: string;
  name: string;
  dur: number;
  args?: { op_name?: string };
}[];
await session.release();
await rm(dir, { recursive: true, force: true });

const runs = events.filter((e) => e.name === 'model_run');
const byOp = new Map<string, { us: number; nodes: number }>();
const byNode = new Map<string, { op: string; us: number }>();
let kernelUs = 0;
for (const e of events) {
  if (e.cat !== 'Node' || !e.name.endsWith('_kernel_time')) continue;
  const op = e.args?.op_name ?? '?';
  const node = byNode.get(e.name) ?? { op, us: 0 };
  node.us += e.dur;
  byNode.set(e.name, node);
  const r = byOp.get(op) ?? { us: 0, nodes: 0 };
  r.us += e.dur;
  r.nodes++;
  byOp.set(op, r);
  kernelUs += e.dur;
}
const ops = [...byOp]
  .sort((a, b) => b[1].us - a[1].us)
  .map(([op, r]) => ({
    op,
    share: r.us / kernelUs,
    msPerStep: r.us / runs.length / 1000,
    nodes: r.nodes / runs.length,
  }));
/** The costliest nodes (after onnxruntime's own fusions), ms per step. */
const nodes = [...byNode]
  .sort((a, b) => b[1].us - a[1].us)
  .slice(0, topNodes)
  .map(([name, r]) => ({
    node: name.slice(0, -'_kernel_time'.length),
    op: r.op,
    msPerStep: r.us / runs.length / 1000,
  }));
/** Median per-step milliseconds of batch preparation, run and Adam through the engine's step runner. */
async function pipeline(): Promise<{ prepMs: number; runMs: number; adamMs: number; stepMs: number }> {
  const data = await loadDataset('mnist');
  const split = splitValidation(inMemory(data.train), 784, 5000);
  const r = new Rng(2);
  const runner = await OrtStepRunner.create(
    { spec, params: initParameters(spec, r), learningRate: 1e-3, adam: { ...ADAM_DEFAULTS }, device: 'cpu', threads },
    NODE_ORT_PLATFORM,
  );
  const t = { prep: [] as number[], run: [] as number[], adam: [] as number[] };
  try {
    const perm = r.permutation(split.train.count);
    for (let i = 0; i < steps + 20; i++) {
      const at = (i * batch) % (split.train.count - batch);
      const t0 = performance.now();
      const b = makeBatch(split.train, perm.subarray(at, at + batch), r, { spec, binarize: 'dynamic', samples: 1 });
      const t1 = performance.now();
      await runner.stepTerms({ target: b.target, x: b.x, eps: b.eps! });
      const t2 = performance.now();
      runner.flush();
      const t3 = performance.now();
      if (i < 20) continue;
      t.prep.push(t1 - t0);
      t.run.push(t2 - t1);
      t.adam.push(t3 - t2);
    }
  } finally {
    await runner.release();
  }
  const med = (v: number[]) => [...v].sort((a, b) => a - b)[Math.floor(v.length / 2)]!;
  return {
    prepMs: med(t.prep),
    runMs: med(t.run),
    adamMs: med(t.adam),
    stepMs: med(t.prep) + med(t.run) + med(t.adam),
  };
}
const steps2 = await pipeline();

const report = {
  benchmark: 'train-profile',
  date: new Date().toISOString(),
  machine: { cpus: cpus().length, cpu: cpus()[0]?.model ?? null, loadAverage: loadavg() },
  mode,
  simplify: simplify === 'true',
  threads,
  batch,
  steps,
  graphNodes: graph.stats.nodes,
  wallMsPerStep: wallMs,
  unprofiledRunMs: plainMs,
  modelRunMs: runs.reduce((s, e) => s + e.dur, 0) / runs.length / 1000,
  kernelMsPerStep: kernelUs / runs.length / 1000,
  ops,
  nodes,
  pipeline: steps2,
};
out(
  `${mode} graph (${graph.stats.nodes} nodes${simplify === 'true' ? '' : ', not simplified'}), ${threads} thread(s), batch ${batch}, ${steps} profiled steps, load ${loadavg()
    .map((v) => v.toFixed(2))
    .join(' ')}`,
);
out(
  `wall ${wallMs.toFixed(2)} ms/step (profiler on), model_run ${report.modelRunMs.toFixed(2)} ms, kernels ${report.kernelMsPerStep.toFixed(2)} ms; without the profiler ${plainMs.toFixed(2)} ms/run (median)`,
);
for (const o of ops)
  out(
    `${o.op.padEnd(14)}${(100 * o.share).toFixed(1).padStart(6)} %${o.msPerStep.toFixed(3).padStart(8)} ms${o.nodes.toFixed(0).padStart(5)} nodes`,
  );
for (const n of nodes) out(`  ${n.node.padEnd(36)}${n.op.padEnd(12)}${n.msPerStep.toFixed(3).padStart(8)} ms`);
out(
  `pipeline (engine step runner, MNIST batches, medians of ${steps} steps): batch prep ${steps2.prepMs.toFixed(3)} ms, run ${steps2.runMs.toFixed(3)} ms, Adam ${steps2.adamMs.toFixed(3)} ms`,
);
const here = dirname(fileURLToPath(import.meta.url));
const json = join(here, 'train-profile-results.json');
await writeFile(`${json}.tmp`, `${JSON.stringify(report, null, 2)}\n`);
await rename(`${json}.tmp`, json);
