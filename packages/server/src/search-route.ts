import type { FastifyInstance } from 'fastify';
import type { Tensor } from '@vae/core';
import { HttpError, badRequest } from './http-error.js';
import type { ApiBodies } from './api-schema.js';
import { describe, numberField, parseRows, refuseUnknownFields, storeFloat32 } from './json-tensors.js';

/** One neighbour returned by a {@link SearchProvider}. */
export interface SearchHit {
  readonly id: number;
  readonly label: number;
  /** Distance to the query (the provider says which; the LanceDB one: squared L2). */
  readonly distance: number;
}

/**
 * Similarity search over stored embeddings, plugged into the server by its caller (the CLI wires a
 * LanceDB table), so that the server itself depends on no store.
 */
export interface SearchProvider {
  /** Latent size L of the stored vectors (a query vector must have L values). */
  readonly dim: number;
  /** Where the vectors are, for messages (e.g. the table path). */
  readonly source: string;
  /**
   * The `k` nearest stored items to the stored item `id`, or to `vector`; nearest first. Throws a
   * `RangeError` for a query it cannot answer (e.g. an unknown id): the route answers 400 with it.
   */
  search(query: { readonly id: number } | { readonly vector: Float32Array }, k: number): Promise<SearchHit[]>;
}

/** Largest `k` a search request may ask for. */
export const MAX_SEARCH_K = 1000;

/** What the search route needs from the server. */
export interface SearchContext {
  readonly provider: SearchProvider | null;
  /** The embedding (μ, or z) of one image row `[1, D]` (through the micro-batched encoder), as `[1, L]`. */
  readonly embedRow: (x: Tensor) => Promise<Tensor>;
  /** The model's image shape `[H, W, C]` (its input size D = H·W·C, HWC order). */
  readonly imageShape: () => readonly [number, number, number];
  /** The body description shared with the OpenAPI document. */
  readonly body: ApiBodies['/api/search'];
}

/**
 * `POST /api/search`: body `{ id }`, `{ vector: number[L] }` or `{ x: number[D] | [number[D]] }` (one
 * image row in model input scale, encoded first), optional `k` (default 10) → `{ neighbours: [{ id,
 * label, distance }], k, query }`. 404 when the server has no search provider.
 */
export function registerSearchRoute(app: FastifyInstance, ctx: SearchContext): void {
  app.post('/api/search', async (req) => {
    const provider = ctx.provider;
    if (!provider)
      throw new HttpError(404, 'search: expected a server started with a search table (vae serve --table T), got none');
    const body = req.body;
    if (body === null || typeof body !== 'object' || Array.isArray(body))
      throw badRequest(`body: expected a JSON object { id } | { vector } | { x }, got ${describe(body)}`);
    const b = body as Record<string, unknown>;
    const { fields, oneOf } = ctx.body;
    refuseUnknownFields(b, ctx.body);
    const given = oneOf.filter((key) => b[key] !== undefined);
    if (given.length !== 1)
      throw badRequest(
        `body: expected exactly one of ${oneOf.join(', ')}, got ${given.length === 0 ? 'none' : given.join(', ')}`,
      );
    const k = numberField(b, 'k', fields.k);
    const search = (query: { id: number } | { vector: Float32Array }): Promise<SearchHit[]> =>
      provider.search(query, k).catch((err: unknown) => {
        throw err instanceof RangeError ? badRequest(err.message) : err;
      });
    let neighbours: SearchHit[];
    if (given[0] === 'id') {
      neighbours = await search({ id: numberField(b, 'id', fields.id) });
    } else if (given[0] === 'vector') {
      const v = b.vector;
      if (!Array.isArray(v) || v.length !== provider.dim)
        throw badRequest(`vector: expected ${provider.dim} numbers, got ${describe(v)}`);
      const vector = new Float32Array(provider.dim);
      v.forEach((value, i) => storeFloat32(vector, i, value, `vector[${i}]`));
      neighbours = await search({ vector });
    } else {
      const shape = ctx.imageShape();
      const x = parseRows(
        b.x,
        shape.reduce((a, v) => a * v, 1),
        'x',
        fields.x.maxRows,
        shape,
      );
      neighbours = await search({ vector: (await ctx.embedRow(x)).data });
    }
    return { neighbours, k, query: given[0] };
  });
}
