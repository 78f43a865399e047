/** The BullMQ work queue: many machines embedding one corpus (producer, worker, Redis connection). */
export {
  CHUNK_JOB_VERSION,
  DEFAULT_QUEUE_NAME,
  chunkJobId,
  chunkOfPayload,
  chunkPayload,
  decodeChunkJob,
  decodeChunkResult,
  encodeChunkJob,
  encodeChunkResult,
  modelIdOf,
  payloadKey,
  resultKey,
  type ChunkJobData,
  type ChunkResultData,
  type QueueKeys,
} from './chunk-job.js';
export {
  RedisUnreachableError,
  bullmqConnection,
  checkRedis,
  redisConnection,
  watchRedis,
  type ReconnectSwitch,
  type RedisConnection,
  type RedisWatch,
  type RedisConnectionInput,
} from './connection.js';
export {
  QueueJobError,
  embedViaQueue,
  type QueueEmbedOptions,
  type QueueEmbedResult,
  type QueueProgress,
} from './producer.js';
export { WORKER_DEFAULTS, startQueueWorker, type QueueWorker, type QueueWorkerOptions } from './worker.js';
export { embedToTableViaQueue, queueRunId, type QueueTableOptions } from './queue-table.js';
