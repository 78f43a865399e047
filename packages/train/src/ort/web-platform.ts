import type { OrtModule, OrtPlatform } from './ort-platform.js';

/** Devices of onnxruntime-web the step runner can train on. */
export const WEB_TRAIN_DEVICES = Object.freeze({
  wasm: { note: 'WebAssembly SIMD kernels (the CPU), available in every browser' },
  webgpu: { note: 'the WebGPU execution provider; needs a WebGPU adapter and the WebGPU build of onnxruntime-web' },
});
/** A device of onnxruntime-web. */
export type WebTrainDevice = keyof typeof WEB_TRAIN_DEVICES;

/** Parses a browser device request; a `RangeError` names the argument, the expected and the actual value. */
export function parseWebDevice(value: unknown, name = 'device'): WebTrainDevice | 'auto' {
  if (value === 'auto' || (typeof value === 'string' && value in WEB_TRAIN_DEVICES))
    return value as WebTrainDevice | 'auto';
  throw new RangeError(
    `${name}: expected auto|${Object.keys(WEB_TRAIN_DEVICES).join('|')}, got ${JSON.stringify(value)}`,
  );
}

/**
 * The step runner's platform on onnxruntime-web (pass the module the page imported: the CPU-only
 * build for `wasm`, the WebGPU build for `webgpu`). `auto` means wasm here: whether WebGPU is
 * faster for a model is measured by the caller (small MLPs are often faster on wasm).
 */
export function webOrtPlatform(ort: OrtModule): OrtPlatform<WebTrainDevice> {
  return {
    ort,
    autoOrder: ['wasm'],
    parseDevice: parseWebDevice,
    skipReason: () => null,
    sessionOptions: (device) => ({
      executionProviders: [device],
      graphOptimizationLevel: 'all',
      executionMode: 'sequential',
      logSeverityLevel: 3,
    }),
    writesPreallocatedOutputs: false,
  };
}
