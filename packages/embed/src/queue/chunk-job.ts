import type { VaeModel } from '@vae/core';
import { type Chunk, chunkKey, type EmbeddedChunk, makeChunk } from '../chunk.js';
import type { BoundedValue } from './bounded-get.js';

/** BullMQ queue name the producer and the workers share unless `--queue-name` says otherwise. */
export const DEFAULT_QUEUE_NAME = 'vae-embed';

/** Version of the job data layout; a worker refuses other versions. */
export const CHUNK_JOB_VERSION = 2;

/**
 * Largest chunk payload (count × inputSize bytes) a job may declare: 128 MiB (MNIST's default
 * chunk is 6.4 MB). The producer refuses larger chunks, a worker refuses such jobs unread.
 */
export const MAX_JOB_PAYLOAD_BYTES = 128 * 2 ** 20;

/**
 * How long chunk bytes and results live in Redis without their producer: the producer renews its
 * outstanding payloads while it runs, a worker sets its result with this expiry, so a killed
 * producer leaves nothing large behind for longer (15 min).
 */
export const QUEUE_KEY_TTL_MS = 15 * 60_000;

/**
 * BullMQ's age retention of finished jobs (removeOnComplete/removeOnFail, seconds): it removes them
 * when a later job of the queue ends. Every job record also carries a key expiry (see the producer
 * and the worker), so records left by a killed producer go even when no job ends after them.
 */
export const FINISHED_JOB_AGE_S = 3600;

/**
 * Job data field a worker sets on a job whose stored fields could not be parsed (see
 * `readableJobsBackend`): the message naming each unreadable field, which {@link decodeChunkJob} throws.
 */
export const UNREADABLE_JOB = 'unreadableJobData';

/**
 * The data of one chunk job: everything a worker needs besides the chunk's bytes, so that workers
 * share no file system. The pixels travel as a binary Redis value beside the job
 * ({@link payloadKey}): BullMQ keeps job data as JSON, and compressing, base64-encoding and JSON-quoting
 * ~1.5 MB per chunk cost the producer and the worker more per item than the encoder. Labels (4
 * bytes per item) stay in the data as base64 int32. `modelId` is the encoder graph's SHA-256.
 */
export interface ChunkJobData {
  readonly v: number;
  readonly runId: string;
  readonly modelId: string;
  readonly index: number;
  readonly start: number;
  readonly count: number;
  readonly inputSize: number;
  readonly hash: string;
  readonly labels: string;
  readonly batchSize: number;
  readonly logvar: boolean;
}

/** What a worker returns for a job (its vectors are in the binary value at {@link resultKey}). */
export interface ChunkResultData {
  readonly index: number;
  readonly count: number;
  readonly hash: string;
  readonly dim: number;
  readonly logvar: boolean;
}

/** Something that names keys under a BullMQ queue's prefix: a Queue or a Worker. */
export interface QueueKeys {
  toKey(type: string): string;
}

/** The Redis key of a job's pixels (under the queue's prefix, so obliterating the queue removes it). */
export function payloadKey(queue: QueueKeys, jobId: string): string {
  return queue.toKey(`payload:${jobId}`);
}

/** The Redis key of a job's result bytes (μ, then log σ² when asked for, float32 little-endian). */
export function resultKey(queue: QueueKeys, jobId: string): string {
  return queue.toKey(`result:${jobId}`);
}

/** The identity a worker's model must match: the SHA-256 of its encoder graph (weights included). */
export function modelIdOf(model: VaeModel): string {
  return model.manifest.graphs.encoder.sha256;
}

/** The BullMQ job id of a chunk in a run: `${runId}.${index}.${hash}` (BullMQ forbids `:`). */
export function chunkJobId(runId: string, chunk: { index: number; hash: string }): string {
  return `${runId}.${chunkKey(chunk).replace(':', '.')}`;
}

/** Builds the job data of `chunk`. */
export function encodeChunkJob(
  chunk: Chunk,
  run: { runId: string; modelId: string; inputSize: number; batchSize: number; logvar: boolean },
): ChunkJobData {
  return {
    v: CHUNK_JOB_VERSION,
    runId: run.runId,
    modelId: run.modelId,
    index: chunk.index,
    start: chunk.start,
    count: chunk.count,
    inputSize: run.inputSize,
    hash: chunk.hash,
    labels: Buffer.from(chunk.labels.buffer, chunk.labels.byteOffset, chunk.labels.byteLength).toString('base64'),
    batchSize: run.batchSize,
    logvar: run.logvar,
  };
}

