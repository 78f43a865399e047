import { setTimeout as delay } from 'node:timers/promises';
import { getLogger } from '@vae/core';
import { faultPoint } from '@vae/data/node';
import { Queue, QueueEvents } from 'bullmq';
import { Redis, type RedisOptions } from 'ioredis';
import { type Chunk, chunkKey, type EmbeddedChunk, type EmbeddingSink } from '../chunk.js';
import { getExactly } from './bounded-get.js';
import {
  chunkJobId,
  chunkPayload,
  DEFAULT_QUEUE_NAME,
  decodeChunkResult,
  FINISHED_JOB_AGE_S,
  encodeChunkJob,
  MAX_JOB_PAYLOAD_BYTES,
  payloadKey,
  QUEUE_KEY_TTL_MS,
  resultBytes,
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
  /** The encoder's latent size L: a result of another size is refused (and never read whole). */
  readonly dim: number;
  readonly chunks: Iterable<Chunk>;
  readonly sink: EmbeddingSink;
  readonly batchSize: number;
  readonly logvar: boolean;
  /** Jobs in Redis at once (bounds Redis memory; default 64). */
  readonly window?: number;
  /**
   * Attempts per job before it fails (default 3); refused jobs fail at once. Also how often a chunk
   * is enqueued again after Redis lost its job or its result (a restart without persistence).
   */
  readonly attempts?: number;
  readonly connectTimeoutMs?: number;
  /** How often outstanding jobs are polled in case an event was missed (default 1000 ms). */
  readonly sweepMs?: number;
  /** Expiry of the chunk bytes and job records in Redis, renewed while this producer runs (default {@link QUEUE_KEY_TTL_MS}). */
  readonly keyTtlMs?: number;
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
  /** Chunks enqueued again because Redis lost their job or result. */
  readonly requeued: number;
  readonly items: number;
  readonly seconds: number;
}

/** A job failed for good on a worker (refused, or out of attempts), or its result was unusable. */
export class QueueJobError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'QueueJobError';
  }
}

function checkOptions(o: QueueEmbedOptions): void {
  if (!/^[\w-]+$/.test(o.runId))
    throw new RangeError(`runId: expected letters, digits, - and _, got ${JSON.stringify(o.runId)}`);
  if (!Number.isInteger(o.dim) || o.dim < 1) throw new RangeError(`dim: expected an integer ≥ 1, got ${o.dim}`);
}

/**
 * Embeds a corpus on the workers of a BullMQ queue: enqueues one job per chunk whose key the sink
 * does not store yet (at most `window` at a time), collects each job's result (QueueEvents, plus a
 * periodic poll of outstanding jobs), validates it against its chunk and writes it to the sink once;
 * a second result for a stored key is ignored. Removes each job once its result is stored. A job or
 * result that Redis lost (restarted without its data) is enqueued again, up to `attempts` times.
 * Chunk bytes and job records are stored with an expiry (renewed while this runs; workers give
 * finished jobs and results the same), so a killed producer leaves none for long: what stays are
 * the queue's own few keys (its id counter, meta, capped event stream and state lists). Throws
 * {@link QueueJobError} naming the chunk, job id and reason when a job fails for good (e.g. a worker
 * with another model refused it, or its data was unreadable).
 */
export async function embedViaQueue(options: QueueEmbedOptions): Promise<QueueEmbedResult> {
  checkOptions(options);
  const all = [...options.chunks];
  for (const c of all)
    if (c.pixels.length > MAX_JOB_PAYLOAD_BYTES)
      throw new RangeError(
        `chunk ${c.index}: expected at most ${MAX_JOB_PAYLOAD_BYTES} bytes per job, got ${c.pixels.length} (${c.count} items × ${options.inputSize}); use a smaller --chunk-size`,
      );
  await checkRedis(options.connection, options.connectTimeoutMs ?? 10_000);
  return new QueueRun(options, all, new Set(await options.sink.storedKeys())).run();
}

/** A watch on the producer's Redis connection for one run. */
interface ConnectionWatch {
  /** Rejects with the error once Redis stayed away longer than the connect timeout. */
  readonly gaveUp: Promise<never>;
  /** That error, once given up; null before. */
  readonly lost: () => RedisUnreachableError | null;
  readonly unwatch: () => void;
}

