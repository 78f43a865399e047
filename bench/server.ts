/**
 * Inference server under load: requests/s and p50/p99 latency at 64 concurrent loopback clients
 * (autocannon in this process, the server in a child process), dynamic micro-batching on vs off,
 * measured in one run. Each request is one Open Inference Protocol `infer` call on the encoder with
 * one 28×28 image, as FP32 JSON or with the binary tensor data extension (JSON header + 3136 raw
 * bytes). The WebGPU rows (SwiftShader here: ~0.1 s per run) show batching on a device with a high
 * cost per run.
 *
 * Then, on one CPU server child with default limits: successful throughput under overload (512
 * connections × 8 pipelined) against the unsaturated rate (64 connections), and the heavy
 * log-likelihood request's RSS (before / peak / after) with concurrent health-probe latency.
 *
 *   tsx bench/server.ts [--model models/mnist-vae] [--seconds 10] [--rounds 3] [--connections 64] [--devices cpu,webgpu]
 *                       [--sections batching,overload,heavy]
 *
 * Without `models/mnist-vae` a 784-400-20 VAE with seeded random weights is exported to a temp dir.
 * Writes bench/server-results.json.
 */
import { fork, type ChildProcess } from 'node:child_process';
import { rename, writeFile } from 'node:fs/promises';
import { cpus } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import autocannon from 'autocannon';
import { Rng, setLogLevel } from '@vae/core';
import { loadModel } from '@vae/runtime-node';
import { createVaeServer, type BatchingOptions } from '@vae/server';
import { benchModel } from './lib/bench-model.js';
import { measureHeavy, measureOverload } from './lib/server-stress.js';
import { benchArg } from './lib/bench-arg.js';

const here = dirname(fileURLToPath(import.meta.url));
const out = (s: string) => process.stdout.write(`${s}\n`);
setLogLevel('warn');

interface ChildConfig {
  readonly dir: string;
  readonly device: 'cpu' | 'webgpu';
  readonly batching: Partial<BatchingOptions>;
}

/** Child mode: load the model, serve it on 127.0.0.1:0, report the URL, stop on SIGTERM. */
async function child(config: ChildConfig): Promise<void> {
  const model = await loadModel(config.dir, { device: config.device });
  const server = createVaeServer({ model, ownsModel: true, defaultMetrics: false, batching: config.batching });
  const url = await server.listen({ host: '127.0.0.1', port: 0 });
  process.on('SIGTERM', () => {
    void server.close().then(() => process.exit(0));
  });
  process.send?.({ url, name: model.manifest.name });
}

async function modelDir(): Promise<{ dir: string; source: string }> {
  const m = await benchModel(resolve(benchArg('model', join(here, '../models/mnist-vae'))));
  return { dir: m.dir, source: m.label };
}

function startChild(config: ChildConfig): Promise<{ proc: ChildProcess; url: string; name: string; pid: number }> {
  const proc = fork(fileURLToPath(import.meta.url), ['--child', JSON.stringify(config)], {
    execArgv: ['--import', 'tsx'],
    stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
  });
  return new Promise((resolvePromise, reject) => {
    proc.once('message', (m: { url: string; name: string }) => resolvePromise({ proc, pid: proc.pid!, ...m }));
    proc.once('exit', (code) => reject(new Error(`server child exited with code ${code}`)));
  });
}

function metric(text: string, name: string, model: string): number {
  const line = text.split('\n').find((l) => l.startsWith(`${name}{`) && l.includes(`model="${model}"`));
  return line ? Number(line.split(' ').pop()) : Number.NaN;
}

interface Payload {
  readonly body: string | Buffer;
  readonly headers: Record<string, string>;
}

async function load(url: string, payload: Payload, seconds: number, connections: number): Promise<autocannon.Result> {
  return autocannon({
    url,
    method: 'POST',
    headers: payload.headers,
    body: payload.body,
    connections,
    duration: seconds,
  });
}