/** The bytes stored at {@link payloadKey}: the chunk's pixels (a view, not a copy). */
export function chunkPayload(chunk: Chunk): Buffer {
  return Buffer.from(chunk.pixels.buffer, chunk.pixels.byteOffset, chunk.pixels.byteLength);
}

function field<T>(data: Record<string, unknown>, name: string, ok: (v: unknown) => boolean, expected: string): T {
  const v = data[name];
  if (!ok(v)) throw new TypeError(`job data ${name}: expected ${expected}, got ${JSON.stringify(v)?.slice(0, 60)}`);
  return v as T;
}

const isCount = (v: unknown) => typeof v === 'number' && Number.isInteger(v) && v >= 0;
const matches = (re: RegExp) => (v: unknown) => typeof v === 'string' && re.test(v);
/** Largest id + 1 (ids are int32 in the table). */
const MAX_IDS = 2 ** 31 - 1;
/** Largest encoder batch a job may ask for. */
const MAX_JOB_BATCH = 65_536;

/**
 * Validates job data (before its payload is fetched): every field's type and range, that the
 * payload it declares (count × inputSize) is at most {@link MAX_JOB_PAYLOAD_BYTES}, that its ids fit
 * int32 and that its labels are `count` int32 values. Throws naming the first bad field.
 */
export function decodeChunkJob(value: unknown): ChunkJobData {
  if (value === null || typeof value !== 'object' || Array.isArray(value))
    throw new TypeError(`job data: expected an object, got ${value === null ? 'null' : typeof value}`);
  const d = value as Record<string, unknown>;
  if (typeof d[UNREADABLE_JOB] === 'string') throw new TypeError(d[UNREADABLE_JOB] as string);
  const job: ChunkJobData = {
    v: field<number>(d, 'v', (x) => x === CHUNK_JOB_VERSION, `version ${CHUNK_JOB_VERSION}`),
    runId: field(d, 'runId', matches(/^[\w-]{1,200}$/), 'a run id (letters, digits, - and _)'),
    modelId: field(d, 'modelId', matches(/^[0-9a-f]{64}$/), 'an encoder SHA-256 (64 hex digits)'),
    index: field(d, 'index', isCount, 'an integer ≥ 0'),
    start: field(d, 'start', isCount, 'an integer ≥ 0'),
    count: field(d, 'count', (x) => isCount(x) && (x as number) > 0, 'an integer ≥ 1'),
    inputSize: field(d, 'inputSize', (x) => isCount(x) && (x as number) > 0, 'an integer ≥ 1'),
    hash: field(d, 'hash', matches(/^[0-9a-f]{16}$/), 'a chunk hash (16 hex digits)'),
    labels: field(d, 'labels', (x) => typeof x === 'string', 'base64 int32 labels'),
    batchSize: field(
      d,
      'batchSize',
      (x) => isCount(x) && (x as number) > 0 && (x as number) <= MAX_JOB_BATCH,
      `an integer in [1, ${MAX_JOB_BATCH}]`,
    ),
    logvar: field(d, 'logvar', (x) => typeof x === 'boolean', 'a boolean'),
  };
  const bytes = job.count * job.inputSize;
  if (bytes > MAX_JOB_PAYLOAD_BYTES)
    throw new RangeError(
      `job data count × inputSize: expected at most ${MAX_JOB_PAYLOAD_BYTES} bytes, got ${job.count} × ${job.inputSize} = ${bytes}`,
    );
  if (job.start + job.count > MAX_IDS)
    throw new RangeError(`job data start + count: expected ids below ${MAX_IDS}, got ${job.start} + ${job.count}`);
  const base64 = 4 * Math.ceil((4 * job.count) / 3);
  if (job.labels.length !== base64)
    throw new RangeError(
      `job data labels: expected ${job.count} int32 values (${base64} base64 characters), got ${job.labels.length} characters`,
    );
  return job;
}

/** The payload size a job declares: `count × inputSize` bytes. */
export function payloadBytes(job: ChunkJobData): number {
  return job.count * job.inputSize;
}

/**
 * Rebuilds a job's chunk from its payload (read with `getExactly`, so a value of another length
 * was never transferred), checking that the pixels still hash to the chunk's hash (a corrupted or
 * mismatched job is refused before anything is embedded).
 */
