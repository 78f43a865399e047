/** The BullMQ work queue: many machines embedding one corpus (producer, worker, Redis connection). */
export {
  CHUNK_JOB_VERSION,
  DEFAULT_QUEUE_NAME,
  MAX_JOB_PAYLOAD_BYTES,
  QUEUE_KEY_TTL_MS,
  chunkJobId,
  chunkOfPayload,
  chunkPayload,
  decodeChunkJob,
  decodeChunkResult,
  encodeChunkJob,
  encodeChunkResult,
  modelIdOf,
  payloadBytes,
  payloadKey,
  resultBytes,
  resultKey,
  type ChunkJobData,
  type ChunkResultData,
  type QueueKeys,
} from './chunk-job.js';
export { getExactly, type BoundedValue } from './bounded-get.js';
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
