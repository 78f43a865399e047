/**
 * Encoder speed through the `VaeModel` API against bare `onnxruntime-node` on the same
 * `encoder.onnx`, per available execution provider, measured in one run (blocks interleaved).
 *
 *   tsx bench/encoder.ts [--model models/mnist-vae] [--seconds 1] [--threads 1,2] [--devices cpu,webgpu]
 *
 * Latency: batch 1, median / p90 of single runs. Throughput: images/s at batch 64 and 256.
 * Without `models/mnist-vae` a 784-400-20 VAE with seeded random weights is exported to a temp dir
 * (speed does not depend on the weight values). Writes bench/encoder-results.json.
 */
import { rename, writeFile } from 'node:fs/promises';
import { cpus } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Rng, setLogLevel, type ExecutionDevice, type Tensor, type VaeModel } from '@vae/core';
import { ensureVulkanIcd } from '@vae/device-node';
import { loadModel, webgpuBundled } from '@vae/runtime-node';
import * as ort from 'onnxruntime-node';
import { benchModel } from './lib/bench-model.js';
import { benchArg } from './lib/bench-arg.js';

const here = dirname(fileURLToPath(import.meta.url));
const out = (s: string) => process.stdout.write(`${s}\n`);
const seconds = Number(benchArg('seconds', '1'));
const threadChoices = benchArg('threads', '1,2').split(',').map(Number);
const devices = benchArg('devices', webgpuBundled() ? 'cpu,webgpu' : 'cpu').split(',') as ExecutionDevice[];
const BATCHES = [64, 256] as const;

setLogLevel('warn');

async function modelDir(): Promise<{ dir: string; source: string }> {
  const m = await benchModel(resolve(benchArg('model', join(here, '../models/mnist-vae'))));
  return { dir: m.dir, source: m.label };
}

function images(n: number): Tensor {
  const rng = new Rng(n);
  const data = new Float32Array(n * 784);
  for (let i = 0; i < data.length; i++) data[i] = Math.floor(rng.uniform() * 256) / 255;
  return { data, shape: [n, 784] };
}

type Runner = (x: Tensor) => Promise<unknown>;

/** Runs `fn` for about `budget` seconds (at least `minRuns`), returning per-run milliseconds. */
async function timeRuns(fn: Runner, x: Tensor, budget: number, minRuns = 5): Promise<number[]> {
  for (let i = 0; i < 3; i++) await fn(x);
  const times: number[] = [];
  const end = performance.now() + budget * 1000;
  while (times.length < minRuns || performance.now() < end) {
    const t0 = performance.now();
    await fn(x);
    times.push(performance.now() - t0);
  }
  return times;
}

function quantile(sorted: number[], q: number): number {
  return sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))]!;
}

interface Measurement {
  latencyMs: { median: number; p90: number; runs: number };
  throughput: Record<string, { imagesPerSecond: number; msPerRun: number; runs: number }>;
}

async function measure(fn: Runner, rounds: number): Promise<Measurement> {
  const lat = (await timeRuns(fn, images(1), seconds / rounds)).sort((a, b) => a - b);
  const throughput: Measurement['throughput'] = {};
  for (const b of BATCHES) {
    const t = await timeRuns(fn, images(b), seconds / rounds);
    const total = t.reduce((s, v) => s + v, 0);
    throughput[String(b)] = {
      imagesPerSecond: (b * t.length) / (total / 1000),
      msPerRun: total / t.length,
      runs: t.length,
    };
  }
  return { latencyMs: { median: quantile(lat, 0.5), p90: quantile(lat, 0.9), runs: lat.length }, throughput };
}

/** Merges measurements of interleaved rounds (medians of medians; throughput over all runs). */
function merge(parts: Measurement[]): Measurement {
  const med = (v: number[]) => [...v].sort((a, b) => a - b)[Math.floor(v.length / 2)]!;
  const throughput: Measurement['throughput'] = {};
  for (const b of BATCHES) {
    const k = String(b);
    const runs = parts.reduce((s, p) => s + p.throughput[k]!.runs, 0);
    const ms = parts.reduce((s, p) => s + p.throughput[k]!.msPerRun * p.throughput[k]!.runs, 0);
    throughput[k] = { imagesPerSecond: (b * runs) / (ms / 1000), msPerRun: ms / runs, runs };
  }
  return {
    latencyMs: {
      median: med(parts.map((p) => p.latencyMs.median)),
      p90: med(parts.map((p) => p.latencyMs.p90)),
      runs: parts.reduce((s, p) => s + p.latencyMs.runs, 0),
    },
    throughput,
  };
}

