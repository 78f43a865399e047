import type { VaeModel } from '@vae/core';
import { loadModel } from '@vae/runtime-node';
import { Queue } from 'bullmq';
import { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type RedisFixture, redisSkipReason, startRedis } from '../../../test/redis-fixture.js';
import {
  bullmqConnection,
  type Chunk,
  chunkJobId,
  chunkKey,
  chunkPayload,
  type EmbeddedChunk,
  embedViaQueue,
  encodeChunkJob,
  makeChunk,
  modelIdOf,
  payloadKey,
  QueueJobError,
  type QueueWorker,
  type RedisConnection,
  redisConnection,
  startQueueWorker,
} from '../src/index.js';
import { MODEL_DIR, RecordingSink } from './queue-fixtures.js';

const skip = redisSkipReason();
if (skip) console.warn(`queue-resume tests skipped: ${skip}`);

const D = 784;
let redis: RedisFixture;
let model: VaeModel;
let connection: RedisConnection;
let worker: QueueWorker;
let chunks: Chunk[];
/** A plain client for the chunk bytes the tests put beside their jobs. */
let client: Redis;

beforeAll(async () => {
  if (skip) return;
  redis = await startRedis();
  connection = redisConnection({ url: redis.url });
  client = new Redis(connection.options);
  model = await loadModel(MODEL_DIR, { device: 'cpu', threads: 1 });
  worker = await startQueueWorker({ connection, model, queueName: 'resume', lockMs: 2000 });
  chunks = Array.from({ length: 8 }, (_, i) => {
    const pixels = Uint8Array.from({ length: 20 * D }, (_, j) => (j * 31 + i * 7) % 256);
    return makeChunk(i, i * 20, pixels, new Int32Array(20).fill(-1), D);
  });
});
afterAll(async () => {
  await worker?.close();
  client?.disconnect();
  await model?.release();
  await redis?.stop();
});

const run = (sink: RecordingSink, runId: string, queueName = 'resume') =>
  embedViaQueue({
    connection,
    queueName,
    runId,
    modelId: modelIdOf(model),
    inputSize: D,
    dim: model.latentDim,
    chunks,
    sink,
    batchSize: 8,
    logvar: true,
  });

/** A sink whose store fails (as a full disk would) after `limit` chunks. */
class FailingSink extends RecordingSink {
  constructor(private readonly limit: number) {
    super();
  }
  override async write(chunk: EmbeddedChunk): Promise<void> {
    if (this.stored.size >= this.limit) throw new Error('disk full');
    await super.write(chunk);
  }
}

describe.skipIf(skip)('resuming a queued embedding', () => {
  it('a producer that failed mid-run is resumed: stored chunks are skipped, each key written once', async () => {
    const failing = new FailingSink(3);
    await expect(run(failing, 'resume-a')).rejects.toThrow(/disk full/);
    expect(failing.stored.size).toBe(3);
    const resumed = new RecordingSink();
    for (const [k, v] of failing.stored) resumed.stored.set(k, v);
    const result = await run(resumed, 'resume-a');
    expect(result).toMatchObject({ skipped: 3, written: 5, duplicates: 0 });
    expect(resumed.writes.length).toBe(5);
    expect(new Set([...failing.writes, ...resumed.writes]).size).toBe(chunks.length);
    expect([...resumed.stored.keys()].sort()).toEqual(chunks.map(chunkKey).sort());
  });

  it("results a dead producer's jobs left in Redis are collected by the next producer of the run, not embedded again", async () => {
    const queue = new Queue('resume', { connection: bullmqConnection(connection) });
    try {
      const spec = { runId: 'resume-b', modelId: modelIdOf(model), inputSize: D, batchSize: 8, logvar: true };
      // What a producer killed right after adding its jobs leaves behind.
      for (const c of chunks) await client.set(payloadKey(queue, chunkJobId('resume-b', c)), chunkPayload(c));
      await queue.addBulk(
        chunks.map((c) => ({
          name: 'embed-chunk',
          data: encodeChunkJob(c, spec),
          opts: { jobId: chunkJobId('resume-b', c) },
        })),
      );
      const before = worker.completed();
      for (let i = 0; i < 600 && ((await queue.getJobCounts('completed')).completed ?? 0) < chunks.length; i++)
        await new Promise((r) => setTimeout(r, 50));
      expect(worker.completed() - before).toBe(chunks.length);
      const sink = new RecordingSink();
      const result = await run(sink, 'resume-b');
      expect(result).toMatchObject({ written: chunks.length, skipped: 0, duplicates: 0 });
      expect(worker.completed() - before).toBe(chunks.length);
      expect(await queue.getJobCounts('waiting', 'active', 'completed', 'failed')).toEqual({
        waiting: 0,
        active: 0,
        completed: 0,
        failed: 0,
      });
    } finally {
      await queue.close();
    }
  });

  it('a corrupted job is refused by the worker and named by the producer', async () => {
    // A queue no worker serves yet, so the corrupted job is still waiting when the producer adds its own.
    const queue = new Queue('corrupt', { connection: bullmqConnection(connection) });
    let late: QueueWorker | undefined;
    try {
      const spec = { runId: 'resume-c', modelId: modelIdOf(model), inputSize: D, batchSize: 8, logvar: false };
      const c = chunks[0]!;
      const job = { ...encodeChunkJob(c, spec), hash: '0123456789abcdef' };
      const id = chunkJobId('resume-c', c);
      await client.set(payloadKey(queue, id), chunkPayload(c));
      await queue.add('embed-chunk', job, { jobId: id });
      const failed = run(new RecordingSink(), 'resume-c', 'corrupt');
      failed.catch(() => {});
      while (((await queue.getJobCounts('waiting')).waiting ?? 0) < chunks.length)
        await new Promise((r) => setTimeout(r, 20));
      late = await startQueueWorker({ connection, model, queueName: 'corrupt' });
      await expect(failed).rejects.toThrow(QueueJobError);
      await expect(failed).rejects.toThrow(/chunk 0 .*job data hash: expected the hash of its pixels/);
    } finally {
      await late?.close();
      await queue.close();
    }
  });
});
