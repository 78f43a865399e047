import { existsSync } from 'node:fs';
import { basename, dirname, resolve } from 'node:path';
import * as lancedb from '@lancedb/lancedb';
import { getLogger } from '@vae/core';
import type { Schema as ArrowSchema } from 'apache-arrow';
import { chunkKey, type EmbeddedChunk, type EmbeddingSink } from './chunk.js';
import { arrow } from './arrow.js';
import { chunkIpc, type EmbedTableMeta, TABLE_META_KEY, tableSchema } from './table-rows.js';
import { type LeaseTiming, TableLease } from './table-lease.js';

const log = getLogger('embed:store');

export { TABLE_META_KEY, type EmbedTableMeta } from './table-rows.js';

/** Fields that must match for a resumed run to add to a table (the rest is informative; the encoder is checked by {@link assertTableEncoder}). */
const RESUME_FIELDS = ['model', 'paramsSha256', 'dim', 'dataset', 'split', 'chunkSize', 'logvar'] as const;

/** The encoder identity a table's vectors are compared under. */
export interface EncoderIdentity {
  readonly model: string;
  readonly encoderSha256: string;
  readonly precision: string;
}

/**
 * Throws unless the table's vectors (`meta`) came from the encoder `given`: the same graph SHA-256
 * (which covers precision and weights). The error names both hashes and precisions. A table
 * written before tables recorded their encoder gets a message saying so (it cannot be checked:
 * re-embed it with --overwrite).
 */
export function assertTableEncoder(meta: EmbedTableMeta, given: EncoderIdentity, path: string): void {
  if (!meta.encoderSha256)
    throw new Error(
      `${path}: expected a table that records its encoder's SHA-256, got one written before vae embed recorded it (model ${meta.model}, params ${meta.paramsSha256.slice(0, 12) || 'unknown'}); its vectors cannot be checked against ${given.model} (encoder ${given.encoderSha256}, ${given.precision}): re-embed it with vae embed --overwrite`,
    );
  if (meta.encoderSha256 !== given.encoderSha256)
    throw new Error(
      `${path}: expected the encoder the table was embedded with, ${meta.model} (encoder SHA-256 ${meta.encoderSha256}, ${meta.precision ?? 'unknown precision'}), got ${given.model} (encoder SHA-256 ${given.encoderSha256}, ${given.precision}); vectors of different encoders are not comparable: use that model, or write to another table (or --overwrite)`,
    );
}

/** A table path `DIR/NAME[.lance]` as LanceDB's database directory and table name. */
export function tableLocation(path: string): { readonly db: string; readonly name: string } {
  if (typeof path !== 'string' || path === '')
    throw new TypeError(`table: expected a path, got ${JSON.stringify(path)}`);
  const full = resolve(path);
  const name = basename(full).replace(/\.lance$/, '');
  if (name === '') throw new RangeError(`table: expected a path ending in a table name, got ${JSON.stringify(path)}`);
  return { db: dirname(full), name };
}

function parseMeta(schema: ArrowSchema, path: string): EmbedTableMeta {
  const raw = schema.metadata.get(TABLE_META_KEY);
  if (!raw)
    throw new Error(`${path}: expected a table written by vae embed (schema metadata ${TABLE_META_KEY}), got none`);
  return JSON.parse(raw) as EmbedTableMeta;
}

/** Opens an existing embeddings table for reading; throws naming the path when there is none. */
export async function openTableForRead(path: string): Promise<{ table: lancedb.Table; meta: EmbedTableMeta }> {
  const { db, name } = tableLocation(path);
  if (!existsSync(resolve(db, `${name}.lance`)))
    throw new Error(`table: expected an embeddings table at ${resolve(db, `${name}.lance`)}, got no such directory`);
  const table = await (await lancedb.connect(db)).openTable(name);
  return { table, meta: parseMeta(await table.schema(), path) };
}

/** Options of {@link EmbeddingTable.open}. */
export interface OpenTableOptions {
  /** Start a new table even when one exists. */
  readonly overwrite?: boolean;
  /** Lease timing (tests shorten it). */
  readonly lease?: Partial<LeaseTiming>;
}

/**
 * An embeddings table in an embedded LanceDB database: rows `id, label, hash, chunk, vector[L]`
 * (and `logvar[L]`), written one chunk per commit (a chunk is stored whole or not at all), with
 * {@link EmbedTableMeta} in the schema metadata. One writer at a time: opening for writing takes
 * the table's {@link TableLease}, and every commit first checks that the table's latest version is
 * this writer's last one, so rows of another writer (one that ignored or outlived the lease) are
 * never duplicated silently.
 */
