import { getLogger, type VaeModel } from '@vae/core';
import { faultPoint } from '@vae/data/node';
import { type Job, UnrecoverableError, Worker } from 'bullmq';
import { Redis, type RedisOptions } from 'ioredis';
import { type Chunk, embedChunk } from '../chunk.js';
import { getExactly } from './bounded-get.js';
import {
  type ChunkJobData,
  type ChunkResultData,
  chunkOfPayload,
  DEFAULT_QUEUE_NAME,
  decodeChunkJob,
  FINISHED_JOB_AGE_S,
  encodeChunkResult,
  modelIdOf,
  payloadBytes,
  payloadKey,
  QUEUE_KEY_TTL_MS,
  type QueueKeys,
  resultKey,
} from './chunk-job.js';
import { bullmqConnection, checkRedis, type RedisConnection, watchRedis } from './connection.js';
import { readableJobsBackend } from './readable-jobs.js';

const log = getLogger('embed:worker');

/** Defaults of {@link startQueueWorker}: sane for production (a stalled job is taken over after ~1 min). */
export const WORKER_DEFAULTS = Object.freeze({
  concurrency: 1,
  /** How long a job's lock lasts without renewal (renewed every half of it while the worker lives). */
  lockMs: 30_000,
  /**
   * How often a stalled job (a dead worker's: its lock expired) may go back to the queue before it
   * fails. A killed worker's job must not fail, so this allows many such deaths.
   */
  maxStalledCount: 10,
  connectTimeoutMs: 10_000,
});

/** Options of {@link startQueueWorker}. */
export interface QueueWorkerOptions {
  readonly connection: RedisConnection;
  /** The model the jobs need: its encoder SHA-256 must equal each job's `modelId`. */
  readonly model: VaeModel;
  readonly queueName?: string;
  /** Jobs run at once (default 1: one onnxruntime session per process). */
  readonly concurrency?: number;
  /** Job lock duration in ms; the stalled-job check runs at the same interval. */
  readonly lockMs?: number;
  /** Give up connecting after this many ms (default 10 s). */
  readonly connectTimeoutMs?: number;
  /** Expiry of the result bytes a worker stores for its producer (default {@link QUEUE_KEY_TTL_MS}). */
  readonly resultTtlMs?: number;
}

/** A running queue worker. */
export interface QueueWorker {
  /** Chunks this worker embedded. */
  readonly completed: () => number;
  /**
   * Stops taking jobs. Without `force` it waits for the current job to finish and return its
   * result; with `force` it leaves it, to be taken over by another worker when its lock expires.
   */
  close(force?: boolean): Promise<void>;
}

function positive(value: number, name: string): number {
  if (!Number.isInteger(value) || value < 1) throw new RangeError(`${name}: expected an integer ≥ 1, got ${value}`);
  return value;
}

/** The worker's validated numbers. */
interface WorkerSettings {
  readonly concurrency: number;
  readonly lockMs: number;
  readonly resultTtlMs: number;
}

function workerSettings(options: QueueWorkerOptions): WorkerSettings {
  const concurrency = positive(options.concurrency ?? WORKER_DEFAULTS.concurrency, '--concurrency');
  const lockMs = positive(options.lockMs ?? WORKER_DEFAULTS.lockMs, '--lock-ms');
  const resultTtlMs = positive(options.resultTtlMs ?? QUEUE_KEY_TTL_MS, 'resultTtlMs');
  return { concurrency, lockMs, resultTtlMs };
}

/** Logs an error as a warning while Redis is up, at debug level while it is known to be down. */
type ErrorReport = (what: string) => (err: Error) => void;

/** The plain Redis client for chunk bytes and results, and the watch that reports Redis going and coming back. */
interface PayloadClient {
  readonly client: Redis;
  readonly report: ErrorReport;
  readonly unwatch: () => void;
}

function openPayloadClient(connection: RedisConnection): PayloadClient {
  // Chunk bytes and results travel as binary values on a plain client (BullMQ keeps job data as JSON).
  const client = new Redis(bullmqConnection(connection) as RedisOptions);
  // A lost Redis: BullMQ and this client reconnect without limit; one line when it goes, one when it is back.
  let down = false;
  const report: ErrorReport = (what) => (err) => (down ? log.debug : log.warn)(`${what}: ${err.message}`);
  client.on('error', report('payload client'));
  const unwatch = watchRedis(client, connection, Number.POSITIVE_INFINITY, {
    onDown: () => {
      down = true;
      log.warn(
        `Redis at ${connection.display} lost: retrying until it is back; the current chunk's result is sent then (or, if its lock expires first, another worker embeds it again)`,
      );
    },
    onUp: () => {
      down = false;
      log.info(`Redis at ${connection.display} is back: taking jobs again`);
    },
  });
  return { client, report, unwatch };
}

/** What a chunk job needs besides itself. */
interface ChunkJobContext {
  readonly client: Redis;
  readonly model: VaeModel;
  /** {@link modelIdOf} the model. */
  readonly modelId: string;
  readonly resultTtlMs: number;
}

/** A job's data and its chunk, read from the payload key (bad data or bytes fail the job for good). */
async function readChunkJob(job: Job, queue: QueueKeys, client: Redis): Promise<{ data: ChunkJobData; chunk: Chunk }> {
  let data: ChunkJobData;
  let chunk: Chunk;
  try {
    data = decodeChunkJob(job.data);
  } catch (err) {
    throw new UnrecoverableError(`job ${job.id}: ${(err as Error).message}`);
  }
  // A Redis error here fails this attempt only (retried); bad bytes fail the job for good. The
  // payload is only transferred when it has the length the job declares.
  const key = payloadKey(queue, job.id ?? '');
  const payload = await getExactly(client, key, payloadBytes(data));
  try {
    chunk = chunkOfPayload(data, payload, key);
  } catch (err) {
    throw new UnrecoverableError(`job ${job.id}: ${(err as Error).message}`);
  }
  return { data, chunk };
}

