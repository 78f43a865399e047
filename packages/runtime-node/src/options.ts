/**
 * `@vae/runtime-node/options`: what the Node runtime is and accepts, importable without loading
 * onnxruntime-node (command-line front ends and the ort trainer read its devices).
 */
import type { Runtime } from '@vae/core';
import { SWIFTSHADER_ICD } from '@vae/device-node';

/** Priority of the Node runtime in core's registry (onnxruntime-web registers lower in Node). */
export const NODE_BACKEND_PRIORITY = 100;

/**
 * The onnxruntime-node runtime without its session factory: name, engine, devices (in the order
 * `auto` tries them) with what they are and whether the ort trainer trains on them, and how
 * `vae parity` launches it (Node, Deno and Bun load the same native binding).
 */
export const NODE_RUNTIME_INFO = Object.freeze({
  name: 'onnxruntime-node',
  engine: 'onnxruntime-node 1.30 (native binding; Node, Deno, Bun)',
  priority: NODE_BACKEND_PRIORITY,
  devices: Object.freeze(['cuda', 'webgpu', 'cpu']),
  deviceInfo: Object.freeze({
    cuda: {
      label: 'CUDA (NVIDIA GPU), TF32 off',
      arithmetic: 'reassociated',
      train: 'NVIDIA GPU; needs the CUDA provider libraries (ONNXRUNTIME_NODE_INSTALL=cuda12 at install)',
    },
    webgpu: {
      label: 'WebGPU (Dawn; Vulkan driver)',
      arithmetic: 'reassociated',
      train: `Dawn; needs a Vulkan driver (e.g. VK_ICD_FILENAMES=${SWIFTSHADER_ICD})`,
    },
    cpu: {
      label: 'CPU (MLAS kernels)',
      arithmetic: 'exact',
      train: 'MLAS kernels; 1 intra-op thread is fastest on 2 busy cores',
    },
  }),
  parity: Object.freeze({
    prefix: 'ort-node',
    module: '@vae/runtime-node',
    register: 'registerNodeBackend',
    hosts: Object.freeze({ node: ['cpu', 'webgpu', 'cuda'], deno: ['cpu'], bun: ['cpu'] }),
  }),
} satisfies Omit<Runtime, 'createSession'>);

/** Devices onnxruntime-node can run, in the order `auto` tries them. */
export const NODE_DEVICES: readonly string[] = NODE_RUNTIME_INFO.devices;