/** One producer run: its Redis clients, outstanding jobs and counters. */
class QueueRun {
  private readonly t0 = performance.now();
  private readonly queueName: string;
  private readonly window: number;
  private readonly attempts: number;
  private readonly ttlMs: number;
  private readonly todo: Chunk[];
  private readonly total: { chunks: number; items: number };
  private done: { chunks: number; items: number };
  private readonly skipped: number;
  private readonly itemsSkipped: number;
  private readonly reconnect = { stopped: false };
  private readonly queue: Queue;
  private readonly events: QueueEvents;
  private readonly client: Redis;
  /** Jobs added and not yet collected, with their chunk and whether the add has completed. */
  private readonly outstanding = new Map<string, { chunk: Chunk; added: boolean }>();
  private readonly requeues = new Map<string, number>();
  private written = 0;
  private writtenItems = 0;
  private duplicates = 0;
  private requeued = 0;
  private failure: Error | null = null;
  private down = false;
  private wake: () => void = () => {};
  private pending: Promise<void> = Promise.resolve();

  constructor(
    private readonly o: QueueEmbedOptions,
    all: readonly Chunk[],
    private readonly stored: Set<string>,
  ) {
    this.queueName = o.queueName ?? DEFAULT_QUEUE_NAME;
    this.window = o.window ?? 64;
    this.attempts = o.attempts ?? 3;
    this.ttlMs = o.keyTtlMs ?? QUEUE_KEY_TTL_MS;
    this.todo = all.filter((c) => !stored.has(chunkKey(c)));
    this.total = { chunks: all.length, items: all.reduce((n, c) => n + c.count, 0) };
    this.done = {
      chunks: all.length - this.todo.length,
      items: this.total.items - this.todo.reduce((n, c) => n + c.count, 0),
    };
    this.skipped = this.done.chunks;
    this.itemsSkipped = this.done.items;
    if (this.skipped) log.info(`${this.skipped} of ${all.length} chunks already stored: skipped`);
    const redis = bullmqConnection(o.connection, this.reconnect);
    // Completed events carry the (small) results: keep few in the stream (a missed one is read by the sweep).
    this.queue = new Queue(this.queueName, {
      connection: redis,
      streams: { events: { maxLen: Math.max(100, 4 * this.window) } },
    });
    this.events = new QueueEvents(this.queueName, { connection: redis });
    // Chunk bytes and results travel as binary values on a plain client (BullMQ keeps job data as JSON).
    this.client = new Redis(redis as RedisOptions);
    const report = (what: string) => (err: Error) => (this.down ? log.debug : log.warn)(`${what}: ${err.message}`);
    this.client.on('error', report('payload client'));
    this.queue.on('error', report('queue'));
    this.events.on('error', report('queue events'));
  }

  private progress(): void {
    this.o.onProgress?.({
      chunksDone: this.done.chunks,
      chunksTotal: this.total.chunks,
      itemsDone: this.done.items,
      itemsTotal: this.total.items,
      itemsSkipped: this.itemsSkipped,
    });
  }

  private fail(message: string): void {
    this.failure ??= new QueueJobError(message);
    this.wake();
  }

  /** Stores the chunks' bytes (with their expiry) and adds their jobs; jobs already in Redis are kept. */
  private async enqueue(batch: readonly Chunk[]): Promise<void> {
    const ids = batch.map((c) => chunkJobId(this.o.runId, c));
    const states = await Promise.all(ids.map((id) => this.queue.getJobState(id)));
    // A job left failed by an earlier run with this id would make the re-add a no-op: clear it.
    await Promise.all(ids.map((id, i) => (states[i] === 'failed' ? this.queue.remove(id) : 0)));
    for (const [i, id] of ids.entries()) this.outstanding.set(id, { chunk: batch[i]!, added: false });
    // The bytes first: a worker that takes a job finds them.
    await Promise.all(
      ids.map((id, i) => this.client.set(payloadKey(this.queue, id), chunkPayload(batch[i]!), 'PX', this.ttlMs)),
    );
    const run = {
      runId: this.o.runId,
      modelId: this.o.modelId,
      inputSize: this.o.inputSize,
      batchSize: this.o.batchSize,
      logvar: this.o.logvar,
    };
    const retention = { age: FINISHED_JOB_AGE_S };
    await this.queue.addBulk(
      ids.map((jobId, i) => ({
        name: 'embed-chunk',
        data: encodeChunkJob(batch[i]!, run),
        opts: {
          jobId,
          attempts: this.attempts,
          backoff: { type: 'fixed', delay: 1000 },
          removeOnComplete: retention,
          removeOnFail: retention,
        },
      })),
    );
    for (const id of ids) {
      const entry = this.outstanding.get(id);
      if (entry) entry.added = true;
    }
    // The job records expire like their bytes (renewed while this runs): a killed producer's go too.
    await this.expireKeys(ids);
    faultPoint('queue-producer:enqueued');
    // Jobs already completed in Redis (an earlier producer of this run) send no new event.
    for (const id of ids) this.enqueueCollect(id);
  }

