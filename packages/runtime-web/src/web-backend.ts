import {
  DEFAULT_WASM_THREADS,
  OrtSession,
  getLogger,
  probeWebGpu,
  type Runtime,
  type BackendSession,
  type ExecutionDevice,
  type SessionOptions,
  type WebGpuProbe,
} from '@vae/core';
import type { OrtSessionOptions, OrtWebModule } from './ort-types.js';
import { WEB_BACKEND_NAME, WEB_DEVICES, WEB_RUNTIME_INFO } from './runtime-info.js';

const log = getLogger('runtime-web');

/** onnxruntime log severity for sessions (3 = errors only). */
const LOG_SEVERITY = 3;

/** Options of {@link createWebBackend}. */
export interface WebBackendOptions {
  /** Backend name (default {@link WEB_BACKEND_NAME}). */
  readonly name?: string;
  /**
   * When a session is created for `device: 'auto'`, decline WebGPU on a software fallback adapter
   * (SwiftShader, WARP), which is usually slower than WASM for models of this size (default true).
   * An explicit `device: 'webgpu'` request always uses it.
   */
  readonly autoSkipsFallbackAdapter?: boolean;
  /** Checks WebGPU availability (default {@link probeWebGpu} on `navigator.gpu`). */
  readonly probe?: () => Promise<WebGpuProbe>;
}

/**
 * Loads the onnxruntime-web module for a device, e.g. the CPU-only build for `wasm` and the
 * WebGPU build (imported lazily) for `webgpu`. Called after the device checks, so a declined WebGPU
 * never loads its build.
 */
export type OrtWebLoader = (device: ExecutionDevice) => Promise<OrtWebModule>;

/** Session options as core's `createSession` passes them (`auto` set when resolving `device: 'auto'`). */
type BackendSessionOptions = SessionOptions & { readonly auto?: boolean };

function message(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}

/**
 * A {@link Backend} over an onnxruntime-web module namespace (`webgpu` → `wasm`), or over a
 * {@link OrtWebLoader} that picks the module per device. The browser entry passes the WebGPU-capable
 * ESM build; the Node entry (`@vae/runtime-web/node`) the CommonJS build.
 * Session creation rejects with the reason a device is unavailable; runs are queued per session.
 */
export function createWebBackend(runtime: OrtWebModule | OrtWebLoader, options: WebBackendOptions = {}): Runtime {
  const name = options.name ?? WEB_BACKEND_NAME;
  const skipFallback = options.autoSkipsFallbackAdapter ?? true;
  const probe = options.probe ?? (() => probeWebGpu());
  const load: OrtWebLoader = typeof runtime === 'function' ? runtime : async () => runtime;
  /** Sessions created per module (each module has its own WASM runtime and `env`). */
  const created = new Map<OrtWebModule, number>();

  const configureThreads = (ort: OrtWebModule, threads: number | undefined): void => {
    if ((created.get(ort) ?? 0) === 0) {
      if (threads !== undefined) ort.env.wasm.numThreads = threads;
      else if (ort.env.wasm.numThreads === undefined) ort.env.wasm.numThreads = DEFAULT_WASM_THREADS;
    } else if (threads !== undefined && threads !== ort.env.wasm.numThreads) {
      log.warn(
        `threads: the WASM runtime is already initialized with ${String(ort.env.wasm.numThreads)} thread(s); ignoring ${threads}`,
      );
    }
  };

  const createSession = async (model: Uint8Array, o: BackendSessionOptions): Promise<BackendSession> => {
    if (!(model instanceof Uint8Array) || model.length === 0) {
      throw new TypeError(
        `model: expected non-empty ONNX bytes (Uint8Array), got ${model instanceof Uint8Array ? 'an empty array' : typeof model}`,
      );
    }
    const device = o?.device;
    if (!WEB_DEVICES.includes(device)) {
      throw new RangeError(
        `device: expected one of ${WEB_DEVICES.join('|')} for ${name}, got ${JSON.stringify(device)}`,
      );
    }
    if (o.threads !== undefined && (!Number.isInteger(o.threads) || o.threads < 1)) {
      throw new RangeError(`threads: expected a positive integer, got ${String(o.threads)}`);
    }
    if (device === 'webgpu') {
      const found = await probe();
      if (!found.available) throw new Error(`WebGPU unavailable: ${found.reason}`);
      if (o.auto && skipFallback && found.software) {
        throw new Error(
          `skipped by auto: the WebGPU adapter (${found.adapter}) is a software fallback adapter, usually slower than wasm; request device webgpu to use it`,
        );
      }
    }
    const ort = await load(device);
    configureThreads(ort, o.threads);
    const sessionOptions: OrtSessionOptions = {
      executionProviders: [device],
      graphOptimizationLevel: 'all',
      logSeverityLevel: LOG_SEVERITY,
    };
    let session: Awaited<ReturnType<OrtWebModule['InferenceSession']['create']>>;
    try {
      session = await ort.InferenceSession.create(model, sessionOptions);
    } catch (err) {
      throw new Error(`${name} could not create a ${device} session: ${message(err)}`, { cause: err });
    }
    created.set(ort, (created.get(ort) ?? 0) + 1);
    log.debug(`created ${device} session (${model.length} bytes, ${String(ort.env.wasm.numThreads)} wasm thread(s))`);
    return new OrtSession(session, (data, dims) => new ort.Tensor('float32', data, [...dims]), device);
  };

  return Object.freeze({ ...WEB_RUNTIME_INFO, name, createSession });
}