export class EmbeddingTable implements EmbeddingSink {
  private written = 0;

  private constructor(
    /** The LanceDB table. */
    readonly table: lancedb.Table,
    readonly meta: EmbedTableMeta,
    readonly path: string,
    /** The Arrow schema rows are written in (see `chunkIpc`). */
    readonly schema: ArrowSchema,
    private readonly keys: Set<string>,
    private readonly hashByIndex: Map<number, string>,
    private readonly lease: TableLease,
    private version: number,
    /** Whether this writer created the table (dropped again by `close({ dropIfEmpty })` when nothing was written). */
    private readonly created: boolean,
  ) {}

  /**
   * Opens the table at `path` for writing: takes its writer lease (a `TableBusyError` naming the
   * holder when another process writes it), then creates the table when absent (or when
   * `overwrite`), else checks that `meta` matches the stored metadata (model, encoder SHA-256,
   * params checksum, L, dataset, split, chunk size, logvar) and loads the keys of the chunks already
   * stored.
   */
  static async open(path: string, meta: EmbedTableMeta, options: OpenTableOptions = {}): Promise<EmbeddingTable> {
    const { db, name } = tableLocation(path);
    const lease = await TableLease.acquire(resolve(db, `${name}.lance`), options.lease);
    try {
      return await EmbeddingTable.openLeased(path, meta, options, lease);
    } catch (err) {
      await lease.release();
      throw err;
    }
  }

  private static async openLeased(
    path: string,
    meta: EmbedTableMeta,
    options: OpenTableOptions,
    lease: TableLease,
  ): Promise<EmbeddingTable> {
    const { db, name } = tableLocation(path);
    const conn = await lancedb.connect(db);
    const exists = (await conn.tableNames()).includes(name);
    if (!exists || options.overwrite) {
      const schema = tableSchema(meta);
      const table = await conn.createEmptyTable(name, schema, { mode: 'overwrite' });
      return new EmbeddingTable(table, meta, path, schema, new Set(), new Map(), lease, await table.version(), !exists);
    }
    const table = await conn.openTable(name);
    const schema = await table.schema();
    const stored = parseMeta(schema, path);
    for (const f of RESUME_FIELDS) {
      if (JSON.stringify(stored[f]) !== JSON.stringify(meta[f]))
        throw new Error(
          `${path}: expected ${f} ${JSON.stringify(stored[f])} (the table was written with it), got ${JSON.stringify(meta[f])}; write to another table or pass --overwrite instead of mixing vectors`,
        );
    }
    assertTableEncoder(stored, encoderOf(meta), path);
    const { keys, hashByIndex } = await storedChunks(table);
    log.info(`${path}: resuming, ${keys.size} chunks already stored`);
    return new EmbeddingTable(table, stored, path, schema, keys, hashByIndex, lease, await table.version(), false);
  }

  /** Keys ({@link chunkKey}) of the chunks stored. */
  async storedKeys(): Promise<ReadonlySet<string>> {
    return new Set(this.keys);
  }

  /** Whether chunk `c` is stored; throws when its index is stored with other content (the corpus changed under the table). */
  has(c: { readonly index: number; readonly hash: string }): boolean {
    if (this.keys.has(chunkKey(c))) return true;
    const other = this.hashByIndex.get(c.index);
    if (other !== undefined)
      throw new Error(
        `${this.path}: chunk ${c.index} is stored with content hash ${other}, got ${c.hash}; the corpus changed since the table was written`,
      );
    return false;
  }

  /**
   * Appends a chunk's rows in one commit; a no-op when its key is stored. Throws when a chunk with
   * the same index but other content is stored (the corpus changed under the table), when the lease
   * was lost, or when another writer committed to the table since this one's last commit.
   */
  async write(c: EmbeddedChunk): Promise<void> {
    if (this.has(c)) return;
    if (c.dim !== this.meta.dim) throw new RangeError(`chunk ${c.index}: expected dim ${this.meta.dim}, got ${c.dim}`);
    await this.commit(c, c.rows ? prebuiltRows(c, c.rows) : chunkIpc(this.schema, c));
  }

