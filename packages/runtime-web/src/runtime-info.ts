import type { Runtime } from '@vae/core';

/**
 * Priority of the web runtime in core's registry: below `@vae/runtime-node` (100), so in Node the
 * native runtime wins when both are registered; in a browser it is the only one.
 */
export const WEB_BACKEND_PRIORITY = 50;

/** Name of the runtime in core's registry. */
export const WEB_BACKEND_NAME = 'onnxruntime-web';

/**
 * The onnxruntime-web runtime without its session factory: devices (`auto` order) with what they
 * are and whether the ort trainer trains on them, and the hosts `vae parity` launches it under.
 */
export const WEB_RUNTIME_INFO = Object.freeze({
  name: WEB_BACKEND_NAME,
  engine: 'onnxruntime-web 1.30 (WebAssembly / WebGPU; browsers, Node, Deno, Bun)',
  priority: WEB_BACKEND_PRIORITY,
  devices: Object.freeze(['webgpu', 'wasm']),
  deviceInfo: Object.freeze({
    webgpu: {
      label: 'WebGPU (browser or Dawn)',
      arithmetic: 'reassociated',
      train: 'the WebGPU execution provider; needs a WebGPU adapter and the WebGPU build of onnxruntime-web',
    },
    wasm: {
      label: 'WebAssembly SIMD kernels',
      arithmetic: 'exact',
      train: 'WebAssembly SIMD kernels (the CPU), available in every browser',
    },
  }),
  parity: Object.freeze({
    prefix: 'ort-web',
    module: '@vae/runtime-web/node',
    register: 'registerNodeWebBackend',
    hosts: Object.freeze({
      node: ['wasm', 'webgpu'],
      deno: ['wasm'],
      bun: ['wasm'],
      chromium: ['wasm', 'webgpu'],
      firefox: ['wasm'],
      webkit: ['wasm'],
      workerd: ['wasm'],
    }),
  }),
} satisfies Omit<Runtime, 'createSession'>);

/** Devices onnxruntime-web can run, in the order `auto` tries them. */
export const WEB_DEVICES: readonly string[] = WEB_RUNTIME_INFO.devices;
