/**
 * `@vae/runtime-web/workers`: onnxruntime-web's wasm device inside Cloudflare Workers (workerd) and
 * other isolates that forbid compiling WebAssembly at run time and dynamic `import()`. The runtime is
 * imported statically (`onnxruntime-web/wasm`, whose default build bundles its Emscripten glue) and
 * its `.wasm` is the precompiled `WebAssembly.Module` the platform hands the Worker
 * (`import wasm from 'onnxruntime-web/ort-wasm-simd-threaded.wasm'` with a CompiledWasm rule).
 */
import { VaeModel, memoryFileSource, registerRuntime, type Runtime, type VaeModelLoadOptions } from '@vae/core';
import * as ort from 'onnxruntime-web/wasm';
import { WEB_BACKEND_PRIORITY } from './runtime-info.js';
import { createWebBackend } from './web-backend.js';

/** Bytes that stand for the precompiled module in onnxruntime-web's `wasmBinary` (never compiled). */
const PLACEHOLDER = new Uint8Array([0, 0x61, 0x73, 0x6d]);

let wasmModule: WebAssembly.Module | undefined;

/**
 * Routes onnxruntime-web's one `WebAssembly.instantiate(bytes, imports)` to the precompiled module:
 * onnxruntime-web 1.30 accepts only bytes (`env.wasm.wasmBinary`) and passes no `instantiateWasm`
 * hook to Emscripten, so the placeholder bytes are recognised here and every other call is untouched.
 */
function routeInstantiate(): void {
  const wasm = WebAssembly as { instantiate: (...a: unknown[]) => Promise<unknown> };
  const original = wasm.instantiate.bind(WebAssembly);
  wasm.instantiate = (source: unknown, imports?: unknown) => {
    if (source instanceof Uint8Array && source.length === PLACEHOLDER.length && source[1] === 0x61 && wasmModule) {
      const module = wasmModule;
      return original(module, imports).then((instance) => ({ instance, module }));
    }
    return original(source, imports);
  };
}

/**
 * The onnxruntime-web wasm runtime over a precompiled `WebAssembly.Module` of
 * `ort-wasm-simd-threaded.wasm` (one thread, no proxy worker).
 */
export function createWorkersRuntime(module: WebAssembly.Module): Runtime {
  if (!(module instanceof WebAssembly.Module))
    throw new TypeError(
      `module: expected the WebAssembly.Module of onnxruntime-web's ort-wasm-simd-threaded.wasm, got ${typeof module}`,
    );
  if (wasmModule === undefined) routeInstantiate();
  wasmModule = module;
  ort.env.wasm.wasmBinary = PLACEHOLDER;
  ort.env.wasm.numThreads = 1;
  ort.env.wasm.proxy = false;
  const web = createWebBackend(ort, { probe: async () => ({ available: false, reason: 'no WebGPU in a Worker' }) });
  return Object.freeze({ ...web, devices: ['wasm'], engine: 'onnxruntime-web 1.30 wasm (precompiled module)' });
}

/** Options of {@link loadWorkersModel}. */
export interface WorkersLoadOptions extends Omit<VaeModelLoadOptions, 'device' | 'backends'> {}

/**
 * Registers {@link createWorkersRuntime} and loads a model directory from bytes the Worker bundles
 * (`manifest.json`, `encoder.onnx`, `decoder.onnx`, … keyed by file name) on the wasm device.
 */
export async function loadWorkersModel(
  files: Readonly<Record<string, Uint8Array | ArrayBuffer | string>>,
  module: WebAssembly.Module,
  options: WorkersLoadOptions = {},
): Promise<VaeModel> {
  const runtime = createWorkersRuntime(module);
  registerRuntime(runtime, WEB_BACKEND_PRIORITY);
  const bytes: Record<string, Uint8Array> = {};
  for (const [name, v] of Object.entries(files))
    bytes[name] = typeof v === 'string' ? new TextEncoder().encode(v) : v instanceof Uint8Array ? v : new Uint8Array(v);
  return VaeModel.load(memoryFileSource(bytes, 'worker bundle'), { ...options, device: 'wasm', backends: [runtime] });
}
