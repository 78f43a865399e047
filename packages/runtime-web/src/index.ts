export type { OrtWebModule } from './ort-types.js';
export { applyWebRuntimeConfig, type WasmPaths, type WebRuntimeConfig } from './wasm-config.js';
export { createWebBackend, type OrtWebLoader, type WebBackendOptions } from './web-backend.js';
export { WEB_BACKEND_NAME, WEB_BACKEND_PRIORITY, WEB_DEVICES, WEB_RUNTIME_INFO } from './runtime-info.js';
export { configureWebRuntime, onnxruntimeWebBackend, ortWeb, registerWebBackend } from './browser-backend.js';
export {
  fetchFileSource,
  resolveBaseUrl,
  type FetchFileSource,
  type FetchFileSourceOptions,
} from './fetch-file-source.js';
export { loadDecoder, loadModel, type WebLoadOptions } from './load-model.js';
