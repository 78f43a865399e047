import { existsSync } from 'node:fs';
import { basename, dirname, resolve } from 'node:path';
import * as lancedb from '@lancedb/lancedb';
import { getLogger } from '@vae/core';
import type { Data, Field as ArrowField, Schema as ArrowSchema, Table as ArrowTable } from 'apache-arrow';
import { arrow } from './arrow.js';
import { chunkKey, type EmbeddedChunk, type EmbeddingSink } from './chunk.js';

const log = getLogger('embed:store');

/** Schema metadata key holding {@link EmbedTableMeta} as JSON. */
export const TABLE_META_KEY = 'vae.embed';

/** What a table was made from; checked on resume so vectors of different models never mix. */
export interface EmbedTableMeta {
  /** Model name from its manifest. */
  readonly model: string;
  /** `provenance.paramsSha256` of the manifest ('' when the manifest has none). */
  readonly paramsSha256: string;
  /** Absolute model directory (what `vae search --image` loads unless told otherwise). */
  readonly modelDir: string;
  /** Latent size L. */
  readonly dim: number;
  readonly imageShape: readonly number[];
  readonly dataset: string;
  readonly split: string;
  /** Where the corpus was read from. */
  readonly source: string;
  readonly chunkSize: number;
  /** Whether the table has a `logvar` column. */
  readonly logvar: boolean;
}

/** Fields that must match for a resumed run to add to a table (the rest is informative). */
const RESUME_FIELDS = ['model', 'paramsSha256', 'dim', 'dataset', 'split', 'chunkSize', 'logvar'] as const;

/** A table path `DIR/NAME[.lance]` as LanceDB's database directory and table name. */
export function tableLocation(path: string): { readonly db: string; readonly name: string } {
  if (typeof path !== 'string' || path === '')
    throw new TypeError(`table: expected a path, got ${JSON.stringify(path)}`);
  const full = resolve(path);
  const name = basename(full).replace(/\.lance$/, '');
  if (name === '') throw new RangeError(`table: expected a path ending in a table name, got ${JSON.stringify(path)}`);
  return { db: dirname(full), name };
}

function vectorField(name: string, dim: number): ArrowField {
  return new arrow.Field(name, new arrow.FixedSizeList(dim, new arrow.Field('item', new arrow.Float32(), true)), false);
}

