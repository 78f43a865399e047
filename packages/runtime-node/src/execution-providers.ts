import * as ort from 'onnxruntime-node';

/** Whether this onnxruntime-node build bundles the WebGPU execution provider. */
export function webgpuBundled(): boolean {
  return ort.listSupportedBackends().some((b) => b.name === 'webgpu' && b.bundled);
}
