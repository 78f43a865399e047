import type { OrtWebModule } from './ort-types.js';

/**
 * Where onnxruntime-web finds its `.wasm`/`.mjs` runtime files: a URL prefix ending in `/`
 * (e.g. `/ort/`), or explicit URLs of the two files.
 */
export type WasmPaths = string | { readonly mjs?: string; readonly wasm?: string };

/** Process-wide onnxruntime-web settings; apply them before the first session is created. */
export interface WebRuntimeConfig {
  /** Where the runtime files are served from (default: next to the onnxruntime-web module). */
  readonly wasmPaths?: WasmPaths;
  /**
   * WASM threads (default 1: on small models thread hand-off costs more than it saves, and more
   * than one thread needs a cross-origin-isolated page). Fixed once the runtime is initialized.
   */
  readonly numThreads?: number;
  /** Run the WASM runtime in a worker (browser only; outputs must then live on the CPU). */
  readonly proxy?: boolean;
}

function assertWasmPaths(paths: unknown): asserts paths is WasmPaths {
  if (typeof paths === 'string') {
    if (paths.length > 0) return;
  } else if (paths !== null && typeof paths === 'object') {
    const { mjs, wasm } = paths as { mjs?: unknown; wasm?: unknown };
    if (
      (mjs === undefined || typeof mjs === 'string') &&
      (wasm === undefined || typeof wasm === 'string') &&
      (mjs ?? wasm) !== undefined
    )
      return;
  }
  throw new TypeError(`wasmPaths: expected a URL prefix string or { mjs?, wasm? } URLs, got ${JSON.stringify(paths)}`);
}

/**
 * Writes `config` into `ort.env` after validating it. Throws a `RangeError`/`TypeError` naming the
 * bad field.
 */
export function applyWebRuntimeConfig(ort: OrtWebModule, config: WebRuntimeConfig): void {
  if (config === null || typeof config !== 'object') {
    throw new TypeError(`config: expected { wasmPaths?, numThreads?, proxy? }, got ${String(config)}`);
  }
  if (config.wasmPaths !== undefined) {
    assertWasmPaths(config.wasmPaths);
    ort.env.wasm.wasmPaths = typeof config.wasmPaths === 'string' ? config.wasmPaths : { ...config.wasmPaths };
  }
  if (config.numThreads !== undefined) {
    if (!Number.isInteger(config.numThreads) || config.numThreads < 1 || config.numThreads > 64) {
      throw new RangeError(`numThreads: expected an integer in [1, 64], got ${String(config.numThreads)}`);
    }
    ort.env.wasm.numThreads = config.numThreads;
  }
  if (config.proxy !== undefined) {
    if (typeof config.proxy !== 'boolean')
      throw new TypeError(`proxy: expected a boolean, got ${String(config.proxy)}`);
    ort.env.wasm.proxy = config.proxy;
  }
}
