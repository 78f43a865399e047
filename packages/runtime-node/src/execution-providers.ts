import { existsSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import type { ExecutionDevice } from '@vae/core';
import * as ort from 'onnxruntime-node';
import { NODE_DEVICES } from './options.js';

/** SwiftShader Vulkan ICD shipped by Debian's `chromium` package (WebGPU without a GPU). */
export const SWIFTSHADER_ICD = '/usr/lib/chromium/vk_swiftshader_icd.json';

/** How to install the CUDA execution provider of onnxruntime-node (Linux x64, CUDA 12). */
export const CUDA_INSTALL_HINT =
  'install them with `ONNXRUNTIME_NODE_INSTALL=cuda12 pnpm rebuild onnxruntime-node` (Linux x64, CUDA 12 + cuDNN 9, needs internet for NuGet)';


/** Folder of onnxruntime-node's native binding and shared libraries for this platform. */
export function onnxruntimeBinDir(): string {
  const require = createRequire(import.meta.url);
  const pkg = require.resolve('onnxruntime-node/package.json');
  return join(dirname(pkg), 'bin', 'napi-v6', process.platform, process.arch);
}

/** Whether the CUDA provider libraries of onnxruntime-node are installed next to the binding. */
export function cudaProviderStatus(): { readonly installed: boolean; readonly library: string } {
  const library = join(onnxruntimeBinDir(), 'libonnxruntime_providers_cuda.so');
  return { installed: existsSync(library), library };
}

/** Whether this onnxruntime-node build bundles the WebGPU execution provider. */
export function webgpuBundled(): boolean {
  return ort.listSupportedBackends().some((b) => b.name === 'webgpu' && b.bundled);
}

/**
 * Points the Vulkan loader at the SwiftShader ICD when `VK_ICD_FILENAMES` is unset and the file
 * exists (Dawn reads it when the first WebGPU session is created), and `XDG_RUNTIME_DIR` when
 * unset. Returns the ICD in use, if any.
 */
export function ensureVulkanIcd(env: NodeJS.ProcessEnv = process.env): string | undefined {
  if (!env.VK_ICD_FILENAMES && existsSync(SWIFTSHADER_ICD)) env.VK_ICD_FILENAMES = SWIFTSHADER_ICD;
  // Dawn logs an error on every adapter request when XDG_RUNTIME_DIR is unset.
  if (!env.XDG_RUNTIME_DIR) env.XDG_RUNTIME_DIR = tmpdir();
  return env.VK_ICD_FILENAMES;
}

/**
 * Whether the Vulkan driver named by `VK_ICD_FILENAMES` is a CPU rasterizer (SwiftShader or Mesa's
 * lavapipe), on which WebGPU is correct but slower than the CPU execution provider.
 */
export function isSoftwareVulkan(icd: string | undefined): boolean {
  return icd !== undefined && /swiftshader|lvp_icd|lavapipe/i.test(icd);
}

/** The onnxruntime-node execution provider list for `device`. */
export function executionProviders(device: ExecutionDevice): ort.InferenceSession.ExecutionProviderConfig[] {
  switch (device) {
    case 'cpu':
      return ['cpu'];
    case 'webgpu':
      return [{ name: 'webgpu' }];
    case 'cuda':
      // TF32 changes results by ~1e-3 on Ampere/Hopper; parity needs full fp32 (see PITFALLS). The
      // onnxruntime-node 1.30 binding forwards only `deviceId` to the CUDA EP, so `use_tf32` reaches
      // bindings that read it; the backend also sets NVIDIA_TF32_OVERRIDE=0 before the first CUDA
      // session, which disables TF32 in cuBLAS/cuDNN either way.
      return [{ name: 'cuda', deviceId: 0, use_tf32: 0 } as ort.InferenceSession.ExecutionProviderConfig];
    default:
      throw new RangeError(`device: expected one of ${NODE_DEVICES.join('|')}, got ${JSON.stringify(device)}`);
  }
}
