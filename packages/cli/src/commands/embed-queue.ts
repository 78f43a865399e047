import type { VaeModel } from '@vae/core';
import type { Corpus, EmbedToTableOptions, EmbedToTableResult } from '@vae/embed';
import { type QueueConnectionArgs, queueConnectionInput } from './queue-options.js';
import { importOptional } from '../optional-package.js';

/**
 * The `--queue` branch of `vae embed`: the chunks go to `vae worker` processes through the BullMQ
 * queue at `args.queue`; the table, its resumption and its index are the local path's.
 */
export async function embedOnQueue(
  model: VaeModel,
  corpus: Corpus,
  options: EmbedToTableOptions,
  args: QueueConnectionArgs & { queue: string },
): Promise<EmbedToTableResult> {
  const { embedToTableViaQueue, redisConnection } = await importOptional(
    '@vae/embed',
    'vae embed --queue',
    () => import('@vae/embed'),
  );
  return embedToTableViaQueue(model, corpus, {
    ...options,
    connection: redisConnection(queueConnectionInput(args)),
    queueName: args['queue-name'],
    connectTimeoutMs: args['connect-timeout-ms'],
  });
}
