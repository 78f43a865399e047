import { registerRuntime } from '@vae/core';
import * as ort from 'onnxruntime-web/webgpu';
import { WEB_BACKEND_PRIORITY } from './runtime-info.js';
import { applyWebRuntimeConfig, type WebRuntimeConfig } from './wasm-config.js';
import { createWebBackend } from './web-backend.js';

/** The onnxruntime-web module this entry uses (the WebGPU-capable build `onnxruntime-web/webgpu`). */
export const ortWeb = ort;

/** The `onnxruntime-web` backend for browsers: `webgpu` → `wasm`. */
export const onnxruntimeWebBackend = createWebBackend(ort);

/**
 * Sets where the runtime's `.wasm`/`.mjs` files are served from, WASM threads and proxying. Call
 * before the first session is created.
 */
export function configureWebRuntime(config: WebRuntimeConfig): void {
  applyWebRuntimeConfig(ort, config);
}

/** Registers {@link onnxruntimeWebBackend} with core's backend registry (idempotent). */
export function registerWebBackend(priority = WEB_BACKEND_PRIORITY): void {
  registerRuntime(onnxruntimeWebBackend, priority);
}
