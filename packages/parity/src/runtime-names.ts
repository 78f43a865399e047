import type { DeviceClass } from './tolerances.js';

/**
 * Every runtime `vae parity` knows, in the order it runs and reports them, with its device class
 * (which selects the default tolerance) and what it is.
 */
export const RUNTIMES = Object.freeze({
  'tfjs-cpu': { deviceClass: 'cpu', description: 'TensorFlow.js cpu backend, weights from the training checkpoint' },
  'tfjs-wasm': { deviceClass: 'wasm', description: 'TensorFlow.js wasm backend, weights from the training checkpoint' },
  'ort-node-cpu': { deviceClass: 'cpu', description: 'onnxruntime-node, CPU execution provider' },
  'ort-node-webgpu': {
    deviceClass: 'webgpu',
    description: 'onnxruntime-node, WebGPU execution provider (Dawn; Vulkan driver)',
  },
  'ort-node-cuda': { deviceClass: 'cuda', description: 'onnxruntime-node, CUDA execution provider (TF32 disabled)' },
  'ort-web-wasm': { deviceClass: 'wasm', description: 'onnxruntime-web in Node, wasm execution provider' },
  'ort-web-webgpu': {
    deviceClass: 'webgpu',
    description: 'onnxruntime-web in Node, WebGPU execution provider (npm webgpu / Dawn)',
  },
  'chromium-wasm': {
    deviceClass: 'wasm',
    description: 'onnxruntime-web wasm in Chromium (playwright-core, /usr/bin/chromium)',
  },
  'chromium-webgpu': {
    deviceClass: 'webgpu',
    description: 'onnxruntime-web WebGPU in Chromium (playwright-core, /usr/bin/chromium)',
  },
} as const satisfies Record<string, { deviceClass: DeviceClass; description: string }>);

/** A runtime name. */
export type RuntimeName = keyof typeof RUNTIMES;

/** All runtime names, in report order. */
export const RUNTIME_NAMES: readonly RuntimeName[] = Object.freeze(Object.keys(RUNTIMES) as RuntimeName[]);

/** Throws a `RangeError` naming `name` unless `value` is a known runtime. */
export function assertRuntimeName(value: unknown, name = 'runtime'): asserts value is RuntimeName {
  if (typeof value !== 'string' || !(value in RUNTIMES)) {
    throw new RangeError(`${name}: expected one of ${RUNTIME_NAMES.join('|')}, got ${JSON.stringify(value)}`);
  }
}

/** Parses a `--runtimes` value (comma-separated and/or repeated) into runtime names; undefined stays undefined. */
export function parseRuntimeList(raw: unknown, option = '--runtimes'): RuntimeName[] | undefined {
  if (raw === undefined) return undefined;
  const names = (Array.isArray(raw) ? raw : [raw])
    .flatMap((v) => String(v).split(','))
    .map((v) => v.trim())
    .filter(Boolean);
  names.forEach((n) => assertRuntimeName(n, option));
  return names as RuntimeName[];
}
