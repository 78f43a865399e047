import { existsSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { ensureVulkanIcd } from './vulkan.js';

/** onnxruntime-node execution providers, shared by inference sessions and training sessions. */
export type OrtNodeDevice = 'cpu' | 'webgpu' | 'cuda';

/** One entry of an onnxruntime-node `executionProviders` list (structurally ORT's `ExecutionProviderConfig`). */
export type OrtProviderConfig = string | { readonly name: string; readonly [option: string]: unknown };

/** How to install the CUDA execution provider of onnxruntime-node (Linux x64, CUDA 12). */
export const CUDA_INSTALL_HINT =
  'install them with `ONNXRUNTIME_NODE_INSTALL=cuda12 npm rebuild onnxruntime-node` (`pnpm rebuild` in a pnpm project; Linux x64, CUDA 12 + cuDNN 9, needs internet for NuGet)';

/**
 * Folder of onnxruntime-node's native binding and shared libraries for this platform (resolved from
 * onnxruntime-node, an optional peer dependency; throws when it is not installed).
 */
export function onnxruntimeNodeBinDir(): string {
  const pkg = createRequire(import.meta.url).resolve('onnxruntime-node/package.json');
  return join(dirname(pkg), 'bin', 'napi-v6', process.platform, process.arch);
}

/** Whether the CUDA provider libraries of onnxruntime-node are installed next to its binding. */
export function cudaProviderStatus(): { readonly installed: boolean; readonly library: string } {
  const library = join(onnxruntimeNodeBinDir(), 'libonnxruntime_providers_cuda.so');
  return { installed: existsSync(library), library };
}

/**
 * Turns TF32 off for CUDA (`NVIDIA_TF32_OVERRIDE=0`, unless the variable is already set): TF32
 * changes results by ~1e-3 on Ampere/Hopper (onnxruntime #19288), and both inference parity and
 * training-engine parity are measured in full fp32. cuBLAS/cuDNN read it when CUDA initializes, so
 * call it on the main thread before the first CUDA session. Returns the value in effect.
 */
export function disableTf32(env: NodeJS.ProcessEnv = process.env): string {
  env.NVIDIA_TF32_OVERRIDE ||= '0';
  return env.NVIDIA_TF32_OVERRIDE;
}

/**
 * Prepares the process environment for sessions on `device`, for inference and training alike:
 * TF32 off for `cuda` ({@link disableTf32}), the Vulkan ICD for `webgpu` ({@link ensureVulkanIcd}).
 * Call on the main thread before creating sessions (or worker threads that create them).
 */
export function prepareOrtDevice(device: OrtNodeDevice, env: NodeJS.ProcessEnv = process.env): void {
  if (device === 'cuda') disableTf32(env);
  if (device === 'webgpu') ensureVulkanIcd(env);
}

/**
 * The onnxruntime-node execution provider list for `device`. CUDA asks for `use_tf32: 0` as well:
 * the onnxruntime-node 1.30 binding forwards only `deviceId` to the CUDA EP, so the option reaches
 * bindings that read it, and {@link disableTf32} covers the rest.
 */
export function ortExecutionProviders(device: OrtNodeDevice): OrtProviderConfig[] {
  switch (device) {
    case 'cpu':
      return ['cpu'];
    case 'webgpu':
      return [{ name: 'webgpu' }];
    case 'cuda':
      return [{ name: 'cuda', deviceId: 0, use_tf32: 0 }];
    default:
      throw new RangeError(`device: expected cpu|webgpu|cuda, got ${JSON.stringify(device)}`);
  }
}