  /** Commits chunk `c` as the Arrow IPC file `rows`; the caller has checked {@link EmbeddingTable.has} and the dim. */
  private async commit(c: EmbeddedChunk, rows: Uint8Array): Promise<void> {
    this.lease.check();
    await this.table.checkoutLatest();
    const latest = await this.table.version();
    if (latest !== this.version)
      throw new Error(
        `${this.path}: expected the table at version ${this.version} (this run's last commit), got version ${latest}: another process wrote to it meanwhile; nothing of chunk ${c.index} was written (run vae embed again to resume)`,
      );
    const { version } = await nativeAdd(this.table, rows);
    this.version = version;
    // Another commit landed between the check and this one: prove the ids are still unique.
    if (version !== latest + 1) await this.assertUniqueIds(c);
    this.keys.add(chunkKey(c));
    this.hashByIndex.set(c.index, c.hash);
    this.written++;
  }

  private async assertUniqueIds(c: EmbeddedChunk): Promise<void> {
    const rows = await this.table.countRows(`id >= ${c.start} AND id < ${c.start + c.count}`);
    if (rows !== c.count)
      throw new Error(
        `${this.path}: expected ${c.count} rows with ids ${c.start}…${c.start + c.count - 1} after committing chunk ${c.index}, got ${rows}: another process wrote the same items at the same time; rebuild the table with vae embed --overwrite`,
      );
  }

  /**
   * Closes the table handle and releases the writer lease. With `dropIfEmpty`, a table this writer
   * created and wrote nothing to is removed again (a failed first run leaves no empty table).
   */
  async close(options: { dropIfEmpty?: boolean } = {}): Promise<void> {
    this.table.close();
    try {
      if (options.dropIfEmpty && this.created && this.written === 0) {
        const { db, name } = tableLocation(this.path);
        await (await lancedb.connect(db)).dropTable(name);
      }
    } finally {
      await this.lease.release();
    }
  }
}

/**
 * A chunk's prebuilt rows ({@link EmbeddedChunk.rows}, in the layout of the table's `meta`, built by
 * `rowsTemplate` in `embedCorpus`'s preparation worker): they must hold the chunk's vectors, i.e.
 * `mu` (and `logvar`) must be views into them.
 */
function prebuiltRows(c: EmbeddedChunk, rows: Uint8Array): Uint8Array {
  const inside = (v: Float32Array | null) => v === null || v.buffer === rows.buffer;
  if (!inside(c.mu) || !inside(c.logvar))
    throw new RangeError(
      `chunk ${c.index}: expected rows whose vector columns are its mu and logvar (views into the rows' bytes), got rows built apart from them`,
    );
  return rows;
}

/** LanceDB 0.31's native table behind `LocalTable` (its `add` takes Arrow IPC file bytes). */
interface NativeTable {
  add(buf: Buffer, mode: string): Promise<{ version: number }>;
}

/**
 * Appends Arrow IPC file bytes to `table` through LanceDB's native `add`, which its JavaScript
 * `Table.add` calls after serialising rows the same way ({@link chunkIpc}): so the rows can be
 * built on another thread (`rowsTemplate`) while every LanceDB call stays on the main thread. Falls
 * back to the public `add` (deserialising the bytes) if a LanceDB release hides its native table.
 */
function nativeAdd(table: lancedb.Table, rows: Uint8Array): Promise<{ version: number }> {
  const inner = (table as unknown as { inner?: Partial<NativeTable> }).inner;
  const buf = Buffer.from(rows.buffer, rows.byteOffset, rows.byteLength);
  if (typeof inner?.add === 'function') return inner.add(buf, 'append');
  return table.add(arrow.tableFromIPC(buf));
}

/** The encoder identity recorded in `meta` (a new table's, so every field is set). */
function encoderOf(meta: EmbedTableMeta): EncoderIdentity {
  return { model: meta.model, encoderSha256: meta.encoderSha256 ?? '', precision: meta.precision ?? '' };
}

/** Keys of the chunks stored in `table`, and each chunk index's content hash. */
async function storedChunks(table: lancedb.Table): Promise<{ keys: Set<string>; hashByIndex: Map<number, string> }> {
  const keys = new Set<string>();
  const hashByIndex = new Map<number, string>();
  const column = (await table.query().select(['chunk']).toArrow()).getChild('chunk');
  for (let i = 0; i < (column?.length ?? 0); i++) {
    const key = column!.get(i) as string;
    if (keys.has(key)) continue;
    keys.add(key);
    const [index, hash] = key.split(':') as [string, string];
    hashByIndex.set(Number(index), hash);
  }
  return { keys, hashByIndex };
}
