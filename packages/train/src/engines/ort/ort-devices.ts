import { trainDevices } from '@vae/core';
import { NODE_RUNTIME_INFO } from '@vae/runtime-node/options';
import {
  CUDA_INSTALL_HINT,
  cudaProviderStatus,
  ortExecutionProviders,
  prepareOrtDevice,
  type OrtNodeDevice,
} from '@vae/device-node';
import type { InferenceSession } from 'onnxruntime-node';

/**
 * onnxruntime-node devices the ort engine can train on, with their notes: those the registered
 * onnxruntime-node runtime marks trainable (`NODE_RUNTIME_INFO.deviceInfo[d].train`).
 */
export const ORT_TRAIN_DEVICES: Readonly<Record<string, string>> = trainDevices(NODE_RUNTIME_INFO);
/** A concrete device of the ort engine (one of {@link ORT_TRAIN_DEVICES}). */
export type OrtTrainDevice = OrtNodeDevice;
/** A device request: a concrete device or `auto`. */
export type OrtDeviceRequest = OrtTrainDevice | 'auto';

/**
 * Devices `auto` tries, in order. WebGPU is left out: for MLP-sized models it is slower than the
 * CPU EP (gpuweb #5291, onnxruntime #18584) and on software Vulkan drivers much slower; ask for it
 * explicitly.
 */
export const ORT_AUTO_ORDER: readonly OrtTrainDevice[] = Object.freeze(['cuda', 'cpu'] as const);

/**
 * Why `auto` should not try `device` on this machine without creating a session, or null. CUDA is
 * skipped when onnxruntime-node's CUDA provider library is not installed next to its binding (trying
 * would make onnxruntime print a load error on every run).
 */
export function ortDeviceSkipReason(device: OrtTrainDevice): string | null {
  if (device !== 'cuda') return null;
  const cuda = cudaProviderStatus();
  return cuda.installed
    ? null
    : `the CUDA provider libraries are not installed (no ${cuda.library}); ${CUDA_INSTALL_HINT}`;
}

/**
 * Prepares the process environment for training sessions on every device `request` may use, as
 * inference does (`prepareOrtDevice` of `@vae/device-node`: TF32 off for CUDA, the Vulkan ICD for
 * WebGPU). Must run on the main thread before the worker thread starts: a worker's `process.env` is a
 * copy that native code does not see.
 */
export function prepareOrtTraining(request: OrtDeviceRequest): void {
  for (const device of request === 'auto' ? ORT_AUTO_ORDER : [request]) prepareOrtDevice(device);
}

/** Parses a device request; a `RangeError` names the argument, the expected and the actual value. */
export function parseOrtDevice(value: unknown, name = 'device'): OrtDeviceRequest {
  if (value === 'auto' || (typeof value === 'string' && value in ORT_TRAIN_DEVICES)) return value as OrtDeviceRequest;
  throw new RangeError(
    `${name}: expected auto|${Object.keys(ORT_TRAIN_DEVICES).join('|')}, got ${JSON.stringify(value)}`,
  );
}

/**
 * Session options of the training sessions on `device`. With more than one intra-op thread the pool
 * does not spin: spinning between ops made a 784-400-20 b128 run 3.2–3.7 ms against 3.8–4.2 ms on 2
 * idle cores (medians of 430 steps), but on a shared machine a spinning thread that loses its core
 * stalls the run: `vae train` epochs took 4.6–6.8 s with spinning (and `force_spinning_stop`)
 * against 2.5–4.2 s for the same code without it (load 6, 2 cores, alternating runs).
 */
export function ortSessionOptions(device: OrtTrainDevice, threads: number): InferenceSession.SessionOptions {
  return {
    executionProviders: ortExecutionProviders(device),
    intraOpNumThreads: threads,
    interOpNumThreads: 1,
    executionMode: 'sequential',
    graphOptimizationLevel: 'all',
    logSeverityLevel: 3,
    ...(threads > 1 ? { extra: { session: { intra_op: { allow_spinning: '0' } } } } : {}),
  };
}