function bareProviders(device: ExecutionDevice): ort.InferenceSession.ExecutionProviderConfig[] {
  return device === 'webgpu' ? [{ name: 'webgpu' }] : ['cpu'];
}

const { dir, source } = await modelDir();
out(`encoder benchmark: ${source}`);
out(
  `${cpus().length} × ${cpus()[0]?.model ?? 'cpu'}, Node ${process.version}, onnxruntime-node ${ort.env.versions.node ?? '?'}; ${seconds}s per measurement`,
);
if (devices.includes('webgpu')) out(`VK_ICD_FILENAMES=${ensureVulkanIcd() ?? '(unset)'}`);

const results: Record<string, unknown>[] = [];
const rounds = 3;
for (const device of devices) {
  const threadList = device === 'cpu' ? threadChoices : [threadChoices[0]!];
  for (const threads of threadList) {
    let model: VaeModel;
    let bare: ort.InferenceSession;
    try {
      model = await loadModel(dir, { device, threads });
      bare = await ort.InferenceSession.create(join(dir, 'encoder.onnx'), {
        executionProviders: bareProviders(device),
        graphOptimizationLevel: 'all',
        intraOpNumThreads: threads,
        interOpNumThreads: 1,
        logSeverityLevel: 3,
      });
    } catch (err) {
      out(`${device}: unavailable (${err instanceof Error ? err.message.split('\n')[0] : String(err)})`);
      results.push({ device, threads, error: err instanceof Error ? err.message : String(err) });
      continue;
    }
    const api: Runner = (x) => model.encode(x);
    const raw: Runner = (x) => bare.run({ x: new ort.Tensor('float32', x.data, x.shape) });
    const apiParts: Measurement[] = [];
    const bareParts: Measurement[] = [];
    for (let r = 0; r < rounds; r++) {
      bareParts.push(await measure(raw, rounds));
      apiParts.push(await measure(api, rounds));
    }
    const a = merge(apiParts);
    const b = merge(bareParts);
    const ratios = {
      latencyBatch1: a.latencyMs.median / b.latencyMs.median,
      ...Object.fromEntries(
        BATCHES.map((n) => [
          `throughputBatch${n}`,
          a.throughput[String(n)]!.imagesPerSecond / b.throughput[String(n)]!.imagesPerSecond,
        ]),
      ),
    };
    results.push({ device, threads, api: a, bareOrt: b, apiOverBare: ratios });
    await model.release();
    await bare.release();
  }
}

const report = {
  benchmark: 'encoder',
  date: new Date().toISOString(),
  model: source,
  machine: {
    cpus: cpus().length,
    cpu: cpus()[0]?.model ?? null,
    node: process.version,
    onnxruntimeNode: ort.env.versions.node ?? null,
  },
  secondsPerMeasurement: seconds,
  interleavedRounds: rounds,
  results,
};
const file = join(here, 'encoder-results.json');
await writeFile(`${file}.tmp`, `${JSON.stringify(report, null, 2)}\n`);
await rename(`${file}.tmp`, file);

const pad = (s: string, n: number) => s.padEnd(n);
out('');
out(
  `${pad('device', 8)}${pad('threads', 8)}${pad('runner', 10)}${pad('b=1 ms p50', 12)}${pad('b=1 ms p90', 12)}${pad('b=64 img/s', 14)}${pad('b=256 img/s', 14)}`,
);
for (const r of results) {
  if ('error' in r) continue;
  for (const [label, m] of [
    ['api', r.api],
    ['bare ort', r.bareOrt],
  ] as const) {
    const mm = m as Measurement;
    out(
      `${pad(String(r.device), 8)}${pad(String(r.threads), 8)}${pad(label, 10)}${pad(mm.latencyMs.median.toFixed(3), 12)}${pad(mm.latencyMs.p90.toFixed(3), 12)}` +
        `${pad(Math.round(mm.throughput['64']!.imagesPerSecond).toLocaleString('en-US'), 14)}${pad(Math.round(mm.throughput['256']!.imagesPerSecond).toLocaleString('en-US'), 14)}`,
    );
  }
  const q = r.apiOverBare as Record<string, number>;
  out(
    `${pad('', 16)}api/bare: latency ×${q.latencyBatch1!.toFixed(2)}, throughput b=64 ×${q.throughputBatch64!.toFixed(2)}, b=256 ×${q.throughputBatch256!.toFixed(2)}`,
  );
}
out(`\nwrote ${file}`);
