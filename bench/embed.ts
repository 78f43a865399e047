/**
 * Bulk embedding and similarity search (@vae/embed), measured in one run:
 *
 *   tsx bench/embed.ts [--model models/mnist-vae] [--rounds 5] [--batch 256] [--threads 1]
 *                      [--chunk-size 8192] [--limit 60000] [--queries 1000] [--nprobes 20] [--refine 10]
 *
 * (a) Throughput: MNIST train (60,000 images) through `embedCorpus` into a fresh LanceDB table
 *   (hashing, conversion, encoder, Arrow rows, commits) against the bare onnxruntime-node encoder
 *   (bench/lib/bare-encoder.ts) at the same batch size and threads, in two forms:
 *   - `bare` (the baseline, goal embed ≥ 0.80 × bare): what a competent user writes with the same
 *     decoded pixels (the corpus's uint8 bytes, as every dataset keeps them) and a bare session: per
 *     batch, convert the bytes to floats in a plain loop into one reused buffer (`* (1 / 255)`, the
 *     fastest of `/ 255`, `* (1 / 255)` and a lookup table measured here), run the session, keep μ;
 *   - `encoder only`: the session alone over the same images already converted to floats (the
 *     conversion done before timing, μ discarded): the ceiling no pipeline that starts from pixels
 *     can reach, reported as a second ratio.
 *   Each round runs encoder only, bare, embed; ratios are of the median rates. The worker thread
 *   that prepares chunks is started once before the rounds (like the bare session). The process's
 *   CPU seconds per pass (all threads) are reported too: on a shared machine they show the work
 *   each side needs, which the wall-clock rates cannot.
 * (b) Search: the IVF-PQ index is built on the table's μ (60,000 × 20); recall@10 of the index
 *   (nprobes, refine factor) against exact flat search over `queries` stored vectors (evenly
 *   spaced ids), and the latency of both (median / p95 per query, one query at a time); a few other
 *   settings are measured for the trade-off.
 * Writes bench/embed-results.json.
 */
