export { createVaeServer, SERVER_INFO, type VaeServer } from './create-server.js';
export { SERVER_DEFAULTS, type EvaluationLimits, type VaeServerOptions } from './server-options.js';
export { WorkQueue, type WorkContext, type WorkQueueOptions } from './work-queue.js';
export { EVALUATION_ROUTES } from './api-routes.js';
export { LOOPBACK_HOSTS } from './http-guards.js';
export { REQUEST_ID_HEADER } from './request-id.js';
export { MicroBatcher, type MicroBatcherOptions } from './micro-batcher.js';
export { HttpError } from './http-error.js';
export { createServerMetrics, type ServerMetrics } from './server-metrics.js';
export { V2_PLATFORM, V2_VERSION, type BatchingOptions, type ModelEndpoint } from './model-endpoints.js';
export {
  ACCEPTED_DATATYPES,
  parseInferRequest,
  outputTensor,
  type V2InferResponse,
  type V2ModelMetadata,
  type V2OutputTensor,
  type V2TensorMetadata,
  type ParsedInferRequest,
} from './v2-protocol.js';
export { MAX_SEARCH_K, type SearchHit, type SearchProvider } from './search-route.js';
export { openApiDocument, apiExamples, type RouteEntry } from './openapi.js';
export {
  apiBodies,
  bodySchema,
  fieldSchema,
  type ApiBodies,
  type ApiLimits,
  type BodySpec,
  type FieldSpec,
  type IntegerSpec,
  type NumberSpec,
  type RowsSpec,
} from './api-schema.js';
