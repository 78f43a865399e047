import { setTimeout as delay } from 'node:timers/promises';
import { getLogger } from '@vae/core';
import { Queue, QueueEvents } from 'bullmq';
import { Redis, type RedisOptions } from 'ioredis';
import { type Chunk, chunkKey, type EmbeddedChunk, type EmbeddingSink } from '../chunk.js';
import {
  chunkJobId,
  chunkPayload,
  DEFAULT_QUEUE_NAME,
  decodeChunkResult,
  encodeChunkJob,
  payloadKey,
  resultKey,
} from './chunk-job.js';
import {
  bullmqConnection,
  checkRedis,
  type RedisConnection,
  type RedisUnreachableError,
  watchRedis,
} from './connection.js';

const log = getLogger('embed:queue');

/** Progress of {@link embedViaQueue}, reported after each stored chunk. */
export interface QueueProgress {
  readonly chunksDone: number;
  readonly chunksTotal: number;
  readonly itemsDone: number;
  readonly itemsTotal: number;
  /** Items whose chunks were stored before this run (skipped). */
  readonly itemsSkipped: number;
}

/** Options of {@link embedViaQueue}. */
export interface QueueEmbedOptions {
  readonly connection: RedisConnection;
  readonly queueName?: string;
  /**
   * Names this run's jobs (`${runId}.${index}.${hash}`): re-adding a job that is still in Redis is a
   * no-op, so a restarted producer with the same run id picks up results already computed. Letters,
   * digits, `-` and `_`.
   */
  readonly runId: string;
  /** Encoder SHA-256 the workers must run (see `modelIdOf`). */
  readonly modelId: string;
  readonly inputSize: number;
  readonly chunks: Iterable<Chunk>;
  readonly sink: EmbeddingSink;
  readonly batchSize: number;
  readonly logvar: boolean;
  /** Jobs in Redis at once (bounds Redis memory; default 64). */
  readonly window?: number;
  /** Attempts per job before it fails (default 3); refused jobs fail at once. */
  readonly attempts?: number;
  readonly connectTimeoutMs?: number;
  /** How often outstanding jobs are polled in case an event was missed (default 1000 ms). */
  readonly sweepMs?: number;
  readonly onProgress?: (p: QueueProgress) => void;
}

/** What {@link embedViaQueue} did. */
export interface QueueEmbedResult {
  /** Chunks whose results this run stored. */
  readonly written: number;
  /** Chunks skipped because the sink already stored their key. */
  readonly skipped: number;
  /** Results for keys already stored that were ignored (exactly-once). */
  readonly duplicates: number;
  readonly items: number;
  readonly seconds: number;
}

/** A job failed for good on a worker (refused, or out of attempts). */
export class QueueJobError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'QueueJobError';
  }
}

/**
 * Embeds a corpus on the workers of a BullMQ queue: enqueues one job per chunk whose key the sink
 * does not store yet (at most `window` at a time), collects each job's result (QueueEvents, plus a
 * periodic poll of outstanding jobs), validates it against its chunk and writes it to the sink once;
 * a second result for a stored key is ignored. Removes each job once its result is stored. Throws
 * {@link QueueJobError} when a job fails for good (e.g. a worker with another model refused it).
 */
