export { onnxruntimeNodeBackend } from './onnxruntime-node-backend.js';
export { nodeFileSource } from './node-file-source.js';
export { registerNodeBackend, loadDecoder, loadModel } from './load-model.js';
export { webgpuBundled } from './execution-providers.js';
export { NODE_BACKEND_PRIORITY, NODE_DEVICES, NODE_RUNTIME_INFO } from './options.js';
export { cpuBindingSummary } from './direct-sessions.js';
