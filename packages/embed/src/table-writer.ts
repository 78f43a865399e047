import type { EmbeddedChunk, EmbeddingSink } from './chunk.js';
import { buildIndex, type IndexChoice } from './search.js';
import { EmbeddingTable, type EmbedTableMeta, type OpenTableOptions } from './store.js';

/**
 * The writing side of an {@link EmbeddingTable} as `embedToTable` uses it: the table's checks,
 * commits, errors and writer lease, the ANN index built under that lease, and {@link rowsMeta} so
 * that `embedCorpus` has each chunk's Arrow rows built ahead on its preparation thread (the encoder's
 * thread then only writes μ into them and hands the bytes to LanceDB). Every LanceDB call stays on
 * this thread: napi-rs's asynchronous calls from a worker thread crash Node at random
 * (nodejs/node#58484). `write` resolves once the chunk is committed.
 */
export class TableWriter implements EmbeddingSink {
  /** The last write, settled before the table is closed. */
  private writing: Promise<unknown> = Promise.resolve();
  private closed = false;

  private constructor(private readonly table: EmbeddingTable) {}

  /** Opens (creates, resumes or overwrites) the table at `path`; see `EmbeddingTable.open`. */
  static async open(path: string, meta: EmbedTableMeta, options: OpenTableOptions = {}): Promise<TableWriter> {
    return new TableWriter(await EmbeddingTable.open(path, meta, options));
  }

  /** The layout rows are stored in (the table's own metadata when it was resumed). */
  get rowsMeta(): EmbedTableMeta {
    return this.table.meta;
  }

  /** Keys of the chunks stored when the table was opened. */
  storedKeys(): Promise<ReadonlySet<string>> {
    return this.table.storedKeys();
  }

  /** Appends a chunk's rows in one commit (a no-op when its key is stored). */
  write(chunk: EmbeddedChunk): Promise<void> {
    const done = this.table.write(chunk);
    this.writing = done.catch(() => undefined);
    return done;
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
   * Waits for the last write, closes the table and releases its writer lease; with `dropIfEmpty`, a
   * table this writer created and wrote nothing to is removed.
   */
  async close(options: { dropIfEmpty?: boolean } = {}): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    await this.writing;
    await this.table.close(options);
  }
}
