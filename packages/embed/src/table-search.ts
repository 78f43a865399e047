import { readFile } from 'node:fs/promises';
import type { VaeModel } from '@vae/core';
import { decodeAndFit } from '@vae/data/node';
import { chunkInput } from './chunk.js';
import { searchVector, vectorOfId, type Neighbour, type SearchOptions } from './search.js';
import { assertTableEncoder, type EmbedTableMeta, type EncoderIdentity, openTableForRead } from './store.js';

/** A query: a stored item's id, or a vector of L values. */
export type SearchQuery = { readonly id: number } | { readonly vector: Float32Array };

/** An opened embeddings table answering k-nearest-neighbour queries (the server's search provider shape). */
export interface TableSearch {
  readonly dim: number;
  readonly source: string;
  readonly meta: EmbedTableMeta;
  /** Whether the table has an ANN index on its vectors (else every search is exact). */
  readonly indexed: boolean;
  /** Nearest first; a query by id includes the item itself (distance 0). */
  search(query: SearchQuery, k: number, options?: Omit<SearchOptions, 'k'>): Promise<Neighbour[]>;
  close(): void;
}

/** Largest float32 value: LanceDB's squared L2 distances are float32 sums. */
const FLOAT32_MAX = 3.4028234663852886e38;
/**
 * Largest squared norm of a query vector: ‖q − s‖² ≤ 2‖q‖² + 2‖s‖² then stays finite in float32
 * for any stored vector of reasonable size (a query of 3e38 would make every distance +∞, and
 * LanceDB drops such rows: 200 with no neighbours instead of an error).
 */
export const MAX_QUERY_NORM2 = FLOAT32_MAX / 4;

/** `v` when its values are finite and its squared norm is at most {@link MAX_QUERY_NORM2}, else a RangeError. */
function checkedQuery(v: Float32Array): Float32Array {
  let norm2 = 0;
  for (let i = 0; i < v.length; i++) {
    if (!Number.isFinite(v[i]!)) throw new RangeError(`vector[${i}]: expected a finite number, got ${v[i]}`);
    norm2 += v[i]! * v[i]!;
  }
  if (norm2 > MAX_QUERY_NORM2)
    throw new RangeError(
      `vector: expected a squared norm of at most ${MAX_QUERY_NORM2.toExponential(2)} (squared distances must fit float32), got ${norm2.toExponential(2)}`,
    );
  return v;
}

/** Opens the table at `path` for search. */
export async function openTableSearch(path: string): Promise<TableSearch> {
  const { table, meta } = await openTableForRead(path);
  const indexed = (await table.listIndices()).some((i) => i.columns.includes('vector'));
  return {
    dim: meta.dim,
    source: path,
    meta,
    indexed,
    async search(query, k, options = {}) {
      let vector: Float32Array;
      if ('id' in query) vector = await vectorOfId(table, query.id);
      else {
        if (query.vector.length !== meta.dim)
          throw new RangeError(`vector: expected ${meta.dim} values (the table's L), got ${query.vector.length}`);
        vector = checkedQuery(query.vector);
      }
      return searchVector(table, vector, { ...options, k });
    },
    close: () => table.close(),
  };
}

/** The encoder identity of a loaded model (what a table records and is checked against). */
export function encoderIdentity(model: VaeModel): EncoderIdentity {
  return {
    model: model.manifest.name,
    encoderSha256: model.manifest.graphs.encoder.sha256,
    precision: model.manifest.precision,
  };
}

/**
 * Throws unless `model`'s encoder is the one the table was embedded with (same graph SHA-256, so
 * same weights and precision: an int8 export under the same name is refused, naming both hashes):
 * vectors of another encoder are not comparable with the stored ones.
 */
export function assertSameModel(meta: EmbedTableMeta, model: VaeModel, table: string): void {
  assertTableEncoder(meta, encoderIdentity(model), table);
}

/**
 * The embedding (μ, or z) of a PNG or JPEG image file: decoded (its header checked against the
 * size budget first), converted to the model's channels and resized to the model's size (short side,
 * centre crop) exactly as `vae embed --dataset images` prepares a folder, scaled as the corpus is.
 */
export async function embedImage(model: VaeModel, file: string): Promise<Float32Array> {
  const [h, w, c] = model.manifest.imageShape;
  let bytes: Uint8Array;
  try {
    bytes = await readFile(file);
  } catch (err) {
    throw new Error(
      `image: ${file} could not be read (${(err as NodeJS.ErrnoException).code ?? (err as Error).message})`,
    );
  }
  const { pixels } = decodeAndFit(bytes, file, { size: [h, w], channels: c as 1 | 3 });
  return (await model.embed({ data: chunkInput(pixels, 1, h * w * c), shape: [1, h * w * c] })).data;
}