async function main(): Promise<void> {
  const seconds = Number(benchArg('seconds', '10'));
  const connections = Number(benchArg('connections', '64'));
  const { dir, source } = await modelDir();
  const rng = new Rng(3);
  const pixels = Array.from({ length: 784 }, () => Math.floor(rng.uniform() * 256) / 255);
  const jsonBody = JSON.stringify({ inputs: [{ name: 'x', shape: [1, 784], datatype: 'FP32', data: pixels }] });
  const header = Buffer.from(
    JSON.stringify({
      inputs: [{ name: 'x', shape: [1, 784], datatype: 'FP32', parameters: { binary_data_size: 784 * 4 } }],
    }),
  );
  const payloads: Record<'json' | 'binary', Payload> = {
    json: { body: jsonBody, headers: { 'content-type': 'application/json' } },
    binary: {
      body: Buffer.concat([header, Buffer.from(Float32Array.from(pixels).buffer)]),
      headers: { 'content-type': 'application/octet-stream', 'inference-header-content-length': String(header.length) },
    },
  };
  const devices = benchArg('devices', 'cpu,webgpu').split(',') as ('cpu' | 'webgpu')[];
  const sections = benchArg('sections', 'batching,overload,heavy').split(',');
  out(`server benchmark: ${source}`);
  out(
    `${cpus().length} × ${cpus()[0]?.model ?? 'cpu'}, Node ${process.version}; ${connections} connections, ${seconds}s per configuration; bodies: JSON ${jsonBody.length} B, binary ${payloads.binary.body.length} B (1 image)`,
  );

  const off: Partial<BatchingOptions> = { enabled: false };
  const on: Partial<BatchingOptions> = { enabled: true, maxBatchSize: 256, maxQueueDelayMs: 2 };
  const configs: { device: 'cpu' | 'webgpu'; payload: 'json' | 'binary'; batching: Partial<BatchingOptions> }[] = [];
  if (devices.includes('cpu') && sections.includes('batching')) {
    for (const payload of ['json', 'binary'] as const)
      configs.push({ device: 'cpu', payload, batching: off }, { device: 'cpu', payload, batching: on });
  }
  if (devices.includes('webgpu') && sections.includes('batching'))
    configs.push(
      { device: 'webgpu', payload: 'binary', batching: off },
      { device: 'webgpu', payload: 'binary', batching: on },
    );
  const label = (c: (typeof configs)[number]) =>
    `${c.device} ${c.payload} ${c.batching.enabled ? `batching (≤${c.batching.maxBatchSize}, ${c.batching.maxQueueDelayMs} ms)` : 'one run/request'}`;

  const rounds = Number(benchArg('rounds', '3'));
  // Every configuration keeps its own server child; rounds interleave the configurations so that
  // load from other processes on the machine affects all of them alike (medians are reported).
  const children: (Awaited<ReturnType<typeof startChild>> | null)[] = [];
  for (const config of configs) {
    try {
      children.push(await startChild({ dir, device: config.device, batching: config.batching }));
    } catch (err) {
      out(`${label(config)}: unavailable (${err instanceof Error ? err.message : String(err)})`);
      children.push(null);
    }
  }
  interface RoundResult {
    round: number;
    requestsPerSecond: number;
    latencyMs: { p50: number; p90: number; p99: number; max: number };
    requests: number;
    non2xx: number;
    errors: number;
    timeouts: number;
    modelRuns: number;
    meanRequestsPerRun: number;
  }
  const perConfig: RoundResult[][] = configs.map(() => []);
  try {
    for (let round = 0; round < rounds; round++) {
      for (const [i, config] of configs.entries()) {
        const child = children[i];
        // The WebGPU (SwiftShader) configurations are slow: one round is enough to show the effect.
        if (!child || (config.device === 'webgpu' && round > 0)) continue;
        const target = `${child.url}/v2/models/${child.name}-encoder/infer`;
        const payload = payloads[config.payload];
        if (round === 0) await load(target, payload, 2, connections);
        const before = await (await fetch(`${child.url}/metrics`)).text();
        const r = await load(target, payload, seconds, connections);
        const after = await (await fetch(`${child.url}/metrics`)).text();
        const model = `${child.name}-encoder`;
        const runs =
          metric(after, 'vae_batch_size_requests_count', model) -
          metric(before, 'vae_batch_size_requests_count', model);
        const requests =
          metric(after, 'vae_batch_size_requests_sum', model) - metric(before, 'vae_batch_size_requests_sum', model);
        perConfig[i]!.push({
          round,
          requestsPerSecond: r.requests.average,
          latencyMs: { p50: r.latency.p50, p90: r.latency.p90, p99: r.latency.p99, max: r.latency.max },
          requests: r.requests.total,
          non2xx: r.non2xx,
          errors: r.errors,
          timeouts: r.timeouts,
          modelRuns: runs,
          meanRequestsPerRun: requests / runs,
        });
      }
    }
  } finally {
    for (const child of children) {
      if (!child) continue;
      child.proc.kill('SIGTERM');
      await new Promise((r) => child.proc.once('exit', r));
    }
  }
  const median = (v: number[]): number => {
    const s = [...v].sort((a, b) => a - b);
    return s.length % 2 ? s[(s.length - 1) / 2]! : (s[s.length / 2 - 1]! + s[s.length / 2]!) / 2;
  };
  const results: Record<string, unknown>[] = [];
  configs.forEach((config, i) => {
    const rs = perConfig[i]!;
    if (rs.length === 0) return;
    results.push({
      configuration: label(config),
      device: config.device,
      payload: config.payload,
      batching: config.batching,
      requestsPerSecond: median(rs.map((r) => r.requestsPerSecond)),
      latencyMs: {
        p50: median(rs.map((r) => r.latencyMs.p50)),
        p90: median(rs.map((r) => r.latencyMs.p90)),
        p99: median(rs.map((r) => r.latencyMs.p99)),
      },
      non2xx: rs.reduce((n, r) => n + r.non2xx, 0),
      errors: rs.reduce((n, r) => n + r.errors, 0),
      timeouts: rs.reduce((n, r) => n + r.timeouts, 0),
      meanRequestsPerRun: median(rs.map((r) => r.meanRequestsPerRun)),
      rounds: rs,
    });
  });
  // Speed-up of batching: on/off requests/s within each round (same load conditions), median over rounds.
  const speedups: Record<string, number> = {};
  for (const device of devices) {
    for (const payload of ['json', 'binary'] as const) {
      const idx = (enabled: boolean) =>
        configs.findIndex((c) => c.device === device && c.payload === payload && c.batching.enabled === enabled);
      const a = perConfig[idx(true)] ?? [];
      const b = perConfig[idx(false)] ?? [];
      const ratios = a.flatMap((r) => {
        const base = b.find((x) => x.round === r.round);
        return base ? [r.requestsPerSecond / base.requestsPerSecond] : [];
      });
      if (ratios.length > 0) speedups[`${device}/${payload}`] = median(ratios);
    }
  }
  // Overload and heavy requests: one CPU child with the server's default limits.
  let stress: {
    overload?: Awaited<ReturnType<typeof measureOverload>>;
    heavy?: Awaited<ReturnType<typeof measureHeavy>>;
  } = {};
  if (sections.includes('overload') || sections.includes('heavy')) {
    const child = await startChild({ dir, device: 'cpu', batching: {} });
    try {
      if (sections.includes('overload'))
        stress = { ...stress, overload: await measureOverload(child, jsonBody, seconds, rounds) };
      const rows = (n: number) =>
        Array.from({ length: n }, () => Array.from({ length: 784 }, () => Math.floor(rng.uniform() * 256) / 255));
      if (sections.includes('heavy')) stress = { ...stress, heavy: await measureHeavy(child, rows) };
    } finally {
      child.proc.kill('SIGTERM');
      await new Promise((r) => child.proc.once('exit', r));
    }
  }
  const report = {
    benchmark: 'server',
    date: new Date().toISOString(),
    model: source,
    machine: { cpus: cpus().length, cpu: cpus()[0]?.model ?? null, node: process.version },
    connections,
    secondsPerConfiguration: seconds,
    rounds,
    statistic: 'median over interleaved rounds (WebGPU: one round); batchingSpeedup: median of per-round on/off ratios',
    requestBodyBytes: { json: jsonBody.length, binary: payloads.binary.body.length },
    results,
    batchingSpeedup: speedups,
    ...stress,
    goals: { batchingSpeedupAtLeast: 5, p99MsAtMost: 50, overloadSuccessRatioAtLeast: 0.8 },
  };
  const file = join(here, 'server-results.json');
  await writeFile(`${file}.tmp`, `${JSON.stringify(report, null, 2)}\n`);
  await rename(`${file}.tmp`, file);

  out('');
  out(
    `${'configuration'.padEnd(44)}${'req/s'.padEnd(10)}${'p50 ms'.padEnd(9)}${'p99 ms'.padEnd(9)}${'non-2xx'.padEnd(9)}${'req/run'.padEnd(8)}`,
  );
  for (const r of results) {
    const l = r.latencyMs as { p50: number; p99: number };
    out(
      `${String(r.configuration).padEnd(44)}${Math.round(r.requestsPerSecond as number)
        .toString()
        .padEnd(10)}${String(l.p50).padEnd(9)}${String(l.p99).padEnd(9)}` +
        `${String(r.non2xx).padEnd(9)}${(r.meanRequestsPerRun as number).toFixed(1).padEnd(8)}`,
    );
  }
  for (const [k, v] of Object.entries(speedups)) out(`batching speedup ${k} (on / off): ×${v.toFixed(2)}`);
  if (stress.overload) {
    for (const { unsaturated: u, overload: o, ratio } of stress.overload.rounds) {
      out(
        `unsaturated (64 conn) ${Math.round(u.successPerSecond)} ok/s, p99 ${u.latencyMs.p99} ms | overload (512 conn × 8 pipelined) ${Math.round(o.successPerSecond)} ok/s ` +
          `(${o.status503} × 503, ${o.otherNon2xx} other non-2xx, ${o.errors} errors), p99 ${o.latencyMs.p99} ms | ratio ${ratio.toFixed(2)}`,
      );
    }
    out(`overload / unsaturated successful throughput: median ratio ${stress.overload.ratio.toFixed(2)} (goal ≥ 0.8)`);
  }
  if (stress.heavy) {
    for (const [k, f] of Object.entries(stress.heavy)) {
      out(
        `heavy ${k}: ${f.status} in ${f.seconds.toFixed(1)} s; RSS ${f.rssMiB.before.toFixed(0)} → peak ${f.rssMiB.peak.toFixed(0)} → ${f.rssMiB.after.toFixed(0)} MiB; ${f.probes.ok}/${f.probes.count} probes ok, p50 ${f.probes.p50Ms.toFixed(0)} ms, max ${f.probes.maxMs.toFixed(0)} ms`,
      );
    }
  }
  out(`wrote ${file}`);
}

const childIndex = process.argv.indexOf('--child');
if (childIndex > 0) await child(JSON.parse(process.argv[childIndex + 1]!) as ChildConfig);
else await main();
