import * as lancedb from '@lancedb/lancedb';
import { getLogger } from '@vae/core';

const log = getLogger('embed:search');

/** ANN index choices of `vae embed --index`: `auto` builds {@link DEFAULT_ANN} when the table is large enough. */
export const INDEX_CHOICES = ['none', 'auto', 'ivf-pq', 'ivf-hnsw-sq'] as const;
export type IndexChoice = (typeof INDEX_CHOICES)[number];
/** The index `auto` builds. */
export const DEFAULT_ANN = 'ivf-pq' as const;
/** Below this many rows `auto` builds no ANN index: exact search is already fast. */
export const AUTO_INDEX_MIN_ROWS = 10_000;

/** Query-time settings that give recall@10 ≥ 0.95 on MNIST μ (60k × 20) with the indexes built here (bench/embed.ts). */
export const ANN_QUERY_DEFAULTS = Object.freeze({ nprobes: 20, refineFactor: 10 });

/** LanceDB's index type names of the ANN indexes built here. */
const INDEX_TYPES: Readonly<Record<string, IndexChoice>> = { IvfPq: 'ivf-pq', IvfHnswSq: 'ivf-hnsw-sq' };

/** One neighbour: its row's id and label, and the squared L2 distance to the query. */
export interface Neighbour {
  readonly id: number;
  readonly label: number;
  readonly hash: string;
  readonly distance: number;
}

/** Options of {@link searchVector}. */
export interface SearchOptions {
  readonly k: number;
  /** Exact (flat) search, bypassing any ANN index. */
  readonly exact?: boolean;
  readonly nprobes?: number;
  readonly refineFactor?: number;
}

function checkK(k: number): number {
  if (!Number.isInteger(k) || k < 1) throw new RangeError(`k: expected an integer ≥ 1, got ${String(k)}`);
  return k;
}

/**
 * Builds the ANN index on `vector` (replacing one there), and a B-tree index on `id` for lookups by
 * id. IVF-PQ: √rows partitions, L/2 sub-vectors (2 dimensions each); IVF-HNSW-SQ: √rows partitions.
 * Returns the index built, or `none` (`auto` on fewer than {@link AUTO_INDEX_MIN_ROWS} rows). With
 * `keepExisting` (nothing was added since it was built) an ANN index of the requested kind is kept.
 */
export async function buildIndex(
  table: lancedb.Table,
  choice: IndexChoice,
  dim: number,
  options: { keepExisting?: boolean } = {},
): Promise<IndexChoice> {
  if (choice === 'none') return 'none';
  if (options.keepExisting) {
    const existing = (await table.listIndices()).find((i) => i.columns.includes('vector'));
    const kind = existing ? INDEX_TYPES[existing.indexType] : undefined;
    if (kind && (choice === 'auto' || choice === kind)) return kind;
  }
  const rows = await table.countRows();
  await table.createIndex('id', { config: lancedb.Index.btree(), replace: true });
  const kind = choice === 'auto' ? (rows >= AUTO_INDEX_MIN_ROWS ? DEFAULT_ANN : 'none') : choice;
  if (kind === 'none') {
    log.info(`${rows} rows: no ANN index (auto builds one from ${AUTO_INDEX_MIN_ROWS} rows); searches are exact`);
    return 'none';
  }
  const numPartitions = Math.max(1, Math.round(Math.sqrt(rows)));
  const config =
    kind === 'ivf-pq'
      ? lancedb.Index.ivfPq({ numPartitions, numSubVectors: dim % 2 === 0 ? dim / 2 : dim, distanceType: 'l2' })
      : lancedb.Index.hnswSq({ numPartitions, distanceType: 'l2' });
  const t0 = performance.now();
  await table.createIndex('vector', { config, replace: true });
  log.info(
    `${kind} index on ${rows} rows (${numPartitions} partitions) in ${((performance.now() - t0) / 1000).toFixed(1)} s`,
  );
  return kind;
}

/** The k nearest rows to `vector` (squared L2), nearest first. */
export async function searchVector(
  table: lancedb.Table,
  vector: Float32Array | readonly number[],
  o: SearchOptions,
): Promise<Neighbour[]> {
  const k = checkK(o.k);
  let q = table
    .vectorSearch(Array.from(vector))
    .column('vector')
    .distanceType('l2')
    .select(['id', 'label', 'hash', '_distance'])
    .limit(k);
  if (o.exact) q = q.bypassVectorIndex();
  else
    q = q
      .nprobes(o.nprobes ?? ANN_QUERY_DEFAULTS.nprobes)
      .refineFactor(o.refineFactor ?? ANN_QUERY_DEFAULTS.refineFactor);
  const rows = await q.toArray();
  return rows.map((r) => ({
    id: r.id as number,
    label: r.label as number,
    hash: r.hash as string,
    distance: r._distance as number,
  }));
}

/** The stored vector of item `id`; throws naming the id when the table has none. */
export async function vectorOfId(table: lancedb.Table, id: number): Promise<Float32Array> {
  if (!Number.isInteger(id) || id < 0) throw new RangeError(`id: expected an integer ≥ 0, got ${String(id)}`);
  const rows = await table.query().where(`id = ${id}`).select(['vector']).limit(1).toArray();
  if (rows.length === 0)
    throw new RangeError(`id: expected an id stored in the table (0 … ${(await table.countRows()) - 1}), got ${id}`);
  return Float32Array.from(rows[0].vector as ArrayLike<number>);
}
