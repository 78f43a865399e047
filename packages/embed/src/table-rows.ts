import type { Data, Field as ArrowField, Schema as ArrowSchema, Table as ArrowTable } from 'apache-arrow';
import { arrow } from './arrow.js';
import { chunkKey, type EmbeddedChunk } from './chunk.js';

/**
 * The embeddings table's schema and a chunk's rows as Arrow data and IPC bytes: pure apache-arrow,
 * no LanceDB, so that worker threads can build rows without loading LanceDB's native module
 * (napi-rs async calls from worker threads crash Node at random: nodejs/node#58484).
 */

/** Schema metadata key holding {@link EmbedTableMeta} as JSON. */
export const TABLE_META_KEY = 'vae.embed';

/** What a table was made from; checked on resume so vectors of different models never mix. */
export interface EmbedTableMeta {
  /** Model name from its manifest. */
  readonly model: string;
  /** `provenance.paramsSha256` of the manifest ('' when the manifest has none). */
  readonly paramsSha256: string;
  /**
   * SHA-256 of the encoder graph (`manifest.graphs.encoder.sha256`, weights included): what the
   * vectors are comparable under. Absent in tables written before it was recorded.
   */
  readonly encoderSha256?: string;
  /** The encoder's precision (`fp32`, `fp16`, `int8`); absent in tables written before it was recorded. */
  readonly precision?: string;
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

function vectorField(name: string, dim: number): ArrowField {
  return new arrow.Field(name, new arrow.FixedSizeList(dim, new arrow.Field('item', new arrow.Float32(), true)), false);
}

/** The store's Arrow schema for `meta` (with `meta` as JSON under {@link TABLE_META_KEY}). */
export function tableSchema(meta: EmbedTableMeta): ArrowSchema {
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
export function chunkRows(schema: ArrowSchema, c: EmbeddedChunk): ArrowTable {
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
 * A chunk's rows in the Arrow IPC file format (what LanceDB's `add` sends to its native side):
 * built off the thread that commits them.
 */
export function chunkIpc(schema: ArrowSchema, c: EmbeddedChunk): Uint8Array {
  return arrow.RecordBatchFileWriter.writeAll(chunkRows(schema, c)).toUint8Array(true);
}
