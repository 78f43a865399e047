import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { VaeModel } from '@vae/core';
import { loadModel } from '@vae/runtime-node';
import { FAULT_POINT_ENV } from '@vae/data/node';
import { Queue } from 'bullmq';
import { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type RedisFixture, redisSkipReason, startRedis } from '../../../test/redis-fixture.js';
import {
  bullmqConnection,
  payloadKey,
  QUEUE_KEY_TTL_MS,
  type RedisConnection,
  redisConnection,
  resultKey,
  startQueueWorker,
} from '../src/index.js';
import { embedArgs as sharedEmbedArgs } from '../../../test/embed-table-fixtures.js';
import { MODEL_DIR, spawnCli, stopCli } from './queue-fixtures.js';

/**
 * `vae embed --queue` (a real producer process) against a spoiled job and a SIGKILL: it exits 1
 * naming the job and why, and a killed producer leaves nothing of its jobs in Redis without an
 * expiry (bytes, results and the job records themselves), only the queue's own few keys.
 */
const skip = redisSkipReason();
if (skip) console.warn(`queue-cli-faults tests skipped: ${skip}`);

let dir: string;
let redis: RedisFixture;
let connection: RedisConnection;
let client: Redis;
let model: VaeModel;

beforeAll(async () => {
  if (skip) return;
  dir = await mkdtemp(join(tmpdir(), 'vae-queue-cli-faults-'));
  redis = await startRedis();
  connection = redisConnection({ url: redis.url });
  client = new Redis(connection.options);
  model = await loadModel(MODEL_DIR, { device: 'cpu', threads: 1 });
});
afterAll(async () => {
  client?.disconnect();
  await model?.release();
  await redis?.stop();
  if (dir) await rm(dir, { recursive: true, force: true });
});

/** `vae embed --queue` of the first 1,000 MNIST test images in chunks of 100 on queue `name`. */
const embedArgs = (name: string) =>
  sharedEmbedArgs(join(dir, `${name}.lance`), 100, ['--queue', redis.url, '--queue-name', name]);

async function until(done: () => Promise<boolean>): Promise<void> {
  while (!(await done())) await new Promise((r) => setTimeout(r, 50));
}

describe.skipIf(skip)('vae embed --queue under faults', () => {
  it('a job whose data is garbage fails at its first take, and the producer exits 1 naming it and why', async () => {
    const queue = new Queue('garbage', { connection: bullmqConnection(connection) });
    // No worker serves this queue yet: the jobs wait while one is spoiled.
    const producer = spawnCli(embedArgs('garbage'));
    let worker: Awaited<ReturnType<typeof startQueueWorker>> | undefined;
    try {
      await until(async () => ((await queue.getJobCounts('waiting')).waiting ?? 0) >= 4);
      const [jobId] = await client.lrange(queue.keys.wait!, -1, -1);
      await client.hset(queue.toKey(jobId!), 'data', '{"v":2,"runId":');
      worker = await startQueueWorker({ connection, model, queueName: 'garbage', lockMs: 2000 });
      const exit = await producer.exited;
      expect(exit.code, producer.output()).toBe(1);
      expect(producer.output()).toMatch(
        new RegExp(
          `\\(job ${jobId!.replace(/\./g, '\\.')}\\) failed on a worker: .*job data: expected JSON, got unreadable bytes`,
        ),
      );
    } finally {
      await stopCli(producer, 'SIGKILL');
      await worker?.close();
      await queue.close();
    }
  });

  it('a producer SIGKILLed mid-run leaves chunk bytes, results and job records that all expire', async () => {
    const queue = new Queue('killed', { connection: bullmqConnection(connection) });
    /** Keys of the queue that never expire, less its own few (id counter, meta, event stream, state lists). */
    const perJobKeysWithoutExpiry = async (): Promise<string[]> => {
      const keys = await client.keys(queue.toKey('*'));
      const ttls = await Promise.all(keys.map((k) => client.pttl(k)));
      // Job ids are `${runId}.${index}.${hash}`: a key naming one holds a job's record, bytes or lock.
      return keys.filter((k, i) => ttls[i] === -1 && k.slice(queue.toKey('').length).includes('.'));
    };
    try {
      const killed = spawnCli(embedArgs('killed'), { [FAULT_POINT_ENV]: 'queue-producer:enqueued@2' });
      expect((await killed.exited).signal, killed.output()).toBe('SIGKILL');
      // Nobody took its 8 jobs yet: their records expire like their bytes.
      expect((await queue.getJobCounts('waiting')).waiting).toBe(8);
      expect(await perJobKeysWithoutExpiry()).toEqual([]);
      // A worker that comes later embeds the orphaned jobs; nobody collects their results.
      const worker = await startQueueWorker({ connection, model, queueName: 'killed', lockMs: 2000 });
      try {
        await until(async () => ((await queue.getJobCounts('completed')).completed ?? 0) >= 8);
      } finally {
        await worker.close();
      }
      const jobs = await queue.getJobs(['completed']);
      expect(jobs.length).toBe(8);
      expect(await perJobKeysWithoutExpiry()).toEqual([]);
      for (const job of jobs) {
        for (const key of [payloadKey(queue, job.id!), resultKey(queue, job.id!), queue.toKey(job.id!)]) {
          const ttl = await client.pttl(key);
          expect(ttl, key).toBeGreaterThan(0);
          expect(ttl, key).toBeLessThanOrEqual(QUEUE_KEY_TTL_MS);
        }
        expect(job.opts).toMatchObject({ removeOnComplete: { age: 3600 }, removeOnFail: { age: 3600 } });
      }
    } finally {
      await queue.close();
    }
  });
});
