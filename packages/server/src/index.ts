export { createVaeServer, SERVER_INFO, type VaeServer } from './create-server.js';
export { SERVER_DEFAULTS, type VaeServerOptions } from './server-options.js';
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