export async function embedViaQueue(options: QueueEmbedOptions): Promise<QueueEmbedResult> {
  const t0 = performance.now();
  const { connection, sink } = options;
  if (!/^[\w-]+$/.test(options.runId))
    throw new RangeError(`runId: expected letters, digits, - and _, got ${JSON.stringify(options.runId)}`);
  const window = options.window ?? 64;
  const queueName = options.queueName ?? DEFAULT_QUEUE_NAME;
  await checkRedis(connection, options.connectTimeoutMs ?? 10_000);
  const stored = new Set(await sink.storedKeys());
  const all = [...options.chunks];
  const todo = all.filter((c) => !stored.has(chunkKey(c)));
  const total = { chunks: all.length, items: all.reduce((n, c) => n + c.count, 0) };
  let done = { chunks: all.length - todo.length, items: total.items - todo.reduce((n, c) => n + c.count, 0) };
  const skipped = done.chunks;
  const itemsSkipped = done.items;
  if (skipped) log.info(`${skipped} of ${all.length} chunks already stored: skipped`);
  const progress = () =>
    options.onProgress?.({
      chunksDone: done.chunks,
      chunksTotal: total.chunks,
      itemsDone: done.items,
      itemsTotal: total.items,
      itemsSkipped,
    });
  progress();

  const reconnect = { stopped: false };
  const redis = bullmqConnection(connection, reconnect);
  // Completed events carry the (small) results: keep few in the stream (a missed one is read by the sweep).
  const queue = new Queue(queueName, { connection: redis, streams: { events: { maxLen: Math.max(100, 4 * window) } } });
  const events = new QueueEvents(queueName, { connection: redis });
  // Chunk bytes and results travel as binary values on a plain client (BullMQ keeps job data as JSON).
  const client = new Redis(redis as RedisOptions);
  let down = false;
  const report = (what: string) => (err: Error) => (down ? log.debug : log.warn)(`${what}: ${err.message}`);
  client.on('error', report('payload client'));
  queue.on('error', report('queue'));
  events.on('error', report('queue events'));
  const outstanding = new Map<string, Chunk>();
  let written = 0;
  let writtenItems = 0;
  let duplicates = 0;
  let failure: Error | null = null;
  let wake: () => void = () => {};
  const poke = () => wake();

  /** Collects a job's result: the value its completed event carried, else read from Redis. */
  const collect = async (jobId: string, returned?: unknown): Promise<void> => {
    const chunk = outstanding.get(jobId);
    if (!chunk) return;
    let value = returned;
    if (value === undefined) {
      // State first, then the job: a job read before it completed would carry no return value.
      const state = await queue.getJobState(jobId);
      if (state !== 'completed' && state !== 'failed') return;
      const job = await queue.getJob(jobId);
      if (!job || !outstanding.has(jobId)) return;
      if (state === 'failed') {
        failure ??= new QueueJobError(`chunk ${chunk.index} (job ${jobId}) failed on a worker: ${job.failedReason}`);
        return poke();
      }
      value = job.returnvalue;
    }
    if (!outstanding.has(jobId)) return;
    const bytes = await client.getBuffer(resultKey(queue, jobId));
    if (!outstanding.has(jobId)) return;
    outstanding.delete(jobId);
    let result: EmbeddedChunk;
    try {
      result = decodeChunkResult(value, bytes, chunk);
    } catch (err) {
      failure ??= new QueueJobError(`chunk ${chunk.index} (job ${jobId}): bad result: ${(err as Error).message}`);
      return poke();
    }
    const key = chunkKey(result);
    if (stored.has(key)) duplicates++;
    else {
      await sink.write(result);
      stored.add(key);
      written++;
      writtenItems += result.count;
      done = { chunks: done.chunks + 1, items: done.items + result.count };
      progress();
    }
    await queue.remove(jobId).catch((err: Error) => log.debug(`job ${jobId}: not removed (${err.message})`));
    await client.del(payloadKey(queue, jobId), resultKey(queue, jobId));
    poke();
  };

  let pending = Promise.resolve();
  const enqueueCollect = (jobId: string, returned?: unknown) => {
    pending = pending
      .then(() => collect(jobId, returned))
      .catch((err: unknown) => {
        failure ??= new QueueJobError(`collecting job ${jobId}: ${(err as Error).message}`);
        poke();
      });
  };
  events.on('completed', ({ jobId, returnvalue }) => enqueueCollect(jobId, returnvalue ?? undefined));
  events.on('failed', ({ jobId }) => enqueueCollect(jobId));

  const sweep = setInterval(() => {
    for (const jobId of outstanding.keys()) enqueueCollect(jobId);
  }, options.sweepMs ?? 1000);
  let lastProgress = Date.now();
  let hinted = false;
  // BullMQ waits for a lost Redis without limit: the run races a watch that gives up after the timeout.
  let lost: RedisUnreachableError | null = null;
  let giveUp: (err: RedisUnreachableError) => void = () => {};
  const gaveUp = new Promise<never>((_, reject) => {
    giveUp = reject;
  });
  gaveUp.catch(() => {});
  const unwatch = watchRedis(client, connection, options.connectTimeoutMs ?? 10_000, {
    onDown: () => {
      down = true;
      log.warn(`Redis at ${connection.display} lost: waiting up to ${options.connectTimeoutMs ?? 10_000} ms for it`);
    },
    onUp: () => {
      down = false;
      log.info(`Redis at ${connection.display} is back`);
    },
    onLost: (err) => {
      lost = err;
      giveUp(err);
    },
  });
  const drive = async () => {
    await events.waitUntilReady();
    let next = 0;
    const run = {
      runId: options.runId,
      modelId: options.modelId,
      inputSize: options.inputSize,
      batchSize: options.batchSize,
      logvar: options.logvar,
    };
    while (next < todo.length || outstanding.size > 0) {
      if (failure) return;
      if (next < todo.length && outstanding.size < window) {
        // A few jobs per round trip: workers start on the first while the next are encoded.
        const batch = todo.slice(next, next + Math.min(4, window - outstanding.size));
        next += batch.length;
        const ids = batch.map((c) => chunkJobId(options.runId, c));
        const states = await Promise.all(ids.map((id) => queue.getJobState(id)));
        // A job left failed by an earlier run with this id would make the re-add a no-op: clear it.
        await Promise.all(ids.map((id, i) => (states[i] === 'failed' ? queue.remove(id) : 0)));
        for (const [i, id] of ids.entries()) outstanding.set(id, batch[i]!);
        // The bytes first: a worker that takes a job finds them.
        await Promise.all(ids.map((id, i) => client.set(payloadKey(queue, id), chunkPayload(batch[i]!))));
        await queue.addBulk(
          ids.map((jobId, i) => ({
            name: 'embed-chunk',
            data: encodeChunkJob(batch[i]!, run),
            opts: { jobId, attempts: options.attempts ?? 3, backoff: { type: 'fixed', delay: 1000 } },
          })),
        );
        // Jobs already completed in Redis (an earlier producer of this run) send no new event.
        for (const id of ids) enqueueCollect(id);
        continue;
      }
      const before = done.chunks;
      await new Promise<void>((resolve) => {
        const timer = setTimeout(resolve, 5000);
        wake = () => {
          clearTimeout(timer);
          resolve();
        };
      });
      if (done.chunks !== before) lastProgress = Date.now();
      else if (!hinted && Date.now() - lastProgress > 15_000) {
        hinted = true;
        log.info(
          `no results for 15 s: are workers running? vae worker --queue ${connection.display} --model DIR${queueName === DEFAULT_QUEUE_NAME ? '' : ` --queue-name ${queueName}`}`,
        );
      }
    }
    await pending;
  };
  const driving = drive();
  driving.catch(() => {});
  try {
    await Promise.race([driving, gaveUp]);
    if (failure) throw failure;
  } catch (err) {
    // Leave no orphaned work: jobs not yet taken are removed (a job a worker holds is locked and stays).
    const removeUntaken = async () => {
      for (const id of outstanding.keys())
        if (await queue.remove(id).catch(() => 0)) await client.del(payloadKey(queue, id)).catch(() => 0);
    };
    if (!lost) await Promise.race([removeUntaken(), gaveUp]).catch(() => {});
    throw err;
  } finally {
    clearInterval(sweep);
    unwatch();
    // With Redis lost, the clients end at their next failed reconnect, failing the commands still
    // waiting; a result being written to the sink finishes.
    if (lost) reconnect.stopped = true;
    await pending;
    // close() stops QueueEvents' reconnect loop at once, but may never settle for an ended client.
    const closing = Promise.all([events.close(), queue.close()]);
    if (lost) await Promise.race([closing.catch(() => {}), delay(1000)]);
    else await closing;
    client.disconnect();
  }
  const seconds = (performance.now() - t0) / 1000;
  return { written, skipped, duplicates, items: writtenItems, seconds };
}
