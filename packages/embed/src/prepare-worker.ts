import { workerData } from 'node:worker_threads';
import { chunkInput, hashItems, hashOfHashes } from './chunk.js';
import type { PrepareRequest, PrepareWorkerData } from './chunk-preparer.js';
import { answerRequests } from '@vae/data/node';

/**
 * Worker-thread entry of {@link ChunkPreparer}: hashes a chunk's items and converts its pixels to
 * model input, reading the corpus from shared memory and writing into recycled buffers. The input
 * buffers are shared memory too, allocated once and passed back and forth: transferring a fresh
 * 25 MB ArrayBuffer per chunk made V8 collect garbage on both threads at every chunk (external
 * memory pressure).
 */
const { pixels, inputSize } = workerData as PrepareWorkerData;
const free: Float32Array[] = [];

answerRequests<PrepareRequest>('prepare-worker', (m) => {
  if (m.recycle) {
    free.push(m.recycle);
    return undefined;
  }
  const bytes = pixels.subarray(m.start * inputSize, (m.start + m.count) * inputSize);
  const itemHashes = hashItems(bytes, inputSize);
  const size = m.count * inputSize;
  const i = free.findIndex((b) => b.length === size);
  const into = i >= 0 ? free.splice(i, 1)[0]! : new Float32Array(new SharedArrayBuffer(size * 4));
  const input = chunkInput(bytes, m.count, inputSize, into);
  return { hash: hashOfHashes(itemHashes), itemHashes, input };
});
