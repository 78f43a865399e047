import { readFile } from 'node:fs/promises';
import type { VaeModel } from '@vae/core';
import { readPngGrey } from '@vae/train';
import { chunkInput } from './chunk.js';
import { searchVector, vectorOfId, type Neighbour, type SearchOptions } from './search.js';
import { openTableForRead, type EmbedTableMeta } from './store.js';

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
        vector = query.vector;
      }
      return searchVector(table, vector, { ...options, k });
    },
    close: () => table.close(),
  };
}

/**
 * Throws unless `model` is the model the table was embedded with (name and parameter checksum):
 * vectors of another model are not comparable with the stored ones.
 */
export function assertSameModel(meta: EmbedTableMeta, model: VaeModel, table: string): void {
  const sha = model.manifest.provenance.paramsSha256 ?? '';
  if (model.manifest.name !== meta.model || sha !== meta.paramsSha256)
    throw new Error(
      `model: expected ${meta.model} (params ${meta.paramsSha256.slice(0, 12) || 'unknown'}) as ${table} was embedded with, got ${model.manifest.name} (params ${sha.slice(0, 12) || 'unknown'})`,
    );
}

/** The embedding (μ, or z) of a PNG image file: grey, the model's size, scaled as the corpus is. */
export async function embedPng(model: VaeModel, file: string): Promise<Float32Array> {
  const img = readPngGrey(await readFile(file), file);
  const [h, w, c] = model.manifest.imageShape;
  if (c !== 1 || img.height !== h || img.width !== w)
    throw new RangeError(
      `image: expected a ${h}×${w} grey image for ${model.manifest.name}, got ${img.height}×${img.width} (${file})`,
    );
  return (await model.embed({ data: chunkInput(img.pixels, 1, h * w), shape: [1, h * w] })).data;
}
