import { getLogger } from '@vae/core';
import {
  DirectSession,
  directAddon,
  directBindingStatus,
  directBindingSummary,
  type OrtNodeBinding,
} from '@vae/device-node';
import type { InferenceSession } from 'onnxruntime-node';
import type { ArrayAdamKernel } from './adam-arena.js';
import type { OrtModule, OrtRunSession } from './ort-platform.js';

/**
 * The ort engine on `@vae/device-node`'s direct onnxruntime binding: CPU training sessions that write
 * the gradients straight into the Adam arena, synchronously on the worker thread (no output copies,
 * no event-loop turn per run; docs/BENCHMARKS.md, "Training pipeline", has the figures), and the
 * binding's Adam kernel.
 */

const log = getLogger('train:ort');

/**
 * An onnxruntime module whose sessions are direct where `binding` allows: `auto` opens a direct session
 * when the native module loads and the options are CPU-only, else onnxruntime-node's (saying why at
 * debug level); `direct` throws instead of falling back.
 */
export function directOrtModule(node: OrtModule, binding: Exclude<OrtNodeBinding, 'onnxruntime-node'>): OrtModule {
  return Object.freeze({
    Tensor: node.Tensor,
    InferenceSession: {
      async create(model: Uint8Array, options?: InferenceSession.SessionOptions): Promise<OrtRunSession> {
        const direct = DirectSession.tryOpen(model, options ?? {}, node.Tensor, binding);
        if (typeof direct !== 'string') return direct;
        log.debug(`onnxruntime-node session: ${direct}`);
        return node.InferenceSession.create(model, options);
      },
    },
  });
}

/** The native module's Adam kernel (AdamArena's update in AVX-512/AVX2 where the CPU has it), or null when unavailable. */
export function directAdamKernel(): ArrayAdamKernel | null {
  return directAddon()?.adam ?? null;
}

/** One line for the engine's log: how the runner's training session calls onnxruntime, and why. */
export function bindingSummary(used: 'direct' | 'module', requested: OrtNodeBinding, device: string): string {
  const available = directBindingStatus().available;
  if (used === 'direct' && available) return directBindingSummary();
  if (requested === 'onnxruntime-node') return 'onnxruntime-node (binding: onnxruntime-node asked)';
  if (device !== 'cpu') return `onnxruntime-node (direct sessions are CPU only; device ${device})`;
  return available
    ? 'onnxruntime-node (direct binding unavailable: the session options need onnxruntime-node)'
    : directBindingSummary();
}
