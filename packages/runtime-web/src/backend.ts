/**
 * `@vae/runtime-web/backend`: the session backend over an onnxruntime-web module that the caller
 * loads itself (for example a Web Worker that imports `onnxruntime-web/wasm` or `onnxruntime-web/webgpu`
 * only once it knows the device). Unlike the main entry it imports no onnxruntime-web build.
 */
export type { OrtWebModule } from './ort-types.js';
export { applyWebRuntimeConfig, type WasmPaths, type WebRuntimeConfig } from './wasm-config.js';
export { createWebBackend, type OrtWebLoader, type WebBackendOptions } from './web-backend.js';
export { WEB_BACKEND_NAME, WEB_BACKEND_PRIORITY, WEB_DEVICES, WEB_RUNTIME_INFO } from './runtime-info.js';
