export { setupNodeWebGpu, useBaselineWasmCompiler } from './dawn-setup.js';
export {
  configureNodeWebRuntime,
  createNodeWebBackend,
  loadOrtWebForNode,
  nodeWebBackend,
  registerNodeWebBackend,
  type NodeWebBackendOptions,
} from './node-web-backend.js';
export { WEB_BACKEND_NAME, WEB_BACKEND_PRIORITY, WEB_DEVICES, WEB_RUNTIME_INFO } from '../runtime-info.js';
export { createWebBackend } from '../web-backend.js';
export { CHROMIUM_ARGS, CHROMIUM_ENV, CHROMIUM_PATH, chromiumPath } from './chromium.js';
