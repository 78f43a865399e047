export { RunQueue } from './run-queue.js';
export type { OrtWebModule } from './ort-types.js';
export { WebSession } from './web-session.js';
export { applyWebRuntimeConfig, type WasmPaths, type WebRuntimeConfig } from './wasm-config.js';
export {
  createWebBackend,
  WEB_BACKEND_NAME,
  WEB_DEVICES,
  type OrtWebLoader,
  type WebBackendOptions,
} from './web-backend.js';
export { WEB_BACKEND_PRIORITY } from './backend-priority.js';
export { configureWebRuntime, onnxruntimeWebBackend, ortWeb, registerWebBackend } from './browser-backend.js';
export {
  fetchFileSource,
  resolveBaseUrl,
  type FetchFileSource,
  type FetchFileSourceOptions,
} from './fetch-file-source.js';
export { loadModel, type WebLoadOptions } from './load-model.js';
