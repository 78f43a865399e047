export * from './backend.js';
export { configureWebRuntime, onnxruntimeWebBackend, ortWeb, registerWebBackend } from './browser-backend.js';
export {
  fetchFileSource,
  resolveBaseUrl,
  type FetchFileSource,
  type FetchFileSourceOptions,
} from './fetch-file-source.js';
export { loadDecoder, loadModel, type WebLoadOptions } from './load-model.js';
