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
  decodeChunkJob,
  type EmbeddedChunk,
  embedViaQueue,
  makeChunk,
  modelIdOf,
  payloadKey,
  QueueJobError,
  type QueueWorker,
  type RedisConnection,
  redisConnection,
  startQueueWorker,
} from '../src/index.js';
import { makeJobReadable } from '../src/queue/readable-jobs.js';
import { MODEL_DIR, RecordingSink } from './queue-fixtures.js';

/**
 * Hostile queue contents and a Redis that loses its data: a job whose stored data is not JSON or
 * whose payload is far larger than declared fails at once on its first take, and the producer ends
 * naming it; a producer whose jobs and results vanish with a Redis restart enqueues them again.
 */
const skip = redisSkipReason();
if (skip) console.warn(`queue-hostile tests skipped: ${skip}`);

const D = 784;
const LOCK_MS = 2000;
let redis: RedisFixture;
let model: VaeModel;
let connection: RedisConnection;
let client: Redis;
let chunks: Chunk[];

beforeAll(async () => {
  if (skip) return;
  redis = await startRedis();
  connection = redisConnection({ url: redis.url });
  client = new Redis(connection.options);
  model = await loadModel(MODEL_DIR, { device: 'cpu', threads: 1 });
  chunks = Array.from({ length: 6 }, (_, i) => {
    const pixels = Uint8Array.from({ length: 20 * D }, (_, j) => (j * 13 + i * 3) % 256);
    return makeChunk(i, i * 20, pixels, new Int32Array(20).fill(-1), D);
  });
});
afterAll(async () => {
  client?.disconnect();
  await model?.release();
  await redis?.stop();
});

const produce = (queueName: string, runId: string, sink = new RecordingSink(), some = chunks.slice(0, 2)) =>
  embedViaQueue({
    connection,
    queueName,
    runId,
    modelId: modelIdOf(model),
    inputSize: D,
    dim: model.latentDim,
    chunks: some,
    sink,
    batchSize: 8,
    logvar: false,
    connectTimeoutMs: 8000,
  });

/**
 * Starts a producer on a queue no worker serves, lets `spoil` damage chunk 1's job once both jobs
 * wait, then starts a worker: returns the producer's error and the spoiled job's stored fields.
 */
async function spoiled(
  queueName: string,
  spoil: (jobId: string, queue: Queue) => Promise<unknown>,
): Promise<{ error: unknown; jobId: string; events: string[] }> {
  const queue = new Queue(queueName, { connection: bullmqConnection(connection) });
  let worker: QueueWorker | undefined;
  try {
    const run = produce(queueName, queueName);
    run.catch(() => {});
    while (((await queue.getJobCounts('waiting')).waiting ?? 0) < 2) await new Promise((r) => setTimeout(r, 20));
    const jobId = chunkJobId(queueName, chunks[1]!);
    await spoil(jobId, queue);
    worker = await startQueueWorker({ connection, model, queueName, lockMs: LOCK_MS });
    const error = await run.then(
      () => null,
      (err: unknown) => err,
    );
    // The queue's event stream outlives the job (the producer removes it when it fails).
    const stream = await client.xrange(queue.keys.events!, '-', '+');
    const events = stream
      .map(([, f]) => Object.fromEntries(Array.from({ length: f.length / 2 }, (_, i) => [f[2 * i], f[2 * i + 1]])))
      .filter((e) => e.jobId === jobId)
      .map((e) => e.event!);
    return { error, jobId, events };
  } finally {
    await worker?.close();
    await queue.close();
  }
}