  /** Enqueues a chunk again whose job or result Redis lost, at most `attempts` times. */
  private async requeue(jobId: string, chunk: Chunk, why: string): Promise<void> {
    const n = (this.requeues.get(jobId) ?? 0) + 1;
    this.requeues.set(jobId, n);
    if (n > this.attempts)
      return this.fail(`chunk ${chunk.index} (job ${jobId}): ${why}, ${n} times; giving up (is Redis losing data?)`);
    log.warn(`chunk ${chunk.index} (job ${jobId}): ${why}; enqueued again (${n} of ${this.attempts})`);
    this.requeued++;
    await this.queue.remove(jobId).catch(() => 0);
    await this.client.del(resultKey(this.queue, jobId));
    await this.enqueue([chunk]);
  }

  /** A job's stored fields, read raw (a job whose data is unreadable JSON must still be reported). */
  private async jobFields(jobId: string): Promise<{ returnvalue: string | null; failedReason: string | null }> {
    const [returnvalue, failedReason] = await this.client.hmget(this.queue.toKey(jobId), 'returnvalue', 'failedReason');
    return { returnvalue: returnvalue ?? null, failedReason: failedReason ?? null };
  }

  /** Collects a job's result: the value its completed event carried, else read from Redis. */
  private async collect(jobId: string, returned?: unknown): Promise<void> {
    const entry = this.outstanding.get(jobId);
    if (!entry) return;
    const { chunk } = entry;
    let value = returned;
    if (value === undefined) {
      // State first, then the job: a job read before it completed would carry no return value.
      const state = await this.queue.getJobState(jobId);
      if (state === 'unknown' && entry.added && this.outstanding.has(jobId))
        return this.requeue(jobId, chunk, 'its job is gone from Redis (restarted without its data?)');
      if (state !== 'completed' && state !== 'failed') return;
      const fields = await this.jobFields(jobId);
      if (!this.outstanding.has(jobId)) return;
      if (state === 'failed')
        return this.fail(
          `chunk ${chunk.index} (job ${jobId}) failed on a worker: ${fields.failedReason ?? 'no reason'}`,
        );
      value = fields.returnvalue;
    }
    if (!this.outstanding.has(jobId)) return;
    const length = resultBytes(chunk.count, this.o.dim, this.o.logvar);
    const bytes = await getExactly(this.client, resultKey(this.queue, jobId), length);
    if (!this.outstanding.has(jobId)) return;
    if (!bytes.ok && bytes.missing)
      return this.requeue(jobId, chunk, 'its result is gone from Redis (restarted, or expired)');
    this.outstanding.delete(jobId);
    let result: EmbeddedChunk;
    try {
      if (!bytes.ok) throw new RangeError(`result bytes: expected ${length}, got ${bytes.length} (not read)`);
      result = decodeChunkResult(value, bytes.bytes, chunk, { dim: this.o.dim, logvar: this.o.logvar });
    } catch (err) {
      return this.fail(`chunk ${chunk.index} (job ${jobId}): bad result: ${(err as Error).message}`);
    }
    await this.store(result);
    await this.queue.remove(jobId).catch((err: Error) => log.debug(`job ${jobId}: not removed (${err.message})`));
    await this.client.del(payloadKey(this.queue, jobId), resultKey(this.queue, jobId));
    this.wake();
  }

  private async store(result: EmbeddedChunk): Promise<void> {
    const key = chunkKey(result);
    if (this.stored.has(key)) {
      this.duplicates++;
      return;
    }
    await this.o.sink.write(result);
    this.stored.add(key);
    this.written++;
    this.writtenItems += result.count;
    this.done = { chunks: this.done.chunks + 1, items: this.done.items + result.count };
    this.progress();
  }

  private enqueueCollect(jobId: string, returned?: unknown): void {
    this.pending = this.pending
      .then(() => this.collect(jobId, returned))
      .catch((err: unknown) => this.fail(`collecting job ${jobId}: ${(err as Error).message}`));
  }

  /** Sets the expiry (`keyTtlMs`) of jobs' bytes and records; a key that is gone stays gone. */
  private async expireKeys(ids: Iterable<string>): Promise<void> {
    const pipeline = this.client.pipeline();
    for (const id of ids) {
      pipeline.pexpire(payloadKey(this.queue, id), this.ttlMs);
      pipeline.pexpire(this.queue.toKey(id), this.ttlMs);
    }
    await pipeline.exec();
  }

  /** Renews the expiry of the outstanding jobs' bytes and records (a killed producer's expire `keyTtlMs` later). */
  private renewKeys(): void {
    if (this.outstanding.size === 0 || this.down) return;
    this.expireKeys(this.outstanding.keys()).catch((err: Error) => log.debug(`renewing key expiry: ${err.message}`));
  }

