import { VaeModel, registerRuntime, type VaeModelLoadOptions } from '@vae/core';
import { nodeFileSource } from './node-file-source.js';
import { onnxruntimeNodeBackend } from './onnxruntime-node-backend.js';
import { NODE_BACKEND_PRIORITY } from './options.js';

/** Registers {@link onnxruntimeNodeBackend} with core's backend registry (idempotent). */
export function registerNodeBackend(priority = NODE_BACKEND_PRIORITY): void {
  registerRuntime(onnxruntimeNodeBackend, priority);
}

/** Registers the Node backend and loads the model directory `dir` (manifest, checksums, sessions). */
export async function loadModel(dir: string, options: VaeModelLoadOptions = {}): Promise<VaeModel> {
  registerNodeBackend();
  return VaeModel.load(nodeFileSource(dir), options);
}
