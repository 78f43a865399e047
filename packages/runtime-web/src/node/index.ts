export { setupNodeWebGpu, useBaselineWasmCompiler } from './dawn-setup.js';
export {
  configureNodeWebRuntime,
  createNodeWebBackend,
  loadOrtWebForNode,
  nodeWebBackend,
  registerNodeWebBackend,
  type NodeWebBackendOptions,
} from './node-web-backend.js';
export { WEB_BACKEND_PRIORITY } from '../backend-priority.js';
export { WEB_BACKEND_NAME, WEB_DEVICES, createWebBackend } from '../web-backend.js';
export { WebSession } from '../web-session.js';
export { CHROMIUM_ARGS, CHROMIUM_PATH } from './chromium.js';
