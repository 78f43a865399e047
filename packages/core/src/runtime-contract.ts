import type { SessionValueInfo } from './graph-signature.js';
import type { Tensor } from './tensor.js';

/**
 * An execution device name (`cpu`, `wasm`, `webgpu`, `cuda`, …). The set is open: a device exists
 * when a registered {@link Runtime} offers it (see `listDevices`).
 */
export type ExecutionDevice = string;
/** A device request: a concrete device, or `auto` for the first that works. */
export type DeviceRequest = ExecutionDevice | 'auto';

/**
 * How a device does float32 arithmetic, which selects parity's default tolerance row: `exact`
 * (CPU/WASM kernels, float32 sums in graph order) or `reassociated` (GPU shaders: other reduction
 * order, fused multiply-add).
 */
export type DeviceArithmetic = 'exact' | 'reassociated';

/** What a runtime says about one of its devices. */
export interface DeviceInfo {
  /** Human-readable label, e.g. `CPU (onnxruntime-node)`. */
  readonly label: string;
  readonly arithmetic: DeviceArithmetic;
  /** Present when the ort trainer can train on this device: a note for `--help` (what it needs). */
  readonly train?: string;
}

/**
 * How `vae parity` launches a runtime: the JavaScript hosts it runs under, each with the devices
 * tried there. Parity names a runtime `<prefix>-<device>` on the `node` host and
 * `<prefix>-<device>@<host>` on any other (`ort-web-wasm@firefox`).
 */
export interface RuntimeParity {
  /** Name prefix, e.g. `ort-node`. */
  readonly prefix: string;
  /** Module that registers this runtime when imported in Node, Deno or Bun (e.g. `@vae/runtime-node`). */
  readonly module: string;
  /** Export of {@link module} that registers the runtime with core's registry (e.g. `registerNodeBackend`). */
  readonly register: string;
  /** Host name (`node`, `deno`, `bun`, `chromium`, …) → devices parity runs there. */
  readonly hosts: Readonly<Record<string, readonly ExecutionDevice[]>>;
}
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

/**
 * A runtime: an engine that opens sessions on its devices, registered once under an open name with a
 * priority (as in onnxruntime's js/common) and read by `VaeModel.load`, the ort trainer's device
 * checks, `vae parity` and the docs' runtime table.
 */
export interface Backend {
  /** e.g. `onnxruntime-node`, `onnxruntime-web`. */
  readonly name: string;
  /** Devices this runtime can try, in its preferred order for `auto`. */
  readonly devices: readonly ExecutionDevice[];
  /**
   * Creates a session for the ONNX model bytes on `options.device`. Rejects with an Error whose
   * message says why the device is unavailable (missing libraries, no adapter, …) and how to fix it.
   */
  createSession(model: Uint8Array, options: SessionOptions): Promise<BackendSession>;
  /** What executes the graphs, e.g. `onnxruntime-node 1.30 (native, N-API)`. */
  readonly engine?: string;
  /** Registry priority used when none is passed to `registerRuntime` (higher is tried first). */
  readonly priority?: number;
  /** Label, arithmetic and trainability of each device in {@link devices}. */
  readonly deviceInfo?: Readonly<Record<ExecutionDevice, DeviceInfo>>;
  /** How `vae parity` launches it; absent = parity does not run it. */
  readonly parity?: RuntimeParity;
}

/** A registered runtime (the same object as a {@link Backend}; the name used by the registry). */
export type Runtime = Backend;
