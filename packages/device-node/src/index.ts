export {
  CHROMIUM_LIB_DIR,
  SWIFTSHADER_ICD,
  VULKAN_DRIVER_HINT,
  VULKAN_LOADER,
  chromiumVulkanLoader,
  ensureVulkanIcd,
  findVulkanLoader,
  isSoftwareVulkan,
  preloadVulkanLoader,
  vulkanLoaderHint,
} from './vulkan.js';
export { installDawnWebGpu, probeDawnWebGpu, type DawnOptions, type DawnSetup } from './dawn.js';
export {
  CUDA_INSTALL_HINT,
  cudaProviderStatus,
  disableTf32,
  onnxruntimeNodeBinDir,
  ortExecutionProviders,
  prepareOrtDevice,
  type OrtNodeDevice,
  type OrtProviderConfig,
} from './execution-providers.js';
export {
  directAddon,
  directAddonPath,
  directBindingStatus,
  type DirectAddon,
  type DirectBindingStatus,
  type DirectOptions,
  type DirectValueInfo,
} from './ort-direct.js';
export {
  DirectSession,
  ORT_NODE_BINDINGS,
  directBindingSummary,
  directOptions,
  parseOrtNodeBinding,
  requestedOrtNodeBinding,
  type OrtNodeBinding,
} from './ort-direct-session.js';
