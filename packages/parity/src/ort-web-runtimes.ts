import type { Backend } from '@vae/core';
import { registerParityRuntime } from './runtime-registry.js';
import { openVaeModel } from './vae-model-runtime.js';

/** onnxruntime-web's Node backend from `@vae/runtime-web/node`, imported on first use. */
async function webBackend(): Promise<Backend> {
  const { nodeWebBackend } = await import('@vae/runtime-web/node');
  return nodeWebBackend();
}

registerParityRuntime('ort-web-wasm', async (ctx) => openVaeModel(ctx, await webBackend(), 'wasm'));
registerParityRuntime('ort-web-webgpu', async (ctx) => openVaeModel(ctx, await webBackend(), 'webgpu'));
