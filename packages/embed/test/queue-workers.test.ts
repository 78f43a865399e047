import type { VaeModel } from '@vae/core';
import { loadModel } from '@vae/runtime-node';
import { loadDataset } from '@vae/data/node';
import { Queue } from 'bullmq';
import { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type RedisFixture, redisSkipReason, startRedis } from '../../../test/redis-fixture.js';
import {
  bullmqConnection,
  type Chunk,
  chunkKey,
  type EmbeddedChunk,
  embedChunk,
  embedViaQueue,
  makeChunk,
  modelIdOf,
  QueueJobError,
  type QueueProgress,
  redisConnection,
  startQueueWorker,
} from '../src/index.js';
import {
  type CliProcess,
  MODEL_DIR,
  OTHER_MODEL_DIR,
  RecordingSink,
  sameBits,
  spawnCli,
  stopCli,
} from './queue-fixtures.js';

const skip = redisSkipReason();
if (skip) console.warn(`queue-workers tests skipped: ${skip}`);

const D = 784;
const CHUNKS = 40;
const CHUNK_SIZE = 50;
const BATCH = 25;
const LOCK_MS = 2000;

let redis: RedisFixture;
let model: VaeModel;
let chunks: Chunk[];
/** All 10,000 MNIST test images as one chunk: long enough to be mid-embedding when a signal comes. */
let big: Chunk;
const reference = new Map<string, EmbeddedChunk>();

beforeAll(async () => {
  if (skip) return;
  redis = await startRedis();
  model = await loadModel(MODEL_DIR, { device: 'cpu', threads: 1 });
  const mnist = await loadDataset('mnist');
  chunks = Array.from({ length: CHUNKS }, (_, i) => {
    const s = i * CHUNK_SIZE;
    const labels = Int32Array.from(mnist.test!.labels.subarray(s, s + CHUNK_SIZE));
    return makeChunk(i, s, mnist.test!.images.slice(s * D, (s + CHUNK_SIZE) * D), labels, D);
  });
  big = makeChunk(0, 0, mnist.test!.images, Int32Array.from(mnist.test!.labels), D);
  // The single-machine run: the same chunks through embedChunk in this process.
  for (const c of chunks) reference.set(chunkKey(c), await embedChunk(model, c, { batchSize: BATCH, logvar: true }));
});

afterAll(async () => {
  await model?.release();
  await redis?.stop();
});

/** The producer of the kill test's run over all chunks. */
const produce = (sink: RecordingSink, onProgress?: (p: QueueProgress) => void) =>
  embedViaQueue({
    connection: redisConnection({ url: redis.url }),
    runId: 'kill-test',
    modelId: modelIdOf(model),
    inputSize: D,
    dim: model.latentDim,
    chunks,
    sink,
    batchSize: BATCH,
    logvar: true,
    ...(onProgress ? { onProgress } : {}),
  });

