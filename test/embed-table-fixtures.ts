/** What the `vae embed` CLI tests share: their argument list and a reader of the table they write. */
import { openTableForRead } from '@vae/embed';
import { REFERENCE_MODEL } from './parity-fixtures.js';

/** `vae embed` of the first 1,000 MNIST test images into `out` (no index, JSON summary), then `extra`. */
export function embedArgs(out: string, chunkSize: number, extra: string[] = []): string[] {
  return [
    'embed',
    '--model',
    REFERENCE_MODEL,
    '--dataset',
    'mnist',
    '--split',
    'test',
    '--limit',
    '1000',
    '--chunk-size',
    String(chunkSize),
    '--out',
    out,
    '--index',
    'none',
    '--json',
    ...extra,
  ];
}

/** One id of a table: how many rows it has, its content hash and the bits of μ (and log σ² when stored). */
export interface TableRow {
  readonly times: number;
  readonly hash: string;
  readonly bits: string;
}

/** The rows of an embeddings table by id. */
export async function rowsById(path: string): Promise<{ rows: number; byId: Map<number, TableRow> }> {
  const { table } = await openTableForRead(path);
  try {
    const a = await table.query().toArrow();
    const byId = new Map<number, TableRow>();
    for (let i = 0; i < a.numRows; i++) {
      const id = a.getChild('id')!.get(i) as number;
      const mu = a.getChild('vector')!.get(i).toArray() as Float32Array;
      const logvar = a.getChild('logvar')?.get(i)?.toArray() as Float32Array | undefined;
      const bits = [mu, logvar ?? new Float32Array()]
        .map((v) => Buffer.from(v.buffer, v.byteOffset, v.byteLength).toString('hex'))
        .join('/');
      byId.set(id, { times: (byId.get(id)?.times ?? 0) + 1, hash: a.getChild('hash')!.get(i) as string, bits });
    }
    return { rows: a.numRows, byId };
  } finally {
    table.close();
  }
}