/** Refuses (for good) a job made for another encoder or input size. */
function checkJobModel(job: Job, data: ChunkJobData, { model, modelId }: ChunkJobContext): void {
  if (data.modelId !== modelId)
    throw new UnrecoverableError(
      `job ${job.id}: refused: it needs the encoder with SHA-256 ${data.modelId}, this worker runs ${model.manifest.name} with ${modelId}; start workers with the producer's --model`,
    );
  if (data.inputSize !== model.inputSize)
    throw new UnrecoverableError(
      `job ${job.id}: inputSize: expected ${model.inputSize} for ${model.manifest.name}, got ${data.inputSize}`,
    );
}

/** Embeds a chunk job and stores its result bytes; returns the job's small result value. */
async function processChunkJob(job: Job, queue: QueueKeys, ctx: ChunkJobContext): Promise<ChunkResultData> {
  const { data, chunk } = await readChunkJob(job, queue, ctx.client);
  checkJobModel(job, data, ctx);
  log.info(`chunk ${chunk.index} (items ${chunk.start}–${chunk.start + chunk.count - 1}) taken`);
  faultPoint('queue-worker:embedding');
  const embedded = await embedChunk(ctx.model, chunk, { batchSize: data.batchSize, logvar: data.logvar });
  const { value, bytes } = encodeChunkResult(embedded);
  // The bytes first: the job completes (and the producer reads them) only after they are stored.
  await ctx.client.set(resultKey(queue, job.id ?? ''), bytes, 'PX', ctx.resultTtlMs);
  return value;
}

/** The BullMQ worker (not yet running) with this module's locks, stall limit and retention. */
function createWorker(
  queueName: string,
  connection: RedisConnection,
  processor: (job: Job) => Promise<ChunkResultData>,
  { concurrency, lockMs }: WorkerSettings,
): Worker {
  const retention = { age: FINISHED_JOB_AGE_S };
  return new Worker(
    queueName,
    processor,
    {
      connection: bullmqConnection(connection),
      concurrency,
      lockDuration: lockMs,
      stalledInterval: lockMs,
      maxStalledCount: WORKER_DEFAULTS.maxStalledCount,
      autorun: false,
      // For jobs whose own options were unreadable (the producer's jobs carry the same retention).
      removeOnComplete: retention,
      removeOnFail: retention,
    },
    readableJobsBackend,
  );
}

/** Reports the worker's errors and failed jobs, and sets each finished job's record to expire. */
function watchJobs(worker: Worker, client: Redis, resultTtlMs: number, report: ErrorReport): void {
  // A finished job's record expires with its result: its producer removes it once collected, and a
  // killed producer's records go on their own (BullMQ's age retention acts only when a later job ends).
  const expire = (job: Job | undefined): void => {
    if (job?.id) void client.pexpire(worker.toKey(job.id), resultTtlMs).catch(() => 0);
  };
  worker.on('error', report('queue'));
  worker.on('completed', expire);
  worker.on('failed', (job, err) => {
    expire(job);
    log.warn(`job ${job?.id ?? '?'} failed: ${err.message}`);
  });
}

/**
 * Connects to Redis (failing clearly when it cannot) and runs a BullMQ worker that embeds chunk
 * jobs: it refuses a job for another model or whose pixels do not match its hash (the job fails at
 * once, without retries), embeds the chunk with {@link embedChunk}, stores the vectors' bytes at
 * {@link resultKey} and returns {@link encodeChunkResult}'s small value as the job's result. A job
 * whose stored fields are unreadable (or whose record expired) fails at its first take, through
 * `readableJobsBackend`; every job it finishes gets the results' expiry (`resultTtlMs`).
 *
 * Fault point (tests): `queue-worker:embedding`, reached after a job is taken and locked, before
 * it is embedded.
 */
export async function startQueueWorker(options: QueueWorkerOptions): Promise<QueueWorker> {
  const settings = workerSettings(options);
  const { connection, model } = options;
  await checkRedis(connection, options.connectTimeoutMs ?? WORKER_DEFAULTS.connectTimeoutMs);
  const modelId = modelIdOf(model);
  let completed = 0;
  const { client, report, unwatch } = openPayloadClient(connection);
  const context: ChunkJobContext = { client, model, modelId, resultTtlMs: settings.resultTtlMs };
  const processor = async (job: Job) => {
    const value = await processChunkJob(job, worker, context);
    completed++;
    return value;
  };
  const queueName = options.queueName ?? DEFAULT_QUEUE_NAME;
  const worker = createWorker(queueName, connection, processor, settings);
  watchJobs(worker, client, settings.resultTtlMs, report);
  const running = worker.run().catch((err: unknown) => log.error(`worker stopped: ${(err as Error).message}`));
  await worker.waitUntilReady();
  log.info(
    `worker on ${connection.display} queue ${queueName}: ${model.manifest.name} (encoder ${modelId.slice(0, 12)}…), concurrency ${settings.concurrency}, lock ${settings.lockMs} ms`,
  );
  return {
    completed: () => completed,
    close: async (force = false) => {
      await worker.close(force);
      await running;
      unwatch();
      client.disconnect();
    },
  };
}
