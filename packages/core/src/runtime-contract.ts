import type { SessionValueInfo } from './graph-signature.js';
import type { Tensor } from './tensor.js';

/**
 * Execution devices, in the order `auto` tries them. A backend (onnxruntime-node, onnxruntime-web)
 * declares which it supports; `auto` takes the first that creates a session.
 */
export const DEVICES = Object.freeze({
  cuda: { label: 'CUDA (NVIDIA GPU)' },
  webgpu: { label: 'WebGPU (Dawn / browser)' },
  wasm: { label: 'WebAssembly (onnxruntime-web)' },
  cpu: { label: 'CPU (onnxruntime-node)' },
});

/** A concrete execution device. */
export type ExecutionDevice = keyof typeof DEVICES;
/** A device request: a concrete device, or `auto` for the first that works. */
export type DeviceRequest = ExecutionDevice | 'auto';

/** Options for creating one session. */
export interface SessionOptions {
  readonly device: ExecutionDevice;
  /** Intra-op threads (CPU / WASM); backends pick a tuned default when absent. */
  readonly threads?: number;
  /**
   * What the session will run, for the default of `threads`: `latency` (default; single examples and
   * small batches, where thread hand-off costs more than it saves on small models) or `batch` (runs of
   * thousands of rows such as the scorer's, which gain from every core up to core's training default).
   */
  readonly workload?: 'latency' | 'batch';
}

/**
 * One loaded ONNX graph on one device: the small contract the Node and web runtimes implement.
 * Implementations must queue `run` calls (concurrent runs on one session are unsafe in onnxruntime-web).
 */
export interface BackendSession {
  readonly device: ExecutionDevice;
  readonly inputNames: readonly string[];
  readonly outputNames: readonly string[];
  /** Inputs with type and shape as the runtime reports them (checked against the manifest on load). */
  readonly inputMetadata: readonly SessionValueInfo[];
  /** Outputs with type and shape as the runtime reports them. */
  readonly outputMetadata: readonly SessionValueInfo[];
  /** Runs the graph; feeds and results are float32 tensors keyed by graph input/output name. */
  run(feeds: Readonly<Record<string, Tensor>>): Promise<Record<string, Tensor>>;
  /** Frees native resources. */
  release(): Promise<void>;
}

/** A runtime that can create sessions (registered with a priority, as in onnxruntime's js/common). */
export interface Backend {
  /** e.g. `onnxruntime-node`, `onnxruntime-web`. */
  readonly name: string;
  /** Devices this backend can try, in its preferred order for `auto`. */
  readonly devices: readonly ExecutionDevice[];
  /**
   * Creates a session for the ONNX model bytes on `options.device`. Rejects with an Error whose
   * message says why the device is unavailable (missing libraries, no adapter, …) and how to fix it.
   */
  createSession(model: Uint8Array, options: SessionOptions): Promise<BackendSession>;
}
