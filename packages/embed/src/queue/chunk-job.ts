import { promisify } from 'node:util';
import { deflateRaw, inflateRawSync } from 'node:zlib';
import type { VaeModel } from '@vae/core';
import { type Chunk, chunkKey, makeChunk } from '../chunk.js';

/** BullMQ queue name the producer and the workers share unless `--queue-name` says otherwise. */
export const DEFAULT_QUEUE_NAME = 'vae-embed';

/** Version of the job data layout; a worker refuses other versions. */
export const CHUNK_JOB_VERSION = 1;

/**
 * The data of one chunk job: everything a worker needs, so that workers share no file system.
 * Pixels travel raw-deflated (zlib level 1: MNIST shrinks 4×, and the bytes through Redis are what
 * bounds the queue's throughput), then base64, labels as base64; `modelId` is the encoder graph's
 * SHA-256 from the manifest.
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
  readonly pixelsDeflated: string;
  readonly labels: string;
  readonly batchSize: number;
  readonly logvar: boolean;
}

/** The identity a worker's model must match: the SHA-256 of its encoder graph (weights included). */
export function modelIdOf(model: VaeModel): string {
  return model.manifest.graphs.encoder.sha256;
}

/** The BullMQ job id of a chunk in a run: `${runId}.${index}.${hash}` (BullMQ forbids `:`). */
export function chunkJobId(runId: string, chunk: { index: number; hash: string }): string {
  return `${runId}.${chunkKey(chunk).replace(':', '.')}`;
}

const deflateRawAsync = promisify(deflateRaw);

/** Builds the job data of `chunk` (compressing on libuv's thread pool, off the producer's event loop). */
export async function encodeChunkJob(
  chunk: Chunk,
  run: { runId: string; modelId: string; inputSize: number; batchSize: number; logvar: boolean },
): Promise<ChunkJobData> {
  const deflated = await deflateRawAsync(chunk.pixels, { level: 1 });
  const labels = Buffer.from(chunk.labels.buffer, chunk.labels.byteOffset, chunk.labels.byteLength);
  return {
    v: CHUNK_JOB_VERSION,
    runId: run.runId,
    modelId: run.modelId,
    index: chunk.index,
    start: chunk.start,
    count: chunk.count,
    inputSize: run.inputSize,
    hash: chunk.hash,
    pixelsDeflated: deflated.toString('base64'),
    labels: labels.toString('base64'),
    batchSize: run.batchSize,
    logvar: run.logvar,
  };
}

function field<T>(data: Record<string, unknown>, name: string, ok: (v: unknown) => boolean, expected: string): T {
  const v = data[name];
  if (!ok(v)) throw new TypeError(`job data ${name}: expected ${expected}, got ${JSON.stringify(v)?.slice(0, 60)}`);
  return v as T;
}

const isCount = (v: unknown) => typeof v === 'number' && Number.isInteger(v) && v >= 0;
const isText = (v: unknown) => typeof v === 'string' && v.length > 0;

/**
 * Validates job data and rebuilds its chunk, checking that the pixels still hash to the chunk's
 * hash (a corrupted or mismatched job is refused before anything is embedded).
 */
export function decodeChunkJob(value: unknown): { job: ChunkJobData; chunk: Chunk } {
  if (value === null || typeof value !== 'object' || Array.isArray(value))
    throw new TypeError(`job data: expected an object, got ${value === null ? 'null' : typeof value}`);
  const d = value as Record<string, unknown>;
  const v = field<number>(d, 'v', (x) => x === CHUNK_JOB_VERSION, `version ${CHUNK_JOB_VERSION}`);
  const job: ChunkJobData = {
    v,
    runId: field(d, 'runId', isText, 'a run id'),
    modelId: field(d, 'modelId', isText, 'an encoder SHA-256'),
    index: field(d, 'index', isCount, 'an integer ≥ 0'),
    start: field(d, 'start', isCount, 'an integer ≥ 0'),
    count: field(d, 'count', isCount, 'an integer ≥ 0'),
    inputSize: field(d, 'inputSize', (x) => isCount(x) && (x as number) > 0, 'an integer ≥ 1'),
    hash: field(d, 'hash', isText, 'a chunk hash'),
    pixelsDeflated: field(d, 'pixelsDeflated', (x) => typeof x === 'string', 'base64 of raw-deflated bytes'),
    labels: field(d, 'labels', (x) => typeof x === 'string', 'base64 int32 labels'),
    batchSize: field(d, 'batchSize', (x) => isCount(x) && (x as number) > 0, 'an integer ≥ 1'),
    logvar: field(d, 'logvar', (x) => typeof x === 'boolean', 'a boolean'),
  };
  let pixels: Uint8Array;
  try {
    pixels = new Uint8Array(inflateRawSync(Buffer.from(job.pixelsDeflated, 'base64')));
  } catch (err) {
    throw new RangeError(
      `job data pixelsDeflated: expected raw-deflated bytes, got an invalid stream (${(err as Error).message})`,
    );
  }
  if (pixels.length !== job.count * job.inputSize)
    throw new RangeError(
      `job data pixelsDeflated: expected count × inputSize = ${job.count * job.inputSize} bytes, got ${pixels.length}`,
    );
  const labelBytes = Buffer.from(job.labels, 'base64');
  if (labelBytes.length !== job.count * 4)
    throw new RangeError(`job data labels: expected ${job.count} int32 values, got ${labelBytes.length} bytes`);
  const labels = new Int32Array(job.count);
  new Uint8Array(labels.buffer).set(labelBytes);
  const chunk = makeChunk(job.index, job.start, pixels, labels, job.inputSize);
  if (chunk.hash !== job.hash)
    throw new RangeError(
      `job data hash: expected the hash of its pixels (${chunk.hash}), got ${job.hash}: the job was corrupted in transit`,
    );
  return { job, chunk };
}
