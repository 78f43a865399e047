import { trainDevices, type Runtime } from '@vae/core';
import type { OrtModule, OrtPlatform } from './ort-platform.js';

/** A device of onnxruntime-web the step runner trains on (one its runtime marks trainable). */
export type WebTrainDevice = string;

/**
 * Parses a device request against the devices `runtime` marks trainable; a `RangeError` names the
 * argument, the expected and the actual value.
 */
export function parseTrainDevice(
  runtime: Pick<Runtime, 'devices' | 'deviceInfo'>,
  value: unknown,
  name = 'device',
): WebTrainDevice | 'auto' {
  const devices = Object.keys(trainDevices(runtime));
  if (value === 'auto' || (typeof value === 'string' && devices.includes(value))) return value;
  throw new RangeError(`${name}: expected auto|${devices.join('|')}, got ${JSON.stringify(value)}`);
}

/**
 * The step runner's platform on onnxruntime-web (pass the module the page imported: the CPU-only
 * build for `wasm`, the WebGPU build for `webgpu`, and the runtime's description, e.g.
 * `WEB_RUNTIME_INFO` of `@vae/runtime-web`, whose trainable devices it accepts). `auto` means wasm
 * here: whether WebGPU is faster for a model is measured by the caller (small MLPs are often faster
 * on wasm).
 */
export function webOrtPlatform<D extends WebTrainDevice = WebTrainDevice>(
  ort: OrtModule,
  runtime: Pick<Runtime, 'devices' | 'deviceInfo'>,
): OrtPlatform<D> {
  return {
    ort,
    autoOrder: ['wasm' as D],
    parseDevice: (value, name) => parseTrainDevice(runtime, value, name) as D | 'auto',
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