  /** Adds jobs while the window has room, else waits for results; returns when all are collected or one failed. */
  private async drive(): Promise<void> {
    await this.events.waitUntilReady();
    let next = 0;
    let lastProgress = Date.now();
    let hinted = false;
    while (next < this.todo.length || this.outstanding.size > 0) {
      if (this.failure) return;
      if (next < this.todo.length && this.outstanding.size < this.window) {
        // A few jobs per round trip: workers start on the first while the next are encoded.
        const batch = this.todo.slice(next, next + Math.min(4, this.window - this.outstanding.size));
        next += batch.length;
        await this.enqueue(batch);
        continue;
      }
      const before = this.done.chunks;
      await new Promise<void>((resolve) => {
        const timer = setTimeout(resolve, 5000);
        this.wake = () => {
          clearTimeout(timer);
          resolve();
        };
      });
      if (this.done.chunks !== before) lastProgress = Date.now();
      else if (!hinted && Date.now() - lastProgress > 15_000) {
        hinted = true;
        const name = this.queueName === DEFAULT_QUEUE_NAME ? '' : ` --queue-name ${this.queueName}`;
        log.info(
          `no results for 15 s: are workers running? vae worker --queue ${this.o.connection.display} --model DIR${name}`,
        );
      }
    }
    await this.pending;
  }

  /** Leaves no orphaned work: jobs not yet taken are removed with their bytes (a job a worker holds is locked and stays). */
  private async removeUntaken(): Promise<void> {
    for (const id of this.outstanding.keys())
      if (await this.queue.remove(id).catch(() => 0)) await this.client.del(payloadKey(this.queue, id)).catch(() => 0);
  }

  /**
   * Collects finished jobs (their events, and a periodic sweep of the outstanding ones) and renews
   * the keys' expiry; returns what stops the timers.
   */
  private startCollecting(): () => void {
    this.events.on('completed', ({ jobId, returnvalue }) => this.enqueueCollect(jobId, returnvalue ?? undefined));
    this.events.on('failed', ({ jobId }) => this.enqueueCollect(jobId));
    const sweep = setInterval(() => {
      for (const jobId of this.outstanding.keys()) this.enqueueCollect(jobId);
    }, this.o.sweepMs ?? 1000);
    const renew = setInterval(() => this.renewKeys(), Math.max(50, Math.min(60_000, this.ttlMs / 4)));
    return () => {
      clearInterval(sweep);
      clearInterval(renew);
    };
  }

  /** Watches Redis during the run: logs it going and coming back; gives up after the connect timeout. */
  private watchConnection(): ConnectionWatch {
    const { connection } = this.o;
    const timeoutMs = this.o.connectTimeoutMs ?? 10_000;
    // BullMQ waits for a lost Redis without limit: the run races a watch that gives up after the timeout.
    let lost: RedisUnreachableError | null = null;
    let giveUp: (err: RedisUnreachableError) => void = () => {};
    const gaveUp = new Promise<never>((_, reject) => {
      giveUp = reject;
    });
    gaveUp.catch(() => {});
    const unwatch = watchRedis(this.client, connection, timeoutMs, {
      onDown: () => {
        this.down = true;
        log.warn(`Redis at ${connection.display} lost: waiting up to ${timeoutMs} ms for it`);
      },
      onUp: () => {
        this.down = false;
        log.info(`Redis at ${connection.display} is back`);
      },
      onLost: (err) => {
        lost = err;
        giveUp(err);
      },
    });
    return { gaveUp, lost: () => lost, unwatch };
  }

  /** Stops the timers and the watch, lets the results being stored finish, and closes the clients. */
  private async shutDown(stopTimers: () => void, watch: ConnectionWatch): Promise<void> {
    stopTimers();
    watch.unwatch();
    // With Redis lost, the clients end at their next failed reconnect, failing the commands still
    // waiting; a result being written to the sink finishes.
    if (watch.lost()) this.reconnect.stopped = true;
    await this.pending;
    // close() stops QueueEvents' reconnect loop at once, but may never settle for an ended client.
    const closing = Promise.all([this.events.close(), this.queue.close()]);
    if (watch.lost()) await Promise.race([closing.catch(() => {}), delay(1000)]);
    else await closing;
    this.client.disconnect();
  }

  async run(): Promise<QueueEmbedResult> {
    this.progress();
    const stopTimers = this.startCollecting();
    const watch = this.watchConnection();
    const driving = this.drive();
    driving.catch(() => {});
    try {
      await Promise.race([driving, watch.gaveUp]);
      if (this.failure) throw this.failure;
    } catch (err) {
      if (!watch.lost()) await Promise.race([this.removeUntaken(), watch.gaveUp]).catch(() => {});
      throw err;
    } finally {
      await this.shutDown(stopTimers, watch);
    }
    return {
      written: this.written,
      skipped: this.skipped,
      duplicates: this.duplicates,
      requeued: this.requeued,
      items: this.writtenItems,
      seconds: (performance.now() - this.t0) / 1000,
    };
  }
}
