import {
  OrtSession,
  defaultInferenceThreads,
  getLogger,
  type Runtime,
  type BackendSession,
  type ExecutionDevice,
  type SessionOptions,
} from '@vae/core';
import {
  CUDA_INSTALL_HINT,
  VULKAN_DRIVER_HINT,
  cudaProviderStatus,
  isSoftwareVulkan,
  ortExecutionProviders,
  prepareOrtDevice,
  type OrtNodeDevice,
} from '@vae/device-node';
import { availableParallelism } from 'node:os';
import * as ort from 'onnxruntime-node';
import { openDirectSession } from './direct-sessions.js';
import { webgpuBundled } from './execution-providers.js';
import { NODE_DEVICES, NODE_RUNTIME_INFO } from './options.js';

const log = getLogger('runtime-node');

/** ONNX Runtime log severity used for sessions (3 = errors only). */
const LOG_SEVERITY = 3;

function unavailable(device: ExecutionDevice): string | undefined {
  if (device === 'cuda') {
    const cuda = cudaProviderStatus();
    if (!cuda.installed) return `CUDA provider libraries are not installed (no ${cuda.library}); ${CUDA_INSTALL_HINT}`;
  }
  if (device === 'webgpu' && !webgpuBundled()) return 'this onnxruntime-node build has no WebGPU execution provider';
  return undefined;
}

async function createNodeSession(
  model: Uint8Array,
  options: SessionOptions & { readonly auto?: boolean },
): Promise<BackendSession> {
  const { device } = options;
  if (!NODE_DEVICES.includes(device)) {
    throw new RangeError(
      `device: expected one of ${NODE_DEVICES.join('|')} for onnxruntime-node, got ${JSON.stringify(device)}`,
    );
  }
  const ortDevice = device as OrtNodeDevice; // one of NODE_DEVICES, checked above
  const missing = unavailable(device);
  if (missing) throw new Error(missing);
  prepareOrtDevice(ortDevice);
  if (device === 'webgpu') {
    const icd = process.env.VK_ICD_FILENAMES;
    if (options.auto && isSoftwareVulkan(icd)) {
      throw new Error(
        `skipped by auto: the Vulkan driver is a CPU rasterizer (VK_ICD_FILENAMES=${icd}), slower than the cpu device; request device webgpu to use it`,
      );
    }
  }
  const threads = options.threads ?? defaultInferenceThreads(model.length, options.workload, availableParallelism());
  const batchPool = options.workload === 'batch' && threads !== undefined && threads > 1;
  const sessionOptions: ort.InferenceSession.SessionOptions = {
    executionProviders: ortExecutionProviders(ortDevice),
    graphOptimizationLevel: 'all',
    logSeverityLevel: LOG_SEVERITY,
    // Keep DequantizeLinear weights as dequantize-then-float-MatMul: ORT's QDQ fusion would otherwise
    // also quantize the activations of int8 models, departing from the WASM/WebGPU results by ~2.5e-2.
    // A batch workload's threads wait without spinning: on a shared machine a spinning thread that
    // loses its core stalls every run (as for training sessions, train's ortSessionOptions).
    extra: { session: { disable_quant_qdq: '1', ...(batchPool ? { intra_op: { allow_spinning: '0' } } : {}) } },
    ...(threads === undefined ? {} : { intraOpNumThreads: threads, interOpNumThreads: 1 }),
    // A batch workload (the scorer's runs of ~4,000 rows) plans no memory pattern: with one, the
    // second run of a shape allocates the pattern's fresh block (~50 MB, page-faulted again) after
    // the first run's arena chunks; without, runs 2+ reuse the arena. First two runs of a fresh
    // scorer session 71 + 61 ms → 53 + 10 ms, later runs unchanged (9.1–9.3 ms), 2026-12-07.
    ...(options.workload === 'batch' ? { enableMemPattern: false } : {}),
  };
  try {
    const direct = device === 'cpu' ? openDirectSession(model, sessionOptions) : null;
    if (direct) return direct;
    const session = await ort.InferenceSession.create(model, sessionOptions);
    log.debug(`created ${device} session (${model.length} bytes, ${threads ?? 'default'} threads)`);
    return new OrtSession(session, (data, dims) => new ort.Tensor('float32', data, dims), device);
  } catch (err) {
    const message = err instanceof Error ? err.message : String(err);
    if (device === 'cuda') throw new Error(`${message}; ${CUDA_INSTALL_HINT}`, { cause: err });
    if (device === 'webgpu') {
      throw new Error(`${message} (WebGPU needs a Vulkan driver: ${VULKAN_DRIVER_HINT})`, { cause: err });
    }
    throw err;
  }
}

/** The `onnxruntime-node` runtime: `cuda` → `webgpu` → `cpu` ({@link NODE_RUNTIME_INFO} + its session factory). */
export const onnxruntimeNodeBackend: Runtime = Object.freeze({
  ...NODE_RUNTIME_INFO,
  createSession: createNodeSession,
});
