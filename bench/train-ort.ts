/**
 * Training speed of the ort engine against the tfjs engine on real MNIST (the reference
 * 784-400-20 Bernoulli VAE, batch 128, Adam lr 1e-3), measured in one run.
 *
 *   tsx bench/train-ort.ts [--epochs 2] [--layouts 1x2,2x1] [--bindings auto,onnxruntime-node] [--rounds 1] [--binarize dynamic|none]
 *                          [--tfjs-steps 20] [--tfjs-backends wasm|none]
 *
 * ort: full epochs of 60,000 images (469 steps) the way the trainer runs them (batch drawn from the
 * seeded Rng, `engine.stepTerms` — or `engine.step` + core's `reportTerms` for engines without it), for
 * each layout `SxT` (S worker threads splitting each batch — data parallelism when S > 1 — with T
 * intra-op threads each) and each session binding (`OrtEngineOptions.binding`: `auto` is onnxruntime's C
 * API called directly where built), alternating `--rounds` times in this process; "engine" is the
 * time spent awaiting `step`. tfjs: `--tfjs-steps` timed steps after 3 warm-up steps, extrapolated to 469 steps
 * (a full tfjs epoch takes minutes). Glibc's malloc settings matter for the ort engine (its outputs
 * are fresh buffers every step); the script prints the ones in effect. Writes
 * bench/train-ort-results.json (s/epoch per engine and the speed-up over tfjs-wasm).
 */
import { rename, writeFile } from 'node:fs/promises';
import { cpus, loadavg } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Rng, createModelSpec, initParameters, setLogLevel } from '@vae/core';
import { OrtEngine, makeBatch, parseOrtNodeBinding, reportTerms, resolveTrainConfig, type Engine } from '@vae/train';
import { TfjsEngine } from '@vae/train/tfjs';
import { inMemory } from '@vae/data';
import { loadDataset } from '@vae/data/node';
import { benchArg } from './lib/bench-arg.js';

const epochs = Number(benchArg('epochs', '2'));
const bindings = benchArg('bindings', 'auto')
  .split(',')
  .map((b) => parseOrtNodeBinding(b, '--bindings'));
const layouts = benchArg('layouts', '1x2,2x1')
  .split(',')
  .flatMap((l) => {
    const [shards, threads] = l.split('x').map(Number) as [number, number];
    return bindings.map((binding) => ({ shards, threads, binding, name: `ort/cpu ${shards}x${threads} ${binding}` }));
  });
const rounds = Number(benchArg('rounds', '1'));
const binarize = benchArg('binarize', 'dynamic') as 'dynamic' | 'none';
const tfjsSteps = Number(benchArg('tfjs-steps', '20'));
const tfjsBackends = benchArg('tfjs-backends', 'wasm')
  .split(',')
  .filter((b) => b !== '' && b !== 'none');
const batchSize = 128;
const out = (s: string) => process.stdout.write(`${s}\n`);

setLogLevel('warn');
const data = await loadDataset('mnist');
const split = inMemory(data.train);
const spec = createModelSpec({ kind: 'vae', hidden: [400], latentDim: 20 });
const stepsPerEpoch = Math.ceil(split.count / batchSize);
out(
  `MNIST train ${split.count} images (${data.source}), ${spec.kind} 784-400-20, batch ${batchSize}, ${stepsPerEpoch} steps/epoch, binarize ${binarize}`,
);
out(
  `MALLOC_MMAP_THRESHOLD_=${process.env.MALLOC_MMAP_THRESHOLD_ ?? '(unset)'} MALLOC_TRIM_THRESHOLD_=${process.env.MALLOC_TRIM_THRESHOLD_ ?? '(unset)'}`,
);

interface EpochTimes {
  seconds: number[];
  engineSeconds: number[];
  batchSeconds: number[];
  reportSeconds: number[];
  losses: number[];
  steps: number;
}

