import { setFlagsFromString } from 'node:v8';
import { installDawnWebGpu, type DawnOptions, type DawnSetup } from '@vae/device-node';

/**
 * Keeps V8 on its baseline WebAssembly compiler (`--liftoff-only`). Measured here with
 * onnxruntime-web 1.30 in Node 20: the first WebGPU run of any graph spent 32–47 s of CPU in V8
 * optimizing (TurboFan) functions of the asyncify build; with Liftoff only, a one-Sigmoid graph's
 * first run took 55 ms (34 s before) and an 8→64→784 MLP's 1.7 s (37 s before), and WASM-EP runs
 * were not slower. Must run before the first onnxruntime-web session is created.
 */
export function useBaselineWasmCompiler(): void {
  setFlagsFromString('--liftoff-only');
}

/**
 * Makes WebGPU available to onnxruntime-web in Node: Dawn through `installDawnWebGpu` of
 * `@vae/device-node` (Vulkan ICD and loader, `navigator.gpu`, the SharedArrayBuffer `writeBuffer`
 * fix), and V8 on {@link useBaselineWasmCompiler}. Idempotent; call before the first onnxruntime-web
 * session.
 */
export function setupNodeWebGpu(options: DawnOptions = {}): Promise<DawnSetup> {
  useBaselineWasmCompiler();
  return installDawnWebGpu(options);
}
