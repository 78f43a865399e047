import type { EmbeddedChunk, EmbeddingSink } from './chunk.js';
import { buildIndex, type IndexChoice } from './search.js';
import { EmbeddingTable, type EmbedTableMeta, type OpenTableOptions } from './store.js';
import { WorkerRequests, type WorkerFailure } from '@vae/data/node';

/** A request to `table-rows-worker.ts`: one chunk to serialise. */
export interface TableRowsRequest {
  readonly id: number;
  readonly chunk: EmbeddedChunk;
}

/** The worker's answer: the chunk's rows as Arrow IPC file bytes, or the error. */
export type TableRowsResponse = { readonly id: number; readonly ok: true; readonly rows: Uint8Array } | WorkerFailure;

/**
 * An {@link EmbeddingTable} whose rows are built off the encoder's thread: a worker thread turns
 * each chunk into Arrow IPC bytes (the JavaScript work of a LanceDB `add`), and the table commits
 * them from this thread, where every LanceDB call stays. (LanceDB's calls used to run on the worker
 * too; napi-rs's asynchronous calls from a worker thread crash Node at random — nodejs/node#58484:
 * SIGSEGV in `napi_delete_reference` while resolving a LanceDB promise, in about 1 of 50 runs of
 * 350 commits.) Same checks, same commits, same errors, same writer lease as the table itself;
 * `write` resolves once the chunk is committed.
 */
export class TableWriter implements EmbeddingSink {
  /** The last write, settled before the table is closed. */
  private writing: Promise<unknown> = Promise.resolve();

  private constructor(
    private readonly table: EmbeddingTable,
    private readonly worker: WorkerRequests<TableRowsRequest, TableRowsResponse>,
  ) {}

  /** Opens (creates, resumes or overwrites) the table at `path` and starts the rows worker; see `EmbeddingTable.open`. */
  static async open(path: string, meta: EmbedTableMeta, options: OpenTableOptions = {}): Promise<TableWriter> {
    const table = await EmbeddingTable.open(path, meta, options);
    return new TableWriter(table, new WorkerRequests(import.meta.url, 'table-rows-worker', { meta: table.meta }));
  }

  /** Keys of the chunks stored when the table was opened. */
  storedKeys(): Promise<ReadonlySet<string>> {
    return this.table.storedKeys();
  }

  /** Appends a chunk's rows in one commit (a no-op when its key is stored), serialised on the worker. */
  write(chunk: EmbeddedChunk): Promise<void> {
    const done = this.writeNow(chunk);
    this.writing = done.catch(() => undefined);
    return done;
  }

  private async writeNow(chunk: EmbeddedChunk): Promise<void> {
    if (this.table.has(chunk)) return;
    if (chunk.dim !== this.table.meta.dim)
      throw new RangeError(`chunk ${chunk.index}: expected dim ${this.table.meta.dim}, got ${chunk.dim}`);
    const { rows } = await this.worker.request({ chunk });
    await this.table.commit(chunk, rows);
  }

  /**
   * Builds the ANN index (see `buildIndex`) while the lease is still held, so that no other writer
   * commits between the last chunk and the index; returns the index built and the row count.
   */
  async buildIndex(choice: IndexChoice, keepExisting: boolean): Promise<{ index: IndexChoice; rows: number }> {
    const t = this.table;
    const index = await buildIndex(t.table, choice, t.meta.dim, { keepExisting });
    return { index, rows: await t.table.countRows() };
  }

  /**
   * Stops the worker thread, closes the table and releases its writer lease; with `dropIfEmpty`, a
   * table this writer created and wrote nothing to is removed.
   */
  async close(options: { dropIfEmpty?: boolean } = {}): Promise<void> {
    if (this.worker.closed) return;
    try {
      await this.writing;
      await this.worker.close();
    } finally {
      await this.table.close(options);
    }
  }
}
