import { resolve } from 'node:path';
import type { VaeModel } from '@vae/core';
import { hashBytes } from '../chunk.js';
import { assertCorpusFits, type Corpus } from '../corpus.js';
import { corpusChunk, DEFAULT_CHUNK_SIZE, DEFAULT_EMBED_BATCH } from '../embed-corpus.js';
import { type EmbedToTableOptions, type EmbedToTableResult, fillTable } from '../embed-table.js';
import { modelIdOf } from './chunk-job.js';
import { checkRedis, type RedisConnection } from './connection.js';
import { embedViaQueue } from './producer.js';

/** Options of {@link embedToTableViaQueue}: those of `embedToTable` plus the queue. */
export interface QueueTableOptions extends EmbedToTableOptions {
  readonly connection: RedisConnection;
  readonly queueName?: string;
  readonly connectTimeoutMs?: number;
}

/**
 * The run id of a table's queued embedding: the same table, model, corpus and chunking give the
 * same id, so a restarted producer finds the jobs (and results) its predecessor left in Redis.
 */
export function queueRunId(model: VaeModel, corpus: Corpus, out: string, chunkSize: number, logvar: boolean): string {
  const key = [resolve(out), modelIdOf(model), corpus.name, corpus.source, corpus.count, chunkSize, logvar].join('|');
  return `run-${hashBytes(new TextEncoder().encode(key))}`;
}

/**
 * `vae embed --queue`: the corpus into the LanceDB table at `out` (resumed like `embedToTable`),
 * embedded by `vae worker` processes through the BullMQ queue; then the index is built here.
 */
export async function embedToTableViaQueue(
  model: VaeModel,
  corpus: Corpus,
  o: QueueTableOptions,
): Promise<EmbedToTableResult> {
  assertCorpusFits(model, corpus);
  // An unreachable Redis fails before the table is created or opened.
  await checkRedis(o.connection, o.connectTimeoutMs);
  const size = o.chunkSize ?? DEFAULT_CHUNK_SIZE;
  return fillTable(model, corpus, o, async (table, meta) => {
    const count = Math.ceil(corpus.count / size);
    const chunks = Array.from({ length: count }, (_, i) => corpusChunk(corpus, i, size));
    const result = await embedViaQueue({
      connection: o.connection,
      ...(o.queueName === undefined ? {} : { queueName: o.queueName }),
      ...(o.connectTimeoutMs === undefined ? {} : { connectTimeoutMs: o.connectTimeoutMs }),
      runId: queueRunId(model, corpus, o.out, size, meta.logvar),
      modelId: modelIdOf(model),
      inputSize: corpus.inputSize,
      dim: meta.dim,
      chunks,
      sink: table,
      batchSize: o.batchSize ?? DEFAULT_EMBED_BATCH,
      logvar: meta.logvar,
      onProgress: (p) => o.onProgress?.({ done: p.itemsDone, total: p.itemsTotal, skipped: p.itemsSkipped }),
    });
    return { chunks: count, written: result.written, skipped: corpus.count - result.items, items: corpus.count };
  });
}