describe.skipIf(skip)('hostile jobs', () => {
  it.each([
    ['truncated JSON', '{"v":2,"runId":"x', /Unterminated string in JSON/],
    ['binary bytes', Buffer.from([0xff, 0x00, 0x81, 0x7b, 0x22]), /Unexpected token .* is not valid JSON/],
  ] as const)(
    'a job whose stored data is %s fails on its first take; the producer names it and why',
    async (kind, bytes, parseError) => {
      const name = `garbage-${kind.replace(/\W/g, '')}`;
      const { error, jobId, events } = await spoiled(name, (id, queue) => client.hset(queue.toKey(id), 'data', bytes));
      expect(error).toBeInstanceOf(QueueJobError);
      expect((error as Error).message).toMatch(
        new RegExp(
          `^chunk 1 \\(job ${jobId}\\) failed on a worker: job ${jobId}: job data: expected JSON, got unreadable bytes \\(${parseError.source}`,
        ),
      );
      // Taken once and failed then, never stalled or retried: it ended within its first lock period.
      expect(events.filter((e) => e !== 'added' && e !== 'waiting' && e !== 'removed')).toEqual(['active', 'failed']);
    },
  );

  it.each([
    ['opts', '{"attempts":3,"backoff', /job opts: expected JSON, got unreadable bytes \(Unterminated string in JSON/],
    ['opts', '[1,2]', /job opts: expected a JSON object, got \[1,2\]/],
    ['progress', '{"done":', /job progress: expected JSON, got unreadable bytes \(/],
  ] as const)('a job whose stored %s is %j fails on its first take, naming the field', async (field, value, reason) => {
    const name = `garbage-${field}-${value.length}`;
    const { error, jobId, events } = await spoiled(name, (id, queue) => client.hset(queue.toKey(id), field, value));
    expect(error).toBeInstanceOf(QueueJobError);
    expect((error as Error).message).toMatch(
      new RegExp(`^chunk 1 \\(job ${jobId}\\) failed on a worker: job ${jobId}: ${reason.source}`),
    );
    // Before, BullMQ's own parse threw after the take: the job stalled and was retaken up to 10 times.
    // (`retries-exhausted`: with its options unreadable the job has BullMQ's default of one attempt.)
    const taken = events.filter((e) => !['added', 'waiting', 'removed', 'retries-exhausted'].includes(e));
    expect(taken).toEqual(['active', 'failed']);
  });

  it('a job whose record expired while its id waited fails at its first take, and its new record expires', async () => {
    const queue = new Queue('expired', { connection: bullmqConnection(connection) });
    let worker: QueueWorker | undefined;
    try {
      const job = await queue.add('embed-chunk', { v: 2 }, { jobId: 'run.0.0123456789abcdef' });
      await client.del(queue.toKey(job.id!)); // as its key expiry does once its producer is gone
      worker = await startQueueWorker({ connection, model, queueName: 'expired', lockMs: LOCK_MS });
      const poll = async <T>(read: () => Promise<T>, done: (v: T) => boolean): Promise<T> => {
        for (;;) {
          const v = await read();
          if (done(v)) return v;
          await new Promise((r) => setTimeout(r, 20));
        }
      };
      const reason = await poll(
        () => client.hget(queue.toKey(job.id!), 'failedReason'),
        (v) => v !== null,
      );
      expect(reason).toBe(
        `job ${job.id}: job record: expected a stored job, got none (it expired after its producer stopped; rerun vae embed --queue)`,
      );
      // The worker gives the failed record the results' expiry.
      expect(
        await poll(
          () => client.pttl(queue.toKey(job.id!)),
          (v) => v !== -1,
        ),
      ).toBeGreaterThan(0);
    } finally {
      await worker?.close();
      await queue.close();
    }
  });

  it('a payload far larger than its job declares is refused without being read', async () => {
    const { error, jobId } = await spoiled('oversized', (id, queue) =>
      client.set(payloadKey(queue, id), Buffer.alloc(20 << 20)),
    );
    expect((error as Error).message).toMatch(
      new RegExp(
        `chunk 1 \\(job ${jobId}\\) failed on a worker: .*job payload .*: expected count × inputSize = 15680 bytes, got 20971520 \\(not read\\)`,
      ),
    );
  });
});

/** A sink that restarts redis-server (SIGKILL, then empty on the same port) once it has stored `after` chunks. */
class RestartingSink extends RecordingSink {
  constructor(private readonly after: number) {
    super();
  }
  override async write(chunk: EmbeddedChunk): Promise<void> {
    await super.write(chunk);
    if (this.stored.size !== this.after) return;
    redis.process.kill('SIGKILL');
    await new Promise((r) => redis.process.once('exit', r));
    redis = await startRedis({ port: redis.port });
  }
}

describe.skipIf(skip)('a Redis restart that loses every key mid-run', () => {
  it('the producer enqueues the lost jobs again and stores every chunk once', async () => {
    const worker = await startQueueWorker({ connection, model, queueName: 'restart', lockMs: LOCK_MS });
    try {
      const sink = new RestartingSink(2);
      const result = await produce('restart', 'restart', sink, chunks);
      expect(result.requeued).toBeGreaterThan(0);
      expect(result).toMatchObject({ written: chunks.length, duplicates: 0 });
      expect(sink.writes.sort()).toEqual(chunks.map(chunkKey).sort());
    } finally {
      await worker.close();
    }
  });
});

describe('makeJobReadable', () => {
  it('leaves a readable job alone, and names a record without data (expired while its id waited)', () => {
    const fields = ['name', 'embed-chunk', 'data', '{"v":2}', 'opts', '{"attempts":3}', 'progress', '0', 'parent', ''];
    expect(makeJobReadable(fields)).toEqual([]);
    expect(fields[3]).toBe('{"v":2}');
    const expired = ['processedOn', '1', 'ats', '1'];
    expect(makeJobReadable(expired)).toEqual([
      'job record: expected a stored job, got none (it expired after its producer stopped; rerun vae embed --queue)',
    ]);
    expect(JSON.parse(expired.at(-1)!)).toEqual({ unreadableJobData: expect.stringMatching(/^job record: /) });
  });

  it('replaces every unparsable field by a stand-in and lists them all in data', () => {
    const fields = ['data', '{"v":2}', 'opts', '{', 'parent', 'nope'];
    expect(makeJobReadable(fields)).toHaveLength(2);
    expect(fields.slice(2)).toEqual(['opts', '{}', 'parent', '']);
    expect(() => decodeChunkJob(JSON.parse(fields[1]!))).toThrow(
      /^job opts: expected JSON, got unreadable bytes \(.*\); job parent: expected JSON, got unreadable bytes \(/,
    );
  });
});
