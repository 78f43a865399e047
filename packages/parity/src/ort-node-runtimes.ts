import { onnxruntimeNodeBackend } from '@vae/runtime-node';
import { registerParityRuntime } from './runtime-registry.js';
import { openVaeModel } from './vae-model-runtime.js';

registerParityRuntime('ort-node-cpu', (ctx) => openVaeModel(ctx, onnxruntimeNodeBackend, 'cpu'));
registerParityRuntime('ort-node-webgpu', (ctx) => openVaeModel(ctx, onnxruntimeNodeBackend, 'webgpu'));
registerParityRuntime('ort-node-cuda', (ctx) => openVaeModel(ctx, onnxruntimeNodeBackend, 'cuda'));
