import { existsSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import type { InferenceSession } from 'onnxruntime-node';

/** onnxruntime-node execution providers the ort engine can train on, in the order `auto` tries them. */
export const ORT_TRAIN_DEVICES = Object.freeze({
  cuda: { provider: 'cuda', note: 'NVIDIA GPU; needs the CUDA provider libraries (ONNXRUNTIME_NODE_INSTALL=cuda12 at install)' },
  cpu: { provider: 'cpu', note: 'MLAS kernels; 1 intra-op thread is fastest on 2 busy cores' },
  webgpu: { provider: 'webgpu', note: 'Dawn; needs a Vulkan driver (e.g. VK_ICD_FILENAMES=/usr/lib/chromium/vk_swiftshader_icd.json)' },
});
/** A concrete device of the ort engine. */
export type OrtTrainDevice = keyof typeof ORT_TRAIN_DEVICES;
/** A device request: a concrete device or `auto`. */
export type OrtDeviceRequest = OrtTrainDevice | 'auto';

/**
 * Devices `auto` tries, in order. WebGPU is left out: for MLP-sized models it is slower than the
 * CPU EP (gpuweb #5291, onnxruntime #18584) and on software Vulkan drivers much slower; ask for it
 * explicitly.
 */
export const ORT_AUTO_ORDER: readonly OrtTrainDevice[] = Object.freeze(['cuda', 'cpu']);

/**
 * Why `auto` should not try `device` on this machine without creating a session, or null. CUDA is
 * skipped when onnxruntime-node's CUDA provider library is not installed next to its binding (trying
 * would make onnxruntime print a load error on every run).
 */
export function ortDeviceSkipReason(device: OrtTrainDevice): string | null {
  if (device !== 'cuda') return null;
  const binding = join(dirname(createRequire(import.meta.url).resolve('onnxruntime-node')), '..', 'bin', 'napi-v6', process.platform, process.arch);
  return existsSync(join(binding, 'libonnxruntime_providers_cuda.so'))
    ? null
    : 'the CUDA provider libraries are not installed (reinstall onnxruntime-node with ONNXRUNTIME_NODE_INSTALL=cuda12 on Linux x64)';
}

/** Parses a device request; a `RangeError` names the argument, the expected and the actual value. */
export function parseOrtDevice(value: unknown, name = 'device'): OrtDeviceRequest {
  if (value === 'auto' || (typeof value === 'string' && value in ORT_TRAIN_DEVICES)) return value as OrtDeviceRequest;
  throw new RangeError(`${name}: expected auto|${Object.keys(ORT_TRAIN_DEVICES).join('|')}, got ${JSON.stringify(value)}`);
}

/**
 * Session options of the training sessions on `device`. With more than one intra-op thread the pool
 * is asked not to spin between runs, so it leaves the CPU to the main thread's batch preparation.
 */
export function ortSessionOptions(device: OrtTrainDevice, threads: number): InferenceSession.SessionOptions {
  return {
    executionProviders: [ORT_TRAIN_DEVICES[device].provider],
    intraOpNumThreads: threads,
    interOpNumThreads: 1,
    executionMode: 'sequential',
    graphOptimizationLevel: 'all',
    logSeverityLevel: 3,
    ...(threads > 1 ? { extra: { session: { intra_op: { allow_spinning: '0' } } } } : {}),
  };
}
