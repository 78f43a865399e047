import * as ort from 'onnxruntime-node';
import {
  ORT_AUTO_ORDER,
  ortDeviceSkipReason,
  ortSessionOptions,
  parseOrtDevice,
  type OrtTrainDevice,
} from './ort-devices.js';
import type { OrtPlatform } from './ort-platform.js';
import { releaseCopy } from './output-copies.js';

/**
 * The ort engine's platform: onnxruntime-node, which writes gradients straight into the Adam arena
 * (and returns copies of them, freed at once).
 * In its own module so that `ort-devices.ts` (imported by `@vae/train/options`, e.g. for `vae --help`)
 * never loads onnxruntime-node.
 */
export const NODE_ORT_PLATFORM: OrtPlatform<OrtTrainDevice> = Object.freeze({
  ort,
  autoOrder: ORT_AUTO_ORDER,
  parseDevice: parseOrtDevice,
  skipReason: ortDeviceSkipReason,
  sessionOptions: ortSessionOptions,
  writesPreallocatedOutputs: true,
  releaseFetchedCopy: releaseCopy,
});