export function chunkOfPayload(job: ChunkJobData, payload: BoundedValue, key: string): Chunk {
  if (!payload.ok && payload.missing)
    throw new RangeError(
      `job payload ${key}: expected the chunk's bytes, got none (its producer stopped and they were removed or expired; rerun vae embed --queue)`,
    );
  if (!payload.ok)
    throw new RangeError(
      `job payload ${key}: expected count × inputSize = ${payloadBytes(job)} bytes, got ${payload.length} (not read)`,
    );
  const labelBytes = Buffer.from(job.labels, 'base64');
  if (labelBytes.length !== job.count * 4)
    throw new RangeError(`job data labels: expected ${job.count} int32 values, got ${labelBytes.length} bytes`);
  const labels = new Int32Array(job.count);
  new Uint8Array(labels.buffer).set(labelBytes);
  const { bytes } = payload;
  const pixels = new Uint8Array(bytes.buffer, bytes.byteOffset, bytes.length);
  const chunk = makeChunk(job.index, job.start, pixels, labels, job.inputSize);
  if (chunk.hash !== job.hash)
    throw new RangeError(
      `job data hash: expected the hash of its pixels (${chunk.hash}), got ${job.hash}: the job was corrupted in transit`,
    );
  return chunk;
}

/** A worker's result for a job: the small return value and the vectors' bytes for {@link resultKey}. */
export function encodeChunkResult(e: EmbeddedChunk): { value: ChunkResultData; bytes: Buffer } {
  const parts = [e.mu, ...(e.logvar ? [e.logvar] : [])].map((a) => Buffer.from(a.buffer, a.byteOffset, a.byteLength));
  return {
    value: { index: e.index, count: e.count, hash: e.hash, dim: e.dim, logvar: e.logvar !== null },
    bytes: Buffer.concat(parts),
  };
}

/** The byte length of a chunk's result: `count × dim` float32 μ, then as many log σ² when asked for. */
export function resultBytes(count: number, dim: number, logvar: boolean): number {
  return count * dim * 4 * (logvar ? 2 : 1);
}

/** Parses a job's stored return value (JSON text, or already parsed); throws a TypeError for anything else. */
function resultValue(value: unknown): Partial<ChunkResultData> {
  let v = value;
  if (typeof value === 'string') {
    try {
      v = JSON.parse(value);
    } catch (err) {
      throw new TypeError(`result: expected JSON, got unreadable text (${(err as Error).message})`);
    }
  }
  if (v === null || typeof v !== 'object' || Array.isArray(v))
    throw new TypeError(`result: expected an object, got ${v === null ? 'null' : typeof v}`);
  return v as Partial<ChunkResultData>;
}

/**
 * The embedded chunk of a job's result, checked against the producer's own `chunk` (index, hash,
 * count), the run's latent size and log σ² choice (`expected`) and the bytes' length; labels and item
 * hashes come from `chunk`. Throws naming what differs.
 */
export function decodeChunkResult(
  value: unknown,
  bytes: Buffer,
  chunk: Chunk,
  expected: { readonly dim: number; readonly logvar: boolean },
): EmbeddedChunk {
  const v = resultValue(value);
  if (v.index !== chunk.index || v.hash !== chunk.hash || v.count !== chunk.count)
    throw new Error(
      `expected chunk ${chunkKey(chunk)} (${chunk.count} items), got ${String(v.index)}:${String(v.hash)} (${String(v.count)})`,
    );
  if (v.dim !== expected.dim || v.logvar !== expected.logvar)
    throw new RangeError(
      `result: expected dim ${expected.dim}${expected.logvar ? ' with' : ' without'} log σ², got dim ${String(v.dim)}${v.logvar ? ' with' : ' without'}`,
    );
  const n = chunk.count * expected.dim;
  const length = resultBytes(chunk.count, expected.dim, expected.logvar);
  if (bytes.length !== length) throw new RangeError(`result bytes: expected ${length}, got ${bytes.length}`);
  const floats = (from: number) => {
    const a = new Float32Array(n);
    new Uint8Array(a.buffer).set(bytes.subarray(from, from + n * 4));
    return a;
  };
  const { index, start, count, hash, labels, itemHashes } = chunk;
  return {
    index,
    start,
    count,
    hash,
    labels,
    itemHashes,
    dim: expected.dim,
    mu: floats(0),
    logvar: expected.logvar ? floats(n * 4) : null,
  };
}
