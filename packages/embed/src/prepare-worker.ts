import { workerData } from 'node:worker_threads';
import type { Schema as ArrowSchema } from 'apache-arrow';
import { chunkInput, hashItems, hashOfHashes } from './chunk.js';
import type { PrepareRequest, PrepareWorkerData } from './chunk-preparer.js';
import { rowsTemplate, tableSchema, type EmbedTableMeta } from './table-rows.js';
import { answerRequests } from '@vae/data/node';

/**
 * Worker-thread entry of {@link ChunkPreparer}: hashes a chunk's items and converts its pixels to
 * model input, reading the corpus from shared memory and writing into recycled buffers. The input
 * buffers are shared memory too, allocated once and passed back and forth: transferring a fresh
 * 25 MB ArrayBuffer per chunk made V8 collect garbage on both threads at every chunk (external
 * memory pressure). Given a table layout, it also builds the chunk's Arrow rows with zeros for the
 * vectors (`rowsTemplate`), so the encoder's thread only writes its outputs into them.
 */
const { pixels, inputSize } = workerData as PrepareWorkerData;
const free: Float32Array[] = [];
/** Table schemas by their metadata's JSON. */
const schemas = new Map<string, ArrowSchema>();

function schemaOf(meta: EmbedTableMeta): ArrowSchema {
  const key = JSON.stringify(meta);
  const known = schemas.get(key);
  if (known) return known;
  const schema = tableSchema(meta);
  schemas.set(key, schema);
  return schema;
}

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
  const hash = hashOfHashes(itemHashes);
  if (!m.rowsMeta || !m.labels) return { hash, itemHashes, input };
  const c = { index: m.index, start: m.start, count: m.count, hash, labels: m.labels, itemHashes };
  return { hash, itemHashes, input, rows: rowsTemplate(schemaOf(m.rowsMeta), c, m.rowsMeta.dim) };
});
