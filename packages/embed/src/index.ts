/** Public API of `@vae/embed`: bulk embedding, similarity search and the BullMQ work queue. */
export {
  chunkKey,
  decodeEmbedded,
  embedChunk,
  encodeEmbedded,
  chunkInput,
  hashBytes,
  hashItems,
  hashOfHashes,
  makeChunk,
  type Chunk,
  type EmbedChunkOptions,
  type EmbeddedChunk,
  type EmbeddingSink,
} from './chunk.js';
export {
  CORPUS_SPLITS,
  assertCorpusFits,
  corpusSources,
  loadCorpus,
  type Corpus,
  type CorpusOptions,
  type CorpusSource,
  type CorpusSplit,
} from './corpus.js';
export { ChunkPreparer, type PreparedChunk } from './chunk-preparer.js';
export {
  DEFAULT_CHUNK_SIZE,
  DEFAULT_EMBED_BATCH,
  corpusChunk,
  embedCorpus,
  type EmbedCorpusOptions,
  type EmbedCorpusResult,
  type EmbedProgress,
} from './embed-corpus.js';
export {
  embedToTable,
  fillTable,
  tableMeta,
  type EmbedToTableOptions,
  type EmbedToTableResult,
} from './embed-table.js';
export {
  EmbeddingTable,
  TABLE_META_KEY,
  assertTableEncoder,
  openTableForRead,
  tableLocation,
  type EmbedTableMeta,
  type EncoderIdentity,
  type OpenTableOptions,
} from './store.js';
export { LEASE_DEFAULTS, TableBusyError, TableLease, type LeaseOwner, type LeaseTiming } from './table-lease.js';
export { TableWriter } from './table-writer.js';
export { exportParquet, type ParquetExport } from './parquet.js';
export {
  ANN_QUERY_DEFAULTS,
  AUTO_INDEX_MIN_ROWS,
  DEFAULT_ANN,
  INDEX_CHOICES,
  buildIndex,
  searchVector,
  vectorOfId,
  type IndexChoice,
  type Neighbour,
  type SearchOptions,
} from './search.js';
export {
  MAX_QUERY_NORM2,
  assertSameModel,
  embedImage,
  encoderIdentity,
  openTableSearch,
  type SearchQuery,
  type TableSearch,
} from './table-search.js';
export * from './queue/index.js';
