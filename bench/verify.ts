/**
 * Cost of the golden check at load: `loadModel` with `verify: true` against `verify: false` on the
 * same model, per runtime (onnxruntime-node cpu; onnxruntime-web wasm in Node), loads interleaved
 * (with, without, with, …; the order flips every pair) after warm-up loads, each model released
 * before the next load.
 *
 *   tsx bench/verify.ts [--model models/mnist-vae] [--loads 25] [--warmup 3]
 *
 * Reports the median and p90 load time of each mode, their difference (the check's cost as a user
 * sees it) and the median of `verification.ms` (golden file read, checksum, parse and rows run, as the
 * loader times it), with the machine's load average. Writes bench/verify-results.json.
 */
import { rename, stat, writeFile } from 'node:fs/promises';
import { cpus, loadavg } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { GOLDEN_FILE, VaeModel, setLogLevel, type Backend } from '@vae/core';
import { nodeFileSource, onnxruntimeNodeBackend } from '@vae/runtime-node';
import { nodeWebBackend } from '@vae/runtime-web/node';
import { benchArg } from './lib/bench-arg.js';

const here = dirname(fileURLToPath(import.meta.url));
const dir = resolve(benchArg('model', join(here, '../models/mnist-vae')));
const loads = Number(benchArg('loads', '25'));
const warmup = Number(benchArg('warmup', '3'));
if (!Number.isInteger(loads) || loads < 20) throw new RangeError(`--loads: expected an integer ≥ 20, got ${loads}`);
setLogLevel('warn');

interface Runtime {
  readonly name: string;
  readonly device: string;
  readonly backend: Backend;
}
const RUNTIMES: readonly Runtime[] = [
  { name: 'ort-node-cpu', device: 'cpu', backend: onnxruntimeNodeBackend },
  { name: 'ort-web-wasm (Node)', device: 'wasm', backend: nodeWebBackend() },
];

/** One load (and release): total milliseconds and the check's own `verification.ms`. */
async function timedLoad(r: Runtime, verify: boolean): Promise<{ ms: number; checkMs: number }> {
  const t0 = performance.now();
  const m = await VaeModel.load(nodeFileSource(dir), { device: r.device, backends: [r.backend], verify });
  const ms = performance.now() - t0;
  if (verify && m.verification.status !== 'passed')
    throw new Error(`${r.name}: expected the golden check to pass, got ${m.verification.status}`);
  const checkMs = m.verification.ms;
  await m.release();
  return { ms, checkMs };
}

const median = (a: number[]): number => [...a].sort((x, y) => x - y)[Math.floor(a.length / 2)]!;
const p90 = (a: number[]): number => [...a].sort((x, y) => x - y)[Math.min(a.length - 1, Math.floor(0.9 * a.length))]!;
const round = (v: number): number => Math.round(v * 1000) / 1000;

async function measure(r: Runtime) {
  for (let i = 0; i < warmup; i++) {
    await timedLoad(r, true);
    await timedLoad(r, false);
  }
  const on: number[] = [];
  const off: number[] = [];
  const check: number[] = [];
  for (let i = 0; i < loads; i++) {
    const order = i % 2 === 0 ? [true, false] : [false, true];
    for (const verify of order) {
      const t = await timedLoad(r, verify);
      (verify ? on : off).push(t.ms);
      if (verify) check.push(t.checkMs);
    }
  }
  const result = {
    runtime: r.name,
    device: r.device,
    loads,
    withVerifyMs: { median: round(median(on)), p90: round(p90(on)) },
    withoutVerifyMs: { median: round(median(off)), p90: round(p90(off)) },
    extraMedianMs: round(median(on) - median(off)),
    checkMs: { median: round(median(check)), p90: round(p90(check)) },
  };
  process.stdout.write(
    `${r.name}: load ${result.withoutVerifyMs.median} ms → ${result.withVerifyMs.median} ms with verify (+${result.extraMedianMs} ms; verification.ms median ${result.checkMs.median})\n`,
  );
  return result;
}

const loadBefore = loadavg();
const results = [];
for (const r of RUNTIMES) results.push(await measure(r));
const report = {
  benchmark: 'verify',
  date: new Date().toISOString(),
  model: dir,
  goldenBytes: (await stat(join(dir, GOLDEN_FILE))).size,
  machine: { cpus: cpus().length, loadAverage: { before: loadBefore, after: loadavg() } },
  targetMs: 50,
  results,
};
const file = join(here, 'verify-results.json');
await writeFile(`${file}.tmp`, `${JSON.stringify(report, null, 2)}\n`);
await rename(`${file}.tmp`, file);