describe.skipIf(skip)('vae worker processes on a real Redis', () => {
  it('3 workers, one SIGKILLed mid-chunk: its job is taken over; every id once; vectors equal the local run', async () => {
    const worker = (env: Record<string, string> = {}) =>
      spawnCli(
        ['worker', '--queue', redis.url, '--model', MODEL_DIR, '--lock-ms', String(LOCK_MS), '--threads', '1'],
        env,
      );
    // The victim kills itself (SIGKILL, no cleanup) right after it has taken and locked its first job.
    const victim = worker({ VAE_FAULT_POINT: 'queue-worker:embedding@1' });
    const others: CliProcess[] = [worker(), worker()];
    const all = [victim, ...others];
    try {
      await Promise.all(all.map((w) => w.waitFor(/worker ready/)));
      const sink = new RecordingSink();
      const progress: number[] = [];
      const result = await produce(sink, (p) => progress.push(p.itemsDone));
      const death = await victim.exited;
      expect(death.signal, victim.output()).toBe('SIGKILL');
      const taken = /chunk (\d+) \(items [^)]*\) taken/.exec(victim.output());
      expect(taken, victim.output()).not.toBeNull();
      // The victim's chunk was embedded again by one of the others after its lock expired.
      const takenOver = others.filter((w) => w.output().includes(`chunk ${taken![1]} (items`));
      expect(takenOver.length).toBe(1);

      expect(result).toMatchObject({ written: CHUNKS, skipped: 0, duplicates: 0, items: CHUNKS * CHUNK_SIZE });
      expect(sink.writes.length).toBe(CHUNKS);
      expect(new Set(sink.writes).size).toBe(CHUNKS);
      expect(progress.at(-1)).toBe(CHUNKS * CHUNK_SIZE);
      const ids = [...sink.stored.values()].flatMap((e) => Array.from({ length: e.count }, (_, i) => e.start + i));
      expect(ids.sort((a, b) => a - b)).toEqual(Array.from({ length: CHUNKS * CHUNK_SIZE }, (_, i) => i));
      for (const [key, want] of reference) {
        const got = sink.stored.get(key)!;
        expect(got.itemHashes).toEqual(want.itemHashes);
        expect(Array.from(got.labels)).toEqual(Array.from(want.labels));
        expect(sameBits(got.mu, want.mu), `mu of chunk ${key}`).toBe(true);
        expect(sameBits(got.logvar, want.logvar), `logvar of chunk ${key}`).toBe(true);
      }

      // Resuming with everything stored enqueues nothing.
      const again = await produce(sink);
      expect(again).toMatchObject({ written: 0, skipped: CHUNKS });
      expect(sink.writes.length).toBe(CHUNKS);

      // The producer removed its jobs, and their chunk bytes and results.
      const queue = new Queue('vae-embed', { connection: bullmqConnection(redisConnection({ url: redis.url })) });
      const counts = await queue.getJobCounts('waiting', 'active', 'delayed', 'completed', 'failed');
      await queue.close();
      expect(counts).toEqual({ waiting: 0, active: 0, delayed: 0, completed: 0, failed: 0 });
      const client = new Redis(redisConnection({ url: redis.url }).options);
      const left = [
        ...(await client.keys('bull:vae-embed:payload:*')),
        ...(await client.keys('bull:vae-embed:result:*')),
      ];
      client.disconnect();
      expect(left).toEqual([]);

      // SIGTERM: the surviving workers stop cleanly.
      for (const w of others) {
        const exit = await stopCli(w);
        expect(exit.code, w.output()).toBe(0);
        expect(w.output()).toMatch(/worker stopped after \d+ chunks/);
      }
    } finally {
      await Promise.all(all.map((w) => stopCli(w, 'SIGKILL')));
    }
  });

  it('a worker with another model refuses the job; the producer fails naming both encoders', async () => {
    const other = await loadModel(OTHER_MODEL_DIR, { device: 'cpu', threads: 1 });
    const connection = redisConnection({ url: redis.url });
    const worker = await startQueueWorker({ connection, model: other, queueName: 'mismatch', lockMs: LOCK_MS });
    try {
      const run = embedViaQueue({
        connection,
        queueName: 'mismatch',
        runId: 'mismatch',
        modelId: modelIdOf(model),
        inputSize: D,
        dim: model.latentDim,
        chunks: chunks.slice(0, 2),
        sink: new RecordingSink(),
        batchSize: BATCH,
        logvar: false,
      });
      await expect(run).rejects.toThrow(QueueJobError);
      await expect(run).rejects.toThrow(
        new RegExp(`refused: it needs the encoder with SHA-256 ${modelIdOf(model)}.*${modelIdOf(other)}`),
      );
      expect(worker.completed()).toBe(0);
    } finally {
      await worker.close();
      await other.release();
    }
  });

  it('SIGTERM while a chunk is being embedded: the worker finishes it, its result arrives, it exits 0', async () => {
    // Default 30 s lock: a worker that dropped its job instead would leave the producer waiting past the test timeout.
    const w = spawnCli(['worker', '--queue', redis.url, '--model', MODEL_DIR, '--queue-name', 'graceful']);
    try {
      await w.waitFor(/worker ready/);
      const sink = new RecordingSink();
      const run = embedViaQueue({
        connection: redisConnection({ url: redis.url }),
        queueName: 'graceful',
        runId: 'graceful',
        modelId: modelIdOf(model),
        inputSize: D,
        dim: model.latentDim,
        chunks: [big],
        sink,
        batchSize: 256,
        logvar: false,
      });
      await w.waitFor(/chunk 0 \(items 0–9999\) taken/);
      w.child.kill('SIGTERM');
      await expect(run).resolves.toMatchObject({ written: 1, items: 10_000 });
      const exit = await w.exited;
      expect(exit.code, w.output()).toBe(0);
      expect(w.output()).toMatch(/SIGTERM: finishing the current job[\s\S]*worker stopped after 1 chunks/);
      expect(sink.stored.get(chunkKey(big))!.mu.length).toBe(10_000 * model.latentDim);
    } finally {
      await stopCli(w, 'SIGKILL');
    }
  });
});
