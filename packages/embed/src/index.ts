/** Public API of `@vae/embed`: bulk embedding, similarity search and the BullMQ work queue. */
export const EMBED_PACKAGE = '@vae/embed';
