export { onnxruntimeNodeBackend, defaultThreads, SMALL_MODEL_BYTES } from './onnxruntime-node-backend.js';
export { NodeSession } from './node-session.js';
export { nodeFileSource } from './node-file-source.js';
export { registerNodeBackend, loadModel, NODE_BACKEND_PRIORITY } from './load-model.js';
export {
  SWIFTSHADER_ICD,
  CUDA_INSTALL_HINT,
  cudaProviderStatus,
  ensureVulkanIcd,
  isSoftwareVulkan,
  webgpuBundled,
} from './execution-providers.js';
export { NODE_DEVICES } from './options.js';