import { mkdtemp, rename, rm, writeFile } from 'node:fs/promises';
import { cpus, loadavg, tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { setLogLevel } from '@vae/core';
import {
  ChunkPreparer,
  EmbeddingTable,
  buildIndex,
  embedCorpus,
  loadCorpus,
  openTableForRead,
  searchVector,
  tableMeta,
  TableWriter,
} from '@vae/embed';
import { loadModel } from '@vae/runtime-node';
import { bareEncoder } from './lib/bare-encoder.js';
import { benchModel } from './lib/bench-model.js';
import { benchArg } from './lib/bench-arg.js';

const here = dirname(fileURLToPath(import.meta.url));
const out = (s: string) => process.stdout.write(`${s}\n`);
const rounds = Number(benchArg('rounds', '5'));
const batch = Number(benchArg('batch', '256'));
const threads = Number(benchArg('threads', '1'));
const chunkSize = Number(benchArg('chunk-size', '8192'));
const limit = Number(benchArg('limit', '60000'));
const queries = Number(benchArg('queries', '1000'));
const nprobes = Number(benchArg('nprobes', '20'));
const refineFactor = Number(benchArg('refine', '10'));
setLogLevel('warn');
/** Other index settings measured for the trade-off (nprobes, refine factor). */
const SWEEP: readonly (readonly [number, number])[] = [
  [5, 1],
  [10, 1],
  [10, 5],
  [40, 20],
];

const med = (v: readonly number[]) => [...v].sort((a, b) => a - b)[Math.floor(v.length / 2)]!;
const p95 = (v: readonly number[]) =>
  [...v].sort((a, b) => a - b)[Math.min(v.length - 1, Math.floor(v.length * 0.95))]!;

const bench = await benchModel(resolve(benchArg('model', join(here, '../models/mnist-vae'))));
const corpus = await loadCorpus({ dataset: 'mnist', split: 'train', limit });
const n = corpus.count;
const d = corpus.inputSize;
const model = await loadModel(bench.dir, { device: 'cpu', threads });
const bare = await bareEncoder(bench.dir, threads);
const preparer = new ChunkPreparer(corpus.pixels, d);
await preparer.prepare(0, 0, corpus.labels.subarray(0, 1)); // the worker has started
const x = Float32Array.from(corpus.pixels, (p) => p / 255);
const muName = model.manifest.graphs.encoder.outputs[0]!.name;
const scratch = await mkdtemp(join(tmpdir(), 'vae-bench-embed-'));
/** Each embed pass writes a new table (the last one is searched). */
let passes = 0;
let tablePath = '';
const meta = tableMeta(model, bench.dir, corpus, { chunkSize });

/** Items/s and the process's CPU seconds (all threads: encoder, worker, LanceDB) of one pass. */
interface Pass {
  readonly rate: number;
  readonly cpuSeconds: number;
}

async function timed(run: () => Promise<void>): Promise<Pass> {
  const cpu0 = process.cpuUsage();
  const t0 = performance.now();
  await run();
  const seconds = (performance.now() - t0) / 1000;
  const cpu = process.cpuUsage(cpu0);
  return { rate: n / seconds, cpuSeconds: (cpu.user + cpu.system) / 1e6 };
}

/** The session alone on floats converted before timing (the ceiling). */
function encoderOnlyRun(): Promise<Pass> {
  return timed(async () => {
    for (let s = 0; s < n; s += batch) {
      const m = Math.min(batch, n - s);
      await bare.run({ data: x.subarray(s * d, (s + m) * d), shape: [m, d] });
    }
  });
}

/** A competent user's conversion: bytes / 255 into `out`, one plain loop (`* k`: the fastest measured). */
function toUnit(bytes: Uint8Array, out: Float32Array): void {
  const k = 1 / 255;
  for (let i = 0; i < bytes.length; i++) out[i] = bytes[i]! * k;
}

/** A competent user's loop from the decoded pixels: convert a batch into one buffer, run, keep μ. */
function bareRun(): Promise<Pass> {
  const input = new Float32Array(batch * d);
  const mu = new Float32Array(n * meta.dim);
  return timed(async () => {
    for (let s = 0; s < n; s += batch) {
      const m = Math.min(batch, n - s);
      toUnit(corpus.pixels.subarray(s * d, (s + m) * d), input);
      const out = (await bare.run({ data: input.subarray(0, m * d), shape: [m, d] })) as Record<
        string,
        { data: Float32Array }
      >;
      mu.set(out[muName]!.data, s * meta.dim);
    }
  });
}

async function embedRun(): Promise<Pass> {
  // The product path (embedToTable): rows serialised on its worker thread, committed from this one.
  tablePath = join(scratch, `mnist-train-${++passes}.lance`);
  const writer = await TableWriter.open(tablePath, meta);
  let pass: Pass;
  try {
    pass = await timed(async () => {
      await embedCorpus(model, corpus, writer, { chunkSize, batchSize: batch, preparer });
    });
  } finally {
    await writer.close();
  }
  const { table } = await openTableForRead(tablePath);
  const rows = await table.countRows();
  table.close();
  if (rows !== n) throw new Error(`embed run: expected ${n} rows, got ${rows}`);
  return pass;
}

try {
  await encoderOnlyRun(); // warm-ups: JIT, LanceDB's first table
  await bareRun();
  await embedRun();
  const encoderOnly: Pass[] = [];
  const bares: Pass[] = [];
  const embeds: Pass[] = [];
  const show = (p: Pass) => `${Math.round(p.rate)} items/s (${p.cpuSeconds.toFixed(2)} CPU-s)`;
  for (let r = 0; r < rounds; r++) {
    encoderOnly.push(await encoderOnlyRun());
    bares.push(await bareRun());
    embeds.push(await embedRun());
    out(
      `round ${r + 1}: encoder only ${show(encoderOnly[r]!)}, bare ${show(bares[r]!)}, embed → LanceDB ${show(embeds[r]!)}: ${(embeds[r]!.rate / bares[r]!.rate).toFixed(3)} of bare, ${(embeds[r]!.rate / encoderOnly[r]!.rate).toFixed(3)} of encoder only`,
    );
  }
  const rate = (p: readonly Pass[]) => med(p.map((q) => q.rate));
  const cpu = (p: readonly Pass[]) => med(p.map((q) => q.cpuSeconds));
  const throughput = {
    items: n,
    batch,
    threads,
    chunkSize,
    rounds,
    bareItemsPerSecond: rate(bares),
    encoderOnlyItemsPerSecond: rate(encoderOnly),
    embedItemsPerSecond: rate(embeds),
    ratio: rate(embeds) / rate(bares),
    ratioToEncoderOnly: rate(embeds) / rate(encoderOnly),
    perRoundRatios: embeds.map((e, i) => e.rate / bares[i]!.rate),
    perRoundRatiosToEncoderOnly: embeds.map((e, i) => e.rate / encoderOnly[i]!.rate),
    bareCpuSeconds: cpu(bares),
    encoderOnlyCpuSeconds: cpu(encoderOnly),
    embedCpuSeconds: cpu(embeds),
    loadavgAfter: loadavg(),
  };
  out(
    `throughput: embed ${Math.round(throughput.embedItemsPerSecond)} items/s vs bare encoder from pixels ${Math.round(throughput.bareItemsPerSecond)} items/s: ${throughput.ratio.toFixed(3)} (goal ≥ 0.80); vs encoder only (floats given) ${Math.round(throughput.encoderOnlyItemsPerSecond)} items/s: ${throughput.ratioToEncoderOnly.toFixed(3)}; CPU-s per pass: bare ${throughput.bareCpuSeconds.toFixed(2)}, encoder only ${throughput.encoderOnlyCpuSeconds.toFixed(2)}, embed ${throughput.embedCpuSeconds.toFixed(2)}`,
  );

  // (b) Search on the table of the last round.
  const table = (await EmbeddingTable.open(tablePath, meta)).table;
  const t0 = performance.now();
  const kind = await buildIndex(table, 'ivf-pq', meta.dim);
  const indexSeconds = (performance.now() - t0) / 1000;
  const all = await table.query().select(['id', 'vector']).toArrow();
  const vectors = new Map<number, Float32Array>();
  for (let i = 0; i < all.numRows; i++)
    vectors.set(all.getChild('id')!.get(i) as number, Float32Array.from(all.getChild('vector')!.get(i).toArray()));
  const ids = Array.from({ length: Math.min(queries, n) }, (_, i) => Math.floor((i * n) / Math.min(queries, n)));
  const exactMs: number[] = [];
  const exactIds: Set<number>[] = [];
  for (const id of ids) {
    const s = performance.now();
    const exact = await searchVector(table, vectors.get(id)!, { k: 10, exact: true });
    exactMs.push(performance.now() - s);
    exactIds.push(new Set(exact.map((h) => h.id)));
  }
  /** recall@10 and per-query latencies of the index at one setting. */
  const annAt = async (probes: number, refine: number) => {
    const ms: number[] = [];
    let hits = 0;
    for (const [q, id] of ids.entries()) {
      const s = performance.now();
      const ann = await searchVector(table, vectors.get(id)!, { k: 10, nprobes: probes, refineFactor: refine });
      ms.push(performance.now() - s);
      hits += ann.filter((h) => exactIds[q]!.has(h.id)).length;
    }
    return {
      nprobes: probes,
      refineFactor: refine,
      recallAt10: hits / (10 * ids.length),
      latencyMs: { median: med(ms), p95: p95(ms) },
    };
  };
  const headline = await annAt(nprobes, refineFactor);
  const sweep = [];
  for (const [probes, refine] of SWEEP) {
    const r = await annAt(probes, refine);
    sweep.push(r);
    out(
      `  nprobes ${probes}, refine ${refine}: recall@10 ${r.recallAt10.toFixed(4)}, median ${r.latencyMs.median.toFixed(2)} ms, p95 ${r.latencyMs.p95.toFixed(2)} ms`,
    );
  }
  table.close();
  const search = {
    index: kind,
    rows: n,
    dim: meta.dim,
    indexSeconds,
    nprobes,
    refineFactor,
    queries: ids.length,
    recallAt10: headline.recallAt10,
    annLatencyMs: headline.latencyMs,
    exactLatencyMs: { median: med(exactMs), p95: p95(exactMs) },
    sweep,
  };
  out(
    `search: ${kind} (built in ${indexSeconds.toFixed(1)} s), recall@10 ${search.recallAt10.toFixed(4)} over ${ids.length} queries (nprobes ${nprobes}, refine ${refineFactor}); latency median / p95: index ${search.annLatencyMs.median.toFixed(2)} / ${search.annLatencyMs.p95.toFixed(2)} ms, exact ${search.exactLatencyMs.median.toFixed(2)} / ${search.exactLatencyMs.p95.toFixed(2)} ms`,
  );
  const report = {
    benchmark: 'embed',
    date: new Date().toISOString(),
    machine: { cpus: cpus().length, cpu: cpus()[0]?.model ?? 'unknown', loadavg: loadavg() },
    model: bench.label,
    throughput,
    search,
  };
  const file = join(here, 'embed-results.json');
  await writeFile(`${file}.tmp`, `${JSON.stringify(report, null, 2)}\n`);
  await rename(`${file}.tmp`, file);
  out(`wrote ${file}`);
} finally {
  await preparer.close();
  await bare.release();
  await model.release();
  await rm(scratch, { recursive: true, force: true });
}
