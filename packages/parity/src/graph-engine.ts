/**
 * Raw ONNX graphs on a parity runtime, for `vae parity --bisect` and `--onnx`: a {@link GraphEngine}
 * loads any graph bytes on the runtime's device and runs them on float32 feeds. Hosts that can run
 * raw graphs (this Node process, the browser pages) implement `ParityHost.openGraphs`.
 */
import type { Backend, ExecutionDevice, Tensor } from '@vae/core';
import type { ParityRuntime } from './parity-runtime.js';

/** One ONNX graph loaded on a runtime. */
export interface GraphRunner {
  /** Runs the graph; float32 feeds and outputs keyed by name. */
  run(feeds: Readonly<Record<string, Tensor>>): Promise<Record<string, Tensor>>;
  release(): Promise<void>;
}

/** A runtime ready to load raw ONNX graphs (one browser launch, one Node backend, …). */
export interface GraphEngine {
  /** What actually runs, e.g. `onnxruntime-node cpu`, `HeadlessChrome/131…, onnxruntime-web wasm`. */
  readonly detail: string;
  /** Loads ONNX `graph` bytes on the engine's device. */
  load(graph: Uint8Array): Promise<GraphRunner>;
  /** Frees the engine (closes its browser). */
  release(): Promise<void>;
}

/** Options of opening a {@link GraphEngine}. */
export interface GraphEngineOptions {
  /** Intra-op threads for CPU/WASM sessions (default: the backend's choice). */
  readonly threads?: number;
}

/** A {@link GraphEngine} that opens sessions with `backend.createSession` in this process. */
export function backendGraphEngine(backend: Backend, device: ExecutionDevice, o: GraphEngineOptions = {}): GraphEngine {
  const threads = o.threads === undefined ? {} : { threads: o.threads };
  return {
    detail: `${backend.name} ${device}`,
    load: (graph) => backend.createSession(graph, { device, ...threads }),
    release: async () => undefined,
  };
}

/** Opens `runtime` for raw graphs; throws naming `what` when it cannot run them. */
export function openGraphEngine(
  runtime: ParityRuntime,
  what: string,
  o: GraphEngineOptions = {},
): Promise<GraphEngine> {
  if (!runtime.openGraphs)
    throw new RangeError(
      `${what}: expected a runtime that runs ONNX graphs (onnxruntime in Node or a browser), got ${runtime.name} (${runtime.description})`,
    );
  return runtime.openGraphs(o);
}
