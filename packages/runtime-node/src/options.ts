/**
 * `@vae/runtime-node/options`: what the Node runtime accepts, importable without loading
 * onnxruntime-node (command-line front ends list the choices in their help).
 */
import type { ExecutionDevice } from '@vae/core';

/** Devices onnxruntime-node can run, in the order `auto` tries them. */
export const NODE_DEVICES: readonly ExecutionDevice[] = Object.freeze(['cuda', 'webgpu', 'cpu'] as const);
