import type { EmbeddedChunk, EmbeddingSink } from './chunk.js';
import type { EmbedTableMeta } from './store.js';
import type { WorkerFailure } from './worker-replies.js';
import { WorkerRequests } from './worker-requests.js';

/** A request to `table-write-worker.ts`. */
export type TableWriteRequest =
  | {
      readonly id: number;
      readonly op: 'open';
      readonly path: string;
      readonly meta: EmbedTableMeta;
      readonly overwrite: boolean;
    }
  | { readonly id: number; readonly op: 'write'; readonly chunk: EmbeddedChunk }
  | { readonly id: number; readonly op: 'close' };

/** The worker's answer: done (with the stored keys after `open`), or the error. */
export type TableWriteResponse =
  | { readonly id: number; readonly ok: true; readonly keys?: readonly string[] }
  | WorkerFailure;

/**
 * An {@link EmbeddingTable} written from a worker thread: building a chunk's Arrow rows and
 * LanceDB's JavaScript side of each commit run there, off the thread that runs the encoder
 * (onnxruntime-node's `run` is synchronous on its caller's thread). Same checks, same commits, same
 * errors as the table itself; `write` resolves once the chunk is committed.
 */
export class TableWriter implements EmbeddingSink {
  private keys: ReadonlySet<string> = new Set();

  private constructor(private readonly worker: WorkerRequests<TableWriteRequest, TableWriteResponse>) {}

  /** Opens (creates, resumes or overwrites) the table at `path` on a new worker thread; see `EmbeddingTable.open`. */
  static async open(path: string, meta: EmbedTableMeta, options: { overwrite?: boolean } = {}): Promise<TableWriter> {
    const writer = new TableWriter(new WorkerRequests(import.meta.url, 'table-write-worker'));
    try {
      const r = await writer.worker.request({ op: 'open', path, meta, overwrite: options.overwrite ?? false });
      writer.keys = new Set(r.keys ?? []);
      return writer;
    } catch (err) {
      await writer.close().catch(() => undefined);
      throw err;
    }
  }

  /** Keys of the chunks stored when the table was opened. */
  async storedKeys(): Promise<ReadonlySet<string>> {
    return new Set(this.keys);
  }

  /** Appends a chunk's rows in one commit on the worker (a no-op when its key is stored). */
  async write(chunk: EmbeddedChunk): Promise<void> {
    await this.worker.request({ op: 'write', chunk });
  }

  /** Closes the table and stops the worker thread. */
  async close(): Promise<void> {
    if (this.worker.closed) return;
    try {
      if (!this.worker.busy) await this.worker.request({ op: 'close' });
    } finally {
      await this.worker.close();
    }
  }
}
