/**
 * Embedding throughput on the BullMQ queue with 1 and 2 `vae worker` processes against the
 * single-process local run, on the same MNIST items, in one run, with a real redis-server on
 * loopback.
 *
 *   tsx bench/embed-queue.ts [--model models/mnist-vae] [--items 60000] [--chunk-size 2000] [--batch 256]
 *
 * Each worker runs onnxruntime with 1 intra-op thread (so 2 workers use the 2 cores without
 * oversubscribing); the local run also uses 1 thread. The queue figures are wall time from the
 * first job added to the last result decoded and stored by the producer (its sink only counts:
 * the store's own cost is not in them), with workers already started. CPU seconds of the producer,
 * the workers and redis-server over the same span show where the cores went. Writes
 * bench/embed-queue-results.json.
 */
import { readFileSync } from 'node:fs';
import { rename, writeFile } from 'node:fs/promises';
import { cpus } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { setLogLevel } from '@vae/core';
import {
  corpusChunk,
  type EmbeddedChunk,
  type EmbeddingSink,
  embedChunk,
  embedViaQueue,
  loadCorpus,
  modelIdOf,
  redisConnection,
} from '@vae/embed';
import { loadModel } from '@vae/runtime-node';
import { type CliProcess, spawnCli, stopCli } from './lib/cli-process.js';
import { redisSkipReason, startRedis } from './lib/redis-server.js';
import { benchArg } from './lib/bench-arg.js';

const here = dirname(fileURLToPath(import.meta.url));
const out = (s: string) => process.stdout.write(`${s}\n`);
const modelDir = resolve(benchArg('model', join(here, '../models/mnist-vae')));
const items = Number(benchArg('items', '60000'));
const chunkSize = Number(benchArg('chunk-size', '2000'));
const batch = Number(benchArg('batch', '256'));
const WORKER_COUNTS = [1, 2] as const;

setLogLevel('warn');
const unavailable = redisSkipReason();
if (unavailable) throw new Error(`embed-queue bench: ${unavailable}`);

/** User + system CPU seconds a process has used so far (Linux /proc). */
function cpuSeconds(pid: number | undefined): number {
  if (pid === undefined) return Number.NaN;
  try {
    const fields = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1]!.split(' ');
    return (Number(fields[11]) + Number(fields[12])) / 100;
  } catch {
    return Number.NaN;
  }
}
const ownCpu = () => {
  const u = process.cpuUsage();
  return (u.user + u.system) / 1e6;
};

/** A sink that only counts what it receives (the benchmark measures the queue, not a store). */
class CountingSink implements EmbeddingSink {
  items = 0;
  async storedKeys(): Promise<ReadonlySet<string>> {
    return new Set();
  }
  async write(c: EmbeddedChunk): Promise<void> {
    this.items += c.count;
  }
}

const corpus = await loadCorpus({ dataset: 'mnist', split: 'train', limit: items });
const d = corpus.inputSize;
const n = corpus.count;
const chunks = Array.from({ length: Math.ceil(n / chunkSize) }, (_, i) => corpusChunk(corpus, i, chunkSize));

const model = await loadModel(modelDir, { device: 'cpu', threads: 1 });
for (const c of chunks.slice(0, 2)) await embedChunk(model, c, { batchSize: batch, logvar: true });
const t0 = performance.now();
for (const c of chunks) await embedChunk(model, c, { batchSize: batch, logvar: true });
const localSeconds = (performance.now() - t0) / 1000;
const local = { itemsPerSecond: n / localSeconds, seconds: localSeconds };
out(`local (1 process, 1 thread): ${local.itemsPerSecond.toFixed(0)} items/s (${localSeconds.toFixed(2)} s)`);

const redis = await startRedis();
interface QueueRow {
  workers: number;
  itemsPerSecond: number;
  seconds: number;
  chunksPerWorker: number[];
  cpuSeconds: { producer: number; workers: number[]; redis: number };
}
const queue: QueueRow[] = [];
try {
  const connection = redisConnection({ url: redis.url });
  for (const count of WORKER_COUNTS) {
    const workers: CliProcess[] = Array.from({ length: count }, () =>
      spawnCli(['worker', '--queue', redis.url, '--model', modelDir, '--threads', '1', '--log-level', 'warn']),
    );
    try {
      await Promise.all(workers.map((w) => w.waitFor(/worker ready/)));
      const sink = new CountingSink();
      const cpu0 = {
        producer: ownCpu(),
        workers: workers.map((w) => cpuSeconds(w.child.pid)),
        redis: cpuSeconds(redis.process.pid),
      };
      const r = await embedViaQueue({
        connection,
        runId: `bench-${count}`,
        modelId: modelIdOf(model),
        inputSize: d,
        dim: model.latentDim,
        chunks,
        sink,
        batchSize: batch,
        logvar: true,
      });
      const cpuSpent = {
        producer: ownCpu() - cpu0.producer,
        workers: workers.map((w, i) => cpuSeconds(w.child.pid) - cpu0.workers[i]!),
        redis: cpuSeconds(redis.process.pid) - cpu0.redis,
      };
      if (sink.items !== n) throw new Error(`expected ${n} items stored, got ${sink.items}`);
      const chunksPerWorker: number[] = [];
      for (const w of workers) {
        await stopCli(w);
        chunksPerWorker.push(Number(/worker stopped after (\d+) chunks/.exec(w.output())?.[1] ?? Number.NaN));
      }
      queue.push({
        workers: count,
        itemsPerSecond: n / r.seconds,
        seconds: r.seconds,
        chunksPerWorker,
        cpuSeconds: cpuSpent,
      });
      out(
        `queue, ${count} worker process(es): ${(n / r.seconds).toFixed(0)} items/s (${r.seconds.toFixed(2)} s; chunks per worker ${chunksPerWorker.join(', ')}; CPU s: producer ${cpuSpent.producer.toFixed(2)}, workers ${cpuSpent.workers.map((c) => c.toFixed(2)).join(' + ')}, redis ${cpuSpent.redis.toFixed(2)})`,
      );
    } finally {
      await Promise.all(workers.map((w) => stopCli(w, 'SIGKILL')));
    }
  }
} finally {
  await redis.stop();
  await model.release();
}

const report = {
  benchmark: 'embed-queue',
  date: new Date().toISOString(),
  machine: { cpus: cpus().length, model: cpus()[0]?.model ?? 'unknown' },
  model: modelDir,
  items: n,
  chunkSize,
  chunks: chunks.length,
  batch,
  threadsPerProcess: 1,
  local,
  queue,
  twoOverOne: queue.length === 2 ? queue[1]!.itemsPerSecond / queue[0]!.itemsPerSecond : null,
};
const file = join(here, 'embed-queue-results.json');
await writeFile(`${file}.tmp`, `${JSON.stringify(report, null, 2)}\n`);
await rename(`${file}.tmp`, file);
out(`wrote ${file}`);
