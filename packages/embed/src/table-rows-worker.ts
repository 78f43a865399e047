import { EmbeddingTable } from './store.js';
import type { TableWriteRequest } from './table-writer.js';
import { answerRequests } from './worker-replies.js';

/** Worker-thread entry of {@link TableWriter}: one `EmbeddingTable`, requests handled in order. */
let table: EmbeddingTable | null = null;

answerRequests<TableWriteRequest>('table-write-worker', async (m) => {
  if (m.op === 'open') {
    table = await EmbeddingTable.open(m.path, m.meta, { overwrite: m.overwrite });
    return { keys: [...(await table.storedKeys())] };
  }
  if (m.op === 'close') {
    table?.close();
    table = null;
  } else if (!table) throw new Error('table writer: expected the table to be open before a write');
  else await table.write(m.chunk);
  return {};
});
