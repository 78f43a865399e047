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
 * A chunk's rows in the Arrow IPC file format (what LanceDB's `add` sends to its native side).
 */
export function chunkIpc(schema: ArrowSchema, c: EmbeddedChunk): Uint8Array {
  return arrow.RecordBatchFileWriter.writeAll(chunkRows(schema, c)).toUint8Array(true);
}

/** What a rows template is made from: a chunk's identity, labels and item hashes (no vectors yet). */
export type TemplateChunk = Omit<EmbeddedChunk, 'dim' | 'mu' | 'logvar' | 'rows'>;

/** A chunk's rows as Arrow IPC file bytes whose vector columns are still zeros, and where they lie. */
export interface RowsTemplate {
  /** The IPC file (a buffer of its own: `bytes.byteOffset` is 0). */
  readonly bytes: Uint8Array;
  /** Byte offset of the `vector` column's `count × L` float32 values in `bytes`. */
  readonly muOffset: number;
  /** Byte offset of the `logvar` column's values, or -1 when the schema has none. */
  readonly logvarOffset: number;
}

/** Arrow IPC buffers of a field's type (validity first), children included, in IPC order. */
function bufferCount(type: ArrowField['type']): number {
  if (type instanceof arrow.FixedSizeList) return 1 + bufferCount(type.children[0]!.type);
  if (type instanceof arrow.Utf8) return 3;
  return 2;
}

/** Body start and buffer regions of the record batch in an IPC file (walks the encapsulated messages). */
function recordBatchBuffers(bytes: Uint8Array): { body: number; buffers: { offset: number; length: number }[] } {
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  let pos = 8; // "ARROW1" and its padding
  while (pos + 8 <= bytes.length) {
    let length = view.getInt32(pos, true);
    pos += 4;
    if (length === -1) {
      length = view.getInt32(pos, true);
      pos += 4;
    }
    if (length <= 0) break;
    const message = arrow.Message.decode(bytes.subarray(pos, pos + length));
    pos += length;
    if (message.isRecordBatch()) return { body: pos, buffers: message.header().buffers };
    pos += message.bodyLength;
  }
  throw new Error('rows template: expected an Arrow IPC file with a record batch, got none');
}

/**
 * The rows of chunk `c` in `schema` as Arrow IPC file bytes with zeros for the vector (and log σ²)
 * values, and the byte offsets of those values: the encoder's outputs can be written straight into
 * the bytes LanceDB commits, so the thread that runs the encoder builds no Arrow data. Everything
 * else (ids, labels, hashes, chunk key) is final.
 */
export function rowsTemplate(schema: ArrowSchema, c: TemplateChunk, dim: number): RowsTemplate {
  const logvar = schema.fields.length > 5;
  const bytes = chunkIpc(schema, {
    ...c,
    dim,
    mu: new Float32Array(c.count * dim),
    logvar: logvar ? new Float32Array(c.count * dim) : null,
  });
  const own = bytes.byteOffset === 0 && bytes.byteLength === bytes.buffer.byteLength ? bytes : bytes.slice();
  const { body, buffers } = recordBatchBuffers(own);
  const valuesOffset = (name: string): number => {
    let index = 0;
    for (const f of schema.fields) {
      if (f.name === name) {
        // The list's validity, then its float child's validity and values.
        const region = buffers[index + 2];
        if (!region || region.length !== c.count * dim * 4)
          throw new Error(
            `rows template: expected ${c.count * dim * 4} bytes of ${name} values, got ${region?.length ?? 'none'}`,
          );
        return body + region.offset;
      }
      index += bufferCount(f.type);
    }
    throw new Error(`rows template: expected a ${name} column, got ${schema.fields.map((f) => f.name).join(', ')}`);
  };
  return { bytes: own, muOffset: valuesOffset('vector'), logvarOffset: logvar ? valuesOffset('logvar') : -1 };
}
