export { onnxruntimeNodeBackend } from './onnxruntime-node-backend.js';
export { NodeSession } from './node-session.js';
export { nodeFileSource } from './node-file-source.js';
export { registerNodeBackend, loadModel, NODE_BACKEND_PRIORITY } from './load-model.js';
export { webgpuBundled } from './execution-providers.js';
export { NODE_DEVICES } from './options.js';
