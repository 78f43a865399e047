import { resolve } from 'node:path';
import { writeFileAtomic } from '@vae/data/node';
import { parquetWriteBuffer, type ColumnSource, type SchemaElement } from 'hyparquet-writer';
import { openTableForRead, TABLE_META_KEY } from './store.js';

/** What {@link exportParquet} wrote. */
export interface ParquetExport {
  readonly path: string;
  readonly rows: number;
  readonly bytes: number;
}

/** A required `LIST<FLOAT>` column (Parquet's three-level list). */
function floatListSchema(name: string): SchemaElement[] {
  return [
    { name, repetition_type: 'REQUIRED', converted_type: 'LIST', num_children: 1 },
    { name: 'list', repetition_type: 'REPEATED', num_children: 1 },
    { name: 'element', type: 'FLOAT', repetition_type: 'REQUIRED' },
  ];
}

/** Rows of a fixed-size-list column as plain arrays (what hyparquet-writer's list encoding takes). */
function rowsOf(flat: Float32Array, rows: number, dim: number): number[][] {
  return Array.from({ length: rows }, (_, r) => Array.from(flat.subarray(r * dim, (r + 1) * dim)));
}

/**
 * Exports an embeddings table to a Parquet file, rows in id order: `id` INT32, `label` INT32, `hash`
 * and `chunk` UTF8, `vector` (and `logvar`) LIST<FLOAT>, with the table metadata as key-value
 * metadata `vae.embed`. Written atomically (temp file, fsync, rename).
 */
export async function exportParquet(table: string, file: string): Promise<ParquetExport> {
  const { table: t, meta } = await openTableForRead(table);
  try {
    const columns = ['id', 'label', 'hash', 'chunk', 'vector', ...(meta.logvar ? ['logvar'] : [])];
    const arrow = await t.query().select(columns).toArrow();
    const n = arrow.numRows;
    const ids = Int32Array.from(arrow.getChild('id')!.toArray() as Int32Array);
    const order = Array.from({ length: n }, (_, i) => i).sort((a, b) => ids[a]! - ids[b]!);
    const pick = <T>(name: string): T[] => {
      const col = arrow.getChild(name)!;
      return order.map((i) => col.get(i) as T);
    };
    const floats = (name: string): number[][] => {
      const col = arrow.getChild(name)!;
      const flat = new Float32Array(n * meta.dim);
      order.forEach((i, r) => flat.set(col.get(i).toArray() as Float32Array, r * meta.dim));
      return rowsOf(flat, n, meta.dim);
    };
    const columnData: ColumnSource[] = [
      { name: 'id', data: Int32Array.from(order, (i) => ids[i]!) },
      { name: 'label', data: Int32Array.from(pick<number>('label')) },
      { name: 'hash', data: pick<string>('hash') },
      { name: 'chunk', data: pick<string>('chunk') },
      { name: 'vector', data: floats('vector') },
      ...(meta.logvar ? [{ name: 'logvar', data: floats('logvar') }] : []),
    ];
    const schema: SchemaElement[] = [
      { name: 'root', num_children: columnData.length },
      { name: 'id', type: 'INT32', repetition_type: 'REQUIRED' },
      { name: 'label', type: 'INT32', repetition_type: 'REQUIRED' },
      { name: 'hash', type: 'BYTE_ARRAY', converted_type: 'UTF8', repetition_type: 'REQUIRED' },
      { name: 'chunk', type: 'BYTE_ARRAY', converted_type: 'UTF8', repetition_type: 'REQUIRED' },
      ...floatListSchema('vector'),
      ...(meta.logvar ? floatListSchema('logvar') : []),
    ];
    const buffer = parquetWriteBuffer({
      columnData,
      schema,
      kvMetadata: [{ key: TABLE_META_KEY, value: JSON.stringify(meta) }],
      createdBy: '@vae/embed',
    });
    const path = resolve(file);
    await writeFileAtomic(path, new Uint8Array(buffer));
    return { path, rows: n, bytes: buffer.byteLength };
  } finally {
    t.close();
  }
}
