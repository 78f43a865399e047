import { createRequire } from 'node:module';
import { probeWebGpu, registerRuntime, type Backend, type WebGpuProbe } from '@vae/core';
import { vulkanLoaderHint, type DawnOptions, type DawnSetup } from '@vae/device-node';
import { WEB_BACKEND_PRIORITY } from '../runtime-info.js';
import type { OrtWebModule } from '../ort-types.js';
import { applyWebRuntimeConfig, type WebRuntimeConfig } from '../wasm-config.js';
import { createWebBackend, type WebBackendOptions } from '../web-backend.js';
import { setupNodeWebGpu, useBaselineWasmCompiler } from './dawn-setup.js';

let ortModule: OrtWebModule | undefined;

/**
 * onnxruntime-web's WebGPU-capable build for Node. Its ESM bundle fails to import in Node ("Dynamic
 * require of node:os"), so the CommonJS build is loaded with `require`.
 */
export function loadOrtWebForNode(): OrtWebModule {
  ortModule ??= createRequire(import.meta.url)('onnxruntime-web/webgpu') as OrtWebModule;
  return ortModule;
}

/** Sets onnxruntime-web's process-wide options in Node (threads, wasm paths). */
export function configureNodeWebRuntime(config: WebRuntimeConfig): void {
  applyWebRuntimeConfig(loadOrtWebForNode(), config);
}

/** Probes WebGPU after installing Dawn, adding how to get a Vulkan loader when there is no adapter. */
async function nodeProbe(dawn: DawnOptions): Promise<WebGpuProbe> {
  let setup: DawnSetup;
  try {
    setup = await setupNodeWebGpu(dawn);
  } catch (err) {
    return {
      available: false,
      reason: `npm webgpu (Dawn) could not be loaded: ${err instanceof Error ? err.message : String(err)}`,
    };
  }
  const probe = await probeWebGpu();
  if (probe.available || setup.vulkanLoader !== null) return probe;
  return { available: false, reason: `${probe.reason}; ${vulkanLoaderHint()}` };
}

/** Options of {@link createNodeWebBackend}. */
export interface NodeWebBackendOptions extends Omit<WebBackendOptions, 'probe'> {
  /** Dawn setup used when a WebGPU session is first requested. */
  readonly dawn?: DawnOptions;
}

/**
 * The onnxruntime-web backend in Node (`webgpu` through Dawn → `wasm`), for parity checks of the
 * browser runtime. WebGPU is set up on the first `webgpu` request (see `setupNodeWebGpu`).
 */
export function createNodeWebBackend(options: NodeWebBackendOptions = {}): Backend {
  const { dawn = {}, ...rest } = options;
  const load = async (): Promise<OrtWebModule> => {
    useBaselineWasmCompiler();
    return loadOrtWebForNode();
  };
  return createWebBackend(load, { ...rest, probe: () => nodeProbe(dawn) });
}

let shared: Backend | undefined;

/** The process-wide Node onnxruntime-web backend (created on first use). */
export function nodeWebBackend(): Backend {
  shared ??= createNodeWebBackend();
  return shared;
}

/** Registers {@link nodeWebBackend} with core's registry (below `@vae/runtime-node`'s priority). */
export function registerNodeWebBackend(priority = WEB_BACKEND_PRIORITY): void {
  registerRuntime(nodeWebBackend(), priority);
}
