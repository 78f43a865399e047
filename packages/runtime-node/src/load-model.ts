import { VaeModel, getLogger, registerRuntime, setNonFiniteScan, type VaeModelLoadOptions } from '@vae/core';
import { directAddon, directBindingSummary } from '@vae/device-node';
import { nodeFileSource } from './node-file-source.js';
import { onnxruntimeNodeBackend } from './onnxruntime-node-backend.js';
import { NODE_BACKEND_PRIORITY } from './options.js';

const log = getLogger('runtime-node');
let scanInstalled = false;

/**
 * Gives core's input check ({@link setNonFiniteScan}) the native scan of `@vae/device-node`'s direct
 * binding when it loads (once; else core keeps WebAssembly, said at debug level).
 */
function installNativeInputCheck(): void {
  if (scanInstalled) return;
  scanInstalled = true;
  const addon = directAddon();
  if (addon) setNonFiniteScan(addon.nonFinite);
  else log.debug(`input check in WebAssembly: ${directBindingSummary()}`);
}

/**
 * Registers {@link onnxruntimeNodeBackend} with core's backend registry (idempotent), and the
 * native input check where it loads.
 */
export function registerNodeBackend(priority = NODE_BACKEND_PRIORITY): void {
  registerRuntime(onnxruntimeNodeBackend, priority);
  installNativeInputCheck();
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
