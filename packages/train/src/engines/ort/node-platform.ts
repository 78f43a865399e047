import * as ort from 'onnxruntime-node';
import {
  ORT_AUTO_ORDER,
  ortDeviceSkipReason,
  ortSessionOptions,
  parseOrtDevice,
  type OrtTrainDevice,
} from './ort-devices.js';
import type { OrtPlatform } from './ort-platform.js';
import { freesCopiesAtOnce, releaseCopy } from './output-copies.js';
import type { OrtWorkerMethods } from './ort-protocol.js';
import { OrtStepRunner, type OrtRunnerInit } from './ort-step-runner.js';
import { directBindingStatus, type OrtNodeBinding } from '@vae/device-node';
import { bindingSummary, directAdamKernel, directOrtModule } from './direct-binding.js';

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

/**
 * The ort engine's platform for `binding`: `onnxruntime-node` is {@link NODE_ORT_PLATFORM}; `auto`
 * (the engine's default) and `direct` open CPU sessions on onnxruntime's C API directly
 * (`direct-binding.ts`: no output copies, no event-loop turn per run), `auto` falling back to
 * onnxruntime-node where that is unavailable.
 */
export function nodeOrtPlatform(binding: OrtNodeBinding): OrtPlatform<OrtTrainDevice> {
  if (binding === 'onnxruntime-node') return NODE_ORT_PLATFORM;
  const status = directBindingStatus();
  if (!status.available && binding === 'direct')
    throw new Error(`binding: direct asked, but the direct onnxruntime binding is unavailable: ${status.reason}`);
  const kernel = directAdamKernel();
  return Object.freeze({
    ...NODE_ORT_PLATFORM,
    ort: directOrtModule(ort, binding),
    ...(kernel ? { adamKernel: kernel } : {}),
  });
}

/**
 * Opens a step runner on this thread (the engine's worker, or inline) for `binding`, with the
 * description the engine logs (its init result).
 */
export async function openNodeRunner(
  init: OrtRunnerInit<OrtTrainDevice>,
  binding: OrtNodeBinding,
): Promise<{ runner: OrtStepRunner<OrtTrainDevice>; info: OrtWorkerMethods['init']['result'] }> {
  const runner = await OrtStepRunner.create(init, nodeOrtPlatform(binding));
  const { device, fallbacks } = runner;
  return {
    runner,
    info: {
      device,
      fallbacks,
      nodes: runner.graphInfo().nodes,
      freesOutputCopies: freesCopiesAtOnce(),
      binding: bindingSummary(runner.binding, binding, device),
    },
  };
}
