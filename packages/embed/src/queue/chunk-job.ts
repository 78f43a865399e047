import type { VaeModel } from '@vae/core';
import { type Chunk, chunkKey, type EmbeddedChunk, makeChunk } from '../chunk.js';

/** BullMQ queue name the producer and the workers share unless `--queue-name` says otherwise. */
export const DEFAULT_QUEUE_NAME = 'vae-embed';

/** Version of the job data layout; a worker refuses other versions. */
export const CHUNK_JOB_VERSION = 2;

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
const isText = (v: unknown) => typeof v === 'string' && v.length > 0;

/** Validates job data (before its payload is fetched). */
export function decodeChunkJob(value: unknown): ChunkJobData {
  if (value === null || typeof value !== 'object' || Array.isArray(value))
    throw new TypeError(`job data: expected an object, got ${value === null ? 'null' : typeof value}`);
  const d = value as Record<string, unknown>;
  return {
    v: field<number>(d, 'v', (x) => x === CHUNK_JOB_VERSION, `version ${CHUNK_JOB_VERSION}`),
    runId: field(d, 'runId', isText, 'a run id'),
    modelId: field(d, 'modelId', isText, 'an encoder SHA-256'),
    index: field(d, 'index', isCount, 'an integer ≥ 0'),
    start: field(d, 'start', isCount, 'an integer ≥ 0'),
    count: field(d, 'count', isCount, 'an integer ≥ 0'),
    inputSize: field(d, 'inputSize', (x) => isCount(x) && (x as number) > 0, 'an integer ≥ 1'),
    hash: field(d, 'hash', isText, 'a chunk hash'),
    labels: field(d, 'labels', (x) => typeof x === 'string', 'base64 int32 labels'),
    batchSize: field(d, 'batchSize', (x) => isCount(x) && (x as number) > 0, 'an integer ≥ 1'),
    logvar: field(d, 'logvar', (x) => typeof x === 'boolean', 'a boolean'),
  };
}

/**
 * Rebuilds a job's chunk from its payload, checking that the pixels still hash to the chunk's hash
 * (a corrupted or mismatched job is refused before anything is embedded).
 */
export function chunkOfPayload(job: ChunkJobData, payload: Buffer | null, key: string): Chunk {
  if (payload === null)
    throw new RangeError(
      `job payload ${key}: expected the chunk's bytes, got none (the producer removed them when it stopped; rerun vae embed --queue)`,
    );
  if (payload.length !== job.count * job.inputSize)
    throw new RangeError(
      `job payload ${key}: expected count × inputSize = ${job.count * job.inputSize} bytes, got ${payload.length}`,
    );
  const labelBytes = Buffer.from(job.labels, 'base64');
  if (labelBytes.length !== job.count * 4)
    throw new RangeError(`job data labels: expected ${job.count} int32 values, got ${labelBytes.length} bytes`);
  const labels = new Int32Array(job.count);
  new Uint8Array(labels.buffer).set(labelBytes);
  const pixels = new Uint8Array(payload.buffer, payload.byteOffset, payload.length);
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

/**
 * The embedded chunk of a job's result, checked against the producer's own `chunk` (index, hash,
 * count, byte length); labels and item hashes come from `chunk`. Throws naming what differs.
 */
export function decodeChunkResult(value: unknown, bytes: Buffer | null, chunk: Chunk): EmbeddedChunk {
  const v = (typeof value === 'string' ? JSON.parse(value) : value) as Partial<ChunkResultData> | null;
  if (v === null || typeof v !== 'object')
    throw new TypeError(`result: expected an object, got ${v === null ? 'null' : typeof v}`);
  if (v.index !== chunk.index || v.hash !== chunk.hash || v.count !== chunk.count)
    throw new Error(
      `expected chunk ${chunkKey(chunk)} (${chunk.count} items), got ${String(v.index)}:${String(v.hash)} (${String(v.count)})`,
    );
  if (!Number.isInteger(v.dim) || (v.dim as number) < 1)
    throw new RangeError(`result dim: expected an integer ≥ 1, got ${String(v.dim)}`);
  const n = chunk.count * (v.dim as number);
  const expected = n * 4 * (v.logvar ? 2 : 1);
  if (bytes === null || bytes.length !== expected)
    throw new RangeError(`result bytes: expected ${expected}, got ${bytes === null ? 'none' : bytes.length}`);
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
    dim: v.dim as number,
    mu: floats(0),
    logvar: v.logvar ? floats(n * 4) : null,
  };
}