function tableSchema(meta: EmbedTableMeta): ArrowSchema {
  const fields = [
    new arrow.Field('id', new arrow.Int32(), false),
    new arrow.Field('label', new arrow.Int32(), false),
    new arrow.Field('hash', new arrow.Utf8(), false),
    new arrow.Field('chunk', new arrow.Utf8(), false),
    vectorField('vector', meta.dim),
    ...(meta.logvar ? [vectorField('logvar', meta.dim)] : []),
  ];
  return new arrow.Schema(fields, new Map([[TABLE_META_KEY, JSON.stringify(meta)]]));
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

function floatData(values: Float32Array, rows: number, dim: number): Data {
  const child = arrow.makeData({ type: new arrow.Float32(), length: rows * dim, data: values });
  return arrow.makeData({
    type: vectorField('v', dim).type as InstanceType<typeof arrow.FixedSizeList>,
    length: rows,
    nullCount: 0,
    child,
  });
}

/** Arrow Utf8 data from offsets and ASCII bytes. */
function utf8Data(valueOffsets: Int32Array, bytes: Uint8Array): Data {
  const length = valueOffsets.length - 1;
  return arrow.makeData({ type: new arrow.Utf8(), length, nullCount: 0, valueOffsets, data: bytes });
}

/** ASCII strings as Arrow Utf8 data, the bytes in one native call (`vectorFromArray` costs ~10× more). */
function stringData(values: readonly string[]): Data {
  const valueOffsets = new Int32Array(values.length + 1);
  let size = 0;
  for (let i = 0; i < values.length; i++) {
    size += values[i]!.length;
    valueOffsets[i + 1] = size;
  }
  return utf8Data(valueOffsets, Buffer.from(values.join(''), 'latin1'));
}

/** One ASCII string `count` times as Arrow Utf8 data. */
function repeatedStringData(value: string, count: number): Data {
  const valueOffsets = Int32Array.from({ length: count + 1 }, (_, i) => i * value.length);
  return utf8Data(valueOffsets, Buffer.alloc(value.length * count, value, 'latin1'));
}

/** One chunk's rows as an Arrow table in the store's schema. */
function chunkRows(schema: ArrowSchema, c: EmbeddedChunk): ArrowTable {
  const ids = Int32Array.from({ length: c.count }, (_, i) => c.start + i);
  const key = chunkKey(c);
  const children: Data[] = [
    arrow.makeData({ type: new arrow.Int32(), length: c.count, data: ids }),
    arrow.makeData({ type: new arrow.Int32(), length: c.count, data: c.labels }),
    stringData(c.itemHashes),
    repeatedStringData(key, c.count),
    floatData(c.mu, c.count, c.dim),
  ];
  if (schema.fields.length > 5) {
    if (!c.logvar) throw new RangeError(`chunk ${c.index}: expected logvar (the table has a logvar column), got null`);
    children.push(floatData(c.logvar, c.count, c.dim));
  }
  const struct = arrow.makeData({ type: new arrow.Struct(schema.fields), length: c.count, nullCount: 0, children });
  return new arrow.Table([new arrow.RecordBatch(schema, struct)]);
}

/**
 * An embeddings table in an embedded LanceDB database: rows `id, label, hash, chunk, vector[L]`
 * (and `logvar[L]`), written one chunk per commit (a chunk is stored whole or not at all), with
 * {@link EmbedTableMeta} in the schema metadata.
 */
export class EmbeddingTable implements EmbeddingSink {
  private constructor(
    /** The LanceDB table. */
    readonly table: lancedb.Table,
    readonly meta: EmbedTableMeta,
    readonly path: string,
    private readonly schema: ArrowSchema,
    private readonly keys: Set<string>,
    private readonly hashByIndex: Map<number, string>,
  ) {}

  /**
   * Opens the table at `path` for writing: creates it when absent (or when `overwrite`), else
   * checks that `meta` matches the stored metadata (model, params checksum, L, dataset, split,
   * chunk size, logvar) and loads the keys of the chunks already stored.
   */
  static async open(
    path: string,
    meta: EmbedTableMeta,
    options: { overwrite?: boolean } = {},
  ): Promise<EmbeddingTable> {
    const { db, name } = tableLocation(path);
    const conn = await lancedb.connect(db);
    const exists = (await conn.tableNames()).includes(name);
    if (!exists || options.overwrite) {
      const schema = tableSchema(meta);
      const table = await conn.createEmptyTable(name, schema, { mode: 'overwrite' });
      return new EmbeddingTable(table, meta, path, schema, new Set(), new Map());
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
    log.info(`${path}: resuming, ${keys.size} chunks already stored`);
    return new EmbeddingTable(table, stored, path, schema, keys, hashByIndex);
  }

  /** Keys ({@link chunkKey}) of the chunks stored. */
  async storedKeys(): Promise<ReadonlySet<string>> {
    return new Set(this.keys);
  }

  /**
   * Appends a chunk's rows in one commit; a no-op when its key is stored. Throws when a chunk with
   * the same index but other content is stored (the corpus changed under the table).
   */
  async write(c: EmbeddedChunk): Promise<void> {
    const key = chunkKey(c);
    if (this.keys.has(key)) return;
    const other = this.hashByIndex.get(c.index);
    if (other !== undefined)
      throw new Error(
        `${this.path}: chunk ${c.index} is stored with content hash ${other}, got ${c.hash}; the corpus changed since the table was written`,
      );
    if (c.dim !== this.meta.dim) throw new RangeError(`chunk ${c.index}: expected dim ${this.meta.dim}, got ${c.dim}`);
    await this.table.add(chunkRows(this.schema, c));
    this.keys.add(key);
    this.hashByIndex.set(c.index, c.hash);
  }

  /** Closes the table handle. */
  close(): void {
    this.table.close();
  }
}
