import { VaeModel, registerRuntime, type VaeModelLoadOptions } from '@vae/core';
import { nodeFileSource } from './node-file-source.js';
import { onnxruntimeNodeBackend } from './onnxruntime-node-backend.js';
import { NODE_BACKEND_PRIORITY } from './options.js';

/** Registers {@link onnxruntimeNodeBackend} with core's backend registry (idempotent). */
export function registerNodeBackend(priority = NODE_BACKEND_PRIORITY): void {
  registerRuntime(onnxruntimeNodeBackend, priority);
}

/**
 * Registers the Node backend and loads the model directory `dir`: manifest, checksums, sessions,
 * and (by default for `device: 'auto'`) the golden check, falling back to the next device when
 * it fails (`model.verification`, see {@link VaeModelLoadOptions.verify}).
 */
export async function loadModel(dir: string, options: VaeModelLoadOptions = {}): Promise<VaeModel> {
  registerNodeBackend();
  return VaeModel.load(nodeFileSource(dir), options);
}

/** {@link loadModel} with `parts: ['decoder']`: reads and opens `decoder.onnx` only (never `encoder.onnx`). */
export async function loadDecoder(dir: string, options: Omit<VaeModelLoadOptions, 'parts'> = {}): Promise<VaeModel> {
  return loadModel(dir, { ...options, parts: ['decoder'] });
}
