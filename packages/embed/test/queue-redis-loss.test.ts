import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type RedisFixture, redisSkipReason, startRedis } from '../../../test/redis-fixture.js';
import {
  type Chunk,
  chunkKey,
  type EmbeddedChunk,
  embedViaQueue,
  makeChunk,
  modelIdOf,
  type RedisConnection,
  RedisUnreachableError,
  redisConnection,
} from '../src/index.js';
import { type CliProcess, MODEL_DIR, RecordingSink, spawnCli, stopCli } from './queue-fixtures.js';
import { loadModel } from '@vae/runtime-node';

const skip = redisSkipReason();
if (skip) console.warn(`queue-redis-loss tests skipped: ${skip}`);

const D = 784;
const QUEUE = 'loss';
let redis: RedisFixture;
let connection: RedisConnection;
let worker: CliProcess;
let chunks: Chunk[];
let modelId: string;
let latent: number;

beforeAll(async () => {
  if (skip) return;
  redis = await startRedis();
  connection = redisConnection({ url: redis.url });
  const model = await loadModel(MODEL_DIR, { device: 'cpu', threads: 1 });
  modelId = modelIdOf(model);
  latent = model.latentDim;
  await model.release();
  chunks = Array.from({ length: 12 }, (_, i) => {
    const pixels = Uint8Array.from({ length: 40 * D }, (_, j) => (j * 17 + i * 5) % 256);
    return makeChunk(i, i * 40, pixels, new Int32Array(40).fill(-1), D);
  });
  worker = spawnCli(['worker', '--queue', redis.url, '--model', MODEL_DIR, '--queue-name', QUEUE, '--lock-ms', '2000']);
  await worker.waitFor(/worker ready/);
});
afterAll(async () => {
  if (worker) await stopCli(worker, 'SIGKILL');
  await redis?.stop();
});

/** A sink that kills redis-server (SIGKILL) once it has stored `after` chunks. */
class KillingSink extends RecordingSink {
  killedAt = 0;
  constructor(private readonly after: number) {
    super();
  }
  override async write(chunk: EmbeddedChunk): Promise<void> {
    await super.write(chunk);
    if (this.stored.size === this.after) {
      this.killedAt = Date.now();
      redis.process.kill('SIGKILL');
    }
  }
}

const produce = (sink: RecordingSink) =>
  embedViaQueue({
    connection,
    queueName: QUEUE,
    runId: 'loss-a',
    modelId,
    inputSize: D,
    dim: latent,
    chunks,
    sink,
    batchSize: 8,
    logvar: true,
    window: 2,
    connectTimeoutMs: 1500,
  });

describe.skipIf(skip)('Redis killed mid-run', () => {
  it('the producer fails naming the URL after --connect-timeout-ms; the worker waits; a rerun resumes with every key once', async () => {
    const killing = new KillingSink(3);
    const failed = await produce(killing).then(
      () => null,
      (err: unknown) => err,
    );
    // A bound that only catches a hang: the producer gives up after 1.5 s without Redis.
    expect(Date.now() - killing.killedAt).toBeLessThan(30_000);
    expect(failed).toBeInstanceOf(RedisUnreachableError);
    expect((failed as Error).message).toMatch(
      new RegExp(
        `^Redis at ${redis.url} lost for 1.5 s while running: ECONNREFUSED .*run the same command again to resume`,
      ),
    );
    expect(killing.stored.size).toBe(3);
    await worker.waitFor(new RegExp(`Redis at ${redis.url} lost: retrying until it is back`));
    expect(worker.child.exitCode).toBeNull();

    // Redis is back (empty: no persistence), on the same port; the worker reconnects by itself.
    redis = await startRedis({ port: redis.port });
    await worker.waitFor(/is back: taking jobs again/);
    const resumed = new RecordingSink();
    for (const [k, v] of killing.stored) resumed.stored.set(k, v);
    const result = await produce(resumed);
    expect(result).toMatchObject({ skipped: 3, written: chunks.length - 3, duplicates: 0 });
    expect([...killing.writes, ...resumed.writes].sort()).toEqual(chunks.map(chunkKey).sort());
  });
});
