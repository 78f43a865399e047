import { workerData } from 'node:worker_threads';
import type { EmbeddedChunk } from './chunk.js';
import { chunkIpc, type EmbedTableMeta, tableSchema } from './table-rows.js';
import { answerRequests } from '@vae/data/node';

/**
 * Worker-thread entry of {@link TableWriter}: serialises a chunk's rows to Arrow IPC file bytes in
 * the table's schema. It imports no LanceDB: LanceDB's calls stay on the main thread.
 */
const schema = tableSchema((workerData as { meta: EmbedTableMeta }).meta);

answerRequests<{ readonly id: number; readonly chunk: EmbeddedChunk }>('table-rows-worker', (m) => ({
  rows: chunkIpc(schema, m.chunk),
}));