async function runEpochs(engine: Engine, n: number, maxSteps: number): Promise<EpochTimes> {
  const rng = new Rng(1);
  const seconds: number[] = [];
  const engineSeconds: number[] = [];
  const batchSeconds: number[] = [];
  const reportSeconds: number[] = [];
  const losses: number[] = [];
  let steps = 0;
  for (let e = 0; e < n; e++) {
    const perm = rng.permutation(split.count);
    const t0 = performance.now();
    let inEngine = 0;
    let inBatch = 0;
    let inReport = 0;
    let sum = 0;
    let count = 0;
    for (let start = 0; start < split.count && steps < maxSteps; start += batchSize) {
      const indices = perm.subarray(start, Math.min(split.count, start + batchSize));
      const b0 = performance.now();
      const batch = makeBatch(split, indices, rng, { spec, binarize, samples: 1 });
      const s0 = performance.now();
      // As the trainer does: the engine's in-graph terms when it has them, else core's recomputation.
      const o = engine.stepTerms ? null : await engine.step(batch);
      const t = engine.stepTerms ? await engine.stepTerms(batch) : null;
      const r0 = performance.now();
      const terms = t ?? (await reportTerms(spec, batch, o!));
      inBatch += s0 - b0;
      inEngine += r0 - s0;
      inReport += performance.now() - r0;
      sum += terms.loss * indices.length;
      count += indices.length;
      steps++;
    }
    seconds.push((performance.now() - t0) / 1000);
    engineSeconds.push(inEngine / 1000);
    batchSeconds.push(inBatch / 1000);
    reportSeconds.push(inReport / 1000);
    losses.push(sum / count);
  }
  return { seconds, engineSeconds, batchSeconds, reportSeconds, losses, steps };
}

const params = initParameters(spec, new Rng(1));
const config = resolveTrainConfig({ learningRate: 1e-3, backend: 'cpu', batchSize });
const rows: { engine: string; perEpoch: number; note: string }[] = [];

let best = Infinity;
const fastestOf = new Map<string, number[]>();
for (let round = 1; round <= rounds; round++) {
  for (const { shards, threads, binding, name } of layouts) {
    const ort = new OrtEngine({ device: 'cpu', shards, threads, binding });
    await ort.init(spec, params, config);
    const r = await runEpochs(ort, epochs, Infinity);
    ort.dispose();
    r.seconds.forEach((s, i) =>
      out(
        `${name} round ${round} epoch ${i + 1}: ${s.toFixed(2)} s (engine step ${r.engineSeconds[i]!.toFixed(2)} s = ${((r.engineSeconds[i]! * 1000) / stepsPerEpoch).toFixed(2)} ms/step, ` +
          `makeBatch ${r.batchSeconds[i]!.toFixed(2)} s, reportTerms ${r.reportSeconds[i]!.toFixed(2)} s), mean training loss ${r.losses[i]!.toFixed(2)} nats/image`,
      ),
    );
    fastestOf.set(name, [...(fastestOf.get(name) ?? []), Math.min(...r.seconds)]);
  }
}
for (const { name } of layouts) {
  const fastest = Math.min(...fastestOf.get(name)!);
  best = Math.min(best, fastest);
  rows.push({ engine: name, perEpoch: fastest, note: `best of ${rounds} × ${epochs} full epochs` });
}

for (const backend of tfjsBackends) {
  const tfjs = new TfjsEngine();
  try {
    await tfjs.init(spec, params, resolveTrainConfig({ learningRate: 1e-3, backend: backend as 'wasm', batchSize }));
    await runEpochs(tfjs, 1, 3);
    const t = await runEpochs(tfjs, 1, tfjsSteps);
    const msPerStep = (t.seconds[0]! * 1000) / t.steps;
    out(
      `tfjs/${tfjs.backend}: ${msPerStep.toFixed(1)} ms/step over ${t.steps} steps → ${((msPerStep * stepsPerEpoch) / 1000).toFixed(1)} s/epoch (extrapolated)`,
    );
    rows.push({
      engine: `tfjs/${tfjs.backend}`,
      perEpoch: (msPerStep * stepsPerEpoch) / 1000,
      note: `extrapolated from ${t.steps} steps`,
    });
  } catch (err) {
    out(`tfjs/${backend}: unavailable (${err instanceof Error ? err.message : String(err)})`);
  } finally {
    tfjs.dispose();
  }
}

out('\nengine          s/epoch   speed-up vs ort   note');
for (const row of rows)
  out(
    `${row.engine.padEnd(15)} ${row.perEpoch.toFixed(2).padStart(7)}   ${(row.perEpoch / best).toFixed(1).padStart(15)}×   ${row.note}`,
  );

const tfjsWasm = rows.find((r) => r.engine === 'tfjs/wasm');
const result = {
  benchmark: 'train-ort',
  date: new Date().toISOString(),
  machine: { cpus: cpus().length, model: cpus()[0]?.model ?? 'unknown', loadavg: loadavg() },
  model: `${spec.kind} 784-400-20, batch ${batchSize}, MNIST grey levels, ${stepsPerEpoch} steps/epoch`,
  results: rows.map((r) => ({ ...r, speedupVsTfjsWasm: tfjsWasm ? tfjsWasm.perEpoch / r.perEpoch : null })),
};
const path = join(dirname(fileURLToPath(import.meta.url)), 'train-ort-results.json');
await writeFile(`${path}.tmp`, `${JSON.stringify(result, null, 2)}\n`);
await rename(`${path}.tmp`, path);
out(`\nwrote ${path}`);
