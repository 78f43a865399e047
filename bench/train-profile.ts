/**
 * Where a training step's time goes: onnxruntime's profiler on the ort engine's step graph (the
 * default 784-400-20 VAE, batch 128), kernel time summed by op type, beside the step's wall time.
 *
 *   tsx bench/train-profile.ts [--mode gradients|adam] [--threads 2] [--steps 300]
 *
 * `gradients` is the graph the engine runs (forward + backward; Adam runs outside it, in the
 * engine's AdamArena, not timed here); `adam` is the same graph with the in-graph Adam step and its
 * state outputs, the engine's layout before the arena. Session options as the engine's CPU EP.
 * Writes bench/train-profile-results.json.
 */
import { mkdtemp, readFile, readdir, rename, rm, writeFile } from 'node:fs/promises';
import { cpus, loadavg, tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Rng, createModelSpec, initParameters, listParameters } from '@vae/core';
import { TRAIN_STEP_NAMES as N, buildTrainStepGraph, type TrainGraphMode } from '@vae/onnx';
import * as ort from 'onnxruntime-node';
import { benchArg } from './lib/bench-arg.js';

const mode = benchArg('mode', 'gradients') as TrainGraphMode;
if (mode !== 'gradients' && mode !== 'adam') throw new RangeError(`--mode: expected gradients|adam, got ${mode}`);
const threads = Number(benchArg('threads', '2'));
const steps = Number(benchArg('steps', '300'));
const out = (s: string) => process.stdout.write(`${s}\n`);
const batch = 128;

const spec = createModelSpec({ kind: 'vae', hidden: [400], latentDim: 20 });
const graph = buildTrainStepGraph(spec, { mode });
const dir = await mkdtemp(join(tmpdir(), 'vae-train-profile-'));
const session = await ort.InferenceSession.create(graph.bytes, {
  executionProviders: ['cpu'],
  intraOpNumThreads: threads,
  interOpNumThreads: 1,
  executionMode: 'sequential',
  graphOptimizationLevel: 'all',
  logSeverityLevel: 3,
  enableProfiling: true,
  profileFilePrefix: join(dir, 'profile'),
  ...(threads > 1 ? { extra: { session: { intra_op: { allow_spinning: '0' } } } } : {}),
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
let kernelUs = 0;
for (const e of events) {
  if (e.cat !== 'Node' || !e.name.endsWith('_kernel_time')) continue;
  const op = e.args?.op_name ?? '?';
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
const report = {
  benchmark: 'train-profile',
  date: new Date().toISOString(),
  machine: { cpus: cpus().length, cpu: cpus()[0]?.model ?? null, loadAverage: loadavg() },
  mode,
  threads,
  steps,
  graphNodes: graph.stats.nodes,
  wallMsPerStep: wallMs,
  modelRunMs: runs.reduce((s, e) => s + e.dur, 0) / runs.length / 1000,
  kernelMsPerStep: kernelUs / runs.length / 1000,
  ops,
};
out(
  `${mode} graph (${graph.stats.nodes} nodes), ${threads} thread(s), ${steps} profiled steps, load ${loadavg()
    .map((v) => v.toFixed(2))
    .join(' ')}`,
);
out(
  `wall ${wallMs.toFixed(2)} ms/step (profiler on), model_run ${report.modelRunMs.toFixed(2)} ms, kernels ${report.kernelMsPerStep.toFixed(2)} ms`,
);
for (const o of ops)
  out(
    `${o.op.padEnd(14)}${(100 * o.share).toFixed(1).padStart(6)} %${o.msPerStep.toFixed(3).padStart(8)} ms${o.nodes.toFixed(0).padStart(5)} nodes`,
  );
const here = dirname(fileURLToPath(import.meta.url));
const json = join(here, 'train-profile-results.json');
await writeFile(`${json}.tmp`, `${JSON.stringify(report, null, 2)}\n`);
await rename(`${json}.tmp`, json);
