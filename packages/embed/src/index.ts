/** Public API of `@vae/embed`: bulk embedding, similarity search and the BullMQ work queue. */
export {
  chunkKey,
  decodeEmbedded,
  embedChunk,
  encodeEmbedded,
  hashBytes,
  makeChunk,
  type Chunk,
  type EmbeddedChunk,
  type EmbeddingSink,
} from './chunk.js';
export * from './queue/index.js';
