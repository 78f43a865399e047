/**
 * Training speed of the tfjs engine per backend: seconds per epoch of the reference 784-400-20
 * Bernoulli VAE on MNIST (60,000 images, batch 128 → 469 steps), measured in one run.
 *
 *   pnpm bench:train [--steps 50] [--warmup 3] [--backends tensorflow,webgpu,wasm,cpu]
 *
 * For each backend that initializes: `--warmup` untimed steps, then `--steps` timed steps of the
 * trainer's loop (batch drawn from the seeded Rng with dynamic binarization, `engine.step`, core's
 * `reportTerms`), extrapolated linearly to 469 steps. "engine" is the time inside `engine.step`.
 * Backends that cannot initialize are listed with the reason. WebGPU uses
 * VK_ICD_FILENAMES=/usr/lib/chromium/vk_swiftshader_icd.json when no ICD is configured and that
 * file exists (a software rasterizer: correct, slow). Writes bench/train-results.json.
 */
import { rename, writeFile } from 'node:fs/promises';
import { cpus, loadavg } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Rng, createModelSpec, initParameters, setLogLevel } from '@vae/core';
import { ensureVulkanIcd } from '@vae/device-node';
import { makeBatch, reportTerms, resolveTrainConfig, type TfjsBackendName } from '@vae/train';
import { TfjsEngine, selectBackend } from '@vae/train/tfjs';
import { inMemory } from '@vae/data';
import { loadDataset } from '@vae/data/node';
import { benchArg } from './lib/bench-arg.js';

const steps = Number(benchArg('steps', '50'));
const warmup = Number(benchArg('warmup', '3'));
const backends = benchArg('backends', 'tensorflow,webgpu,wasm,cpu').split(',').filter(Boolean) as TfjsBackendName[];
const batchSize = 128;
const userIcd = process.env.VK_ICD_FILENAMES;
const icd = ensureVulkanIcd();
const icdNote = userIcd
  ? `VK_ICD_FILENAMES=${userIcd}`
  : icd
    ? `VK_ICD_FILENAMES=${icd} (set by the bench)`
    : 'system Vulkan ICDs';

interface Row {
  backend: string;
  available: boolean;
  reason?: string;
  steps?: number;
  msPerStep?: number;
  msPerStepEngine?: number;
  secondsPerEpoch?: number;
}

setLogLevel('warn');
const loadBefore = loadavg()[0]!;
const data = await loadDataset('mnist');
const trainSplit = inMemory(data.train);
const spec = createModelSpec({ kind: 'vae', hidden: [400], latentDim: 20, likelihood: 'bernoulli' });
const stepsPerEpoch = Math.ceil(data.train.count / batchSize);
const rows: Row[] = [];
for (const backend of backends) {
  const engine = new TfjsEngine();
  try {
    await engine.init(spec, initParameters(spec, new Rng(1)), resolveTrainConfig({ backend, batchSize }));
  } catch (err) {
    rows.push({ backend, available: false, reason: err instanceof Error ? err.message : String(err) });
    engine.dispose();
    continue;
  }
  const rng = new Rng(2);
  const perm = rng.permutation(data.train.count);
  let engineMs = 0;
  let totalMs = 0;
  for (let i = 0; i < warmup + steps; i++) {
    const t0 = performance.now();
    const batch = makeBatch(trainSplit, perm.subarray(i * batchSize, (i + 1) * batchSize), rng, {
      spec,
      binarize: 'dynamic',
      samples: 1,
    });
    const t1 = performance.now();
    const out = await engine.step(batch);
    const t2 = performance.now();
    await reportTerms(spec, batch, out);
    const t3 = performance.now();
    if (i >= warmup) {
      engineMs += t2 - t1;
      totalMs += t3 - t0;
    }
  }
  engine.dispose();
  const msPerStep = totalMs / steps;
  rows.push({
    backend: engine.backend,
    available: true,
    steps,
    msPerStep,
    msPerStepEngine: engineMs / steps,
    secondsPerEpoch: (msPerStep * stepsPerEpoch) / 1000,
  });
  await selectBackend('cpu');
}

const result = {
  benchmark: 'tfjs training speed, 784-400-20 Bernoulli VAE, MNIST, batch 128',
  method: `${warmup} warm-up + ${steps} timed steps per backend (batch + engine.step + core reportTerms), extrapolated to ${stepsPerEpoch} steps/epoch`,
  stepsPerEpoch,
  machine: { cpus: cpus().length, cpu: cpus()[0]?.model ?? 'unknown', node: process.version, webgpu: icdNote },
  /** 1-minute load averages before and after: other processes on the machine slow every number down. */
  loadAverage: { before: loadBefore, after: loadavg()[0]! },
  measuredAt: new Date().toISOString(),
  results: rows,
};
const path = join(dirname(fileURLToPath(import.meta.url)), 'train-results.json');
await writeFile(`${path}.tmp`, `${JSON.stringify(result, null, 2)}\n`);
await rename(`${path}.tmp`, path);

const out = (s: string) => process.stdout.write(`${s}\n`);
out(`${result.benchmark} — ${result.method}`);
out(
  `${result.machine.cpus} × ${result.machine.cpu}, load average ${loadBefore.toFixed(2)} → ${result.loadAverage.after.toFixed(2)}`,
);
out(`${'backend'.padEnd(12)}${'ms/step'.padStart(10)}${'engine ms'.padStart(11)}${'s/epoch'.padStart(10)}  note`);
for (const r of rows) {
  if (!r.available)
    out(`${r.backend.padEnd(12)}${'—'.padStart(10)}${'—'.padStart(11)}${'—'.padStart(10)}  unavailable: ${r.reason}`);
  else
    out(
      `${r.backend.padEnd(12)}${r.msPerStep!.toFixed(1).padStart(10)}${r.msPerStepEngine!.toFixed(1).padStart(11)}${r.secondsPerEpoch!.toFixed(1).padStart(10)}  extrapolated from ${r.steps} steps${r.backend === 'webgpu' ? ` (${icdNote})` : ''}`,
    );
}
out(`→ ${path}`);
