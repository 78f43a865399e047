import { parentPort } from 'node:worker_threads';
import { EmbeddingTable } from './store.js';
import type { TableWriteRequest, TableWriteResponse } from './table-writer.js';

/** Worker-thread entry of {@link TableWriter}: one `EmbeddingTable`, requests handled in order. */
const port = parentPort;
if (!port) throw new Error('table-write-worker: expected to run in a worker thread');
let table: EmbeddingTable | null = null;
let queue: Promise<void> = Promise.resolve();

async function handle(m: TableWriteRequest): Promise<TableWriteResponse> {
  if (m.op === 'open') {
    table = await EmbeddingTable.open(m.path, m.meta, { overwrite: m.overwrite });
    return { id: m.id, ok: true, keys: [...(await table.storedKeys())] };
  }
  if (m.op === 'close') {
    table?.close();
    table = null;
  } else if (!table) throw new Error('table writer: expected the table to be open before a write');
  else await table.write(m.chunk);
  return { id: m.id, ok: true };
}

port.on('message', (m: TableWriteRequest) => {
  queue = queue.then(async () => {
    let reply: TableWriteResponse;
    try {
      reply = await handle(m);
    } catch (err) {
      const e = err instanceof Error ? err : new Error(String(err));
      reply = { id: m.id, ok: false, name: e.name, message: e.message };
    }
    port.postMessage(reply);
  });
});
