import { setImmediate } from 'node:timers';
import { OrtSession, getLogger, type BackendSession, type OrtInferenceSessionLike } from '@vae/core';
import { DirectSession, directBindingSummary, requestedOrtNodeBinding, type OrtNodeBinding } from '@vae/device-node';
import * as ort from 'onnxruntime-node';

const log = getLogger('runtime-node');

/**
 * CPU inference sessions on onnxruntime's C API, called directly (`@vae/device-node`'s binding):
 * no output copy inside onnxruntime-node and no event-loop turn before every run (a batch-1 MNIST
 * encode 29–33 µs instead of 45–50). `VAE_ORT_BINDING` chooses, as for training: `auto` (default) uses
 * them on Node where the native module loads and the graph is float32-only, else onnxruntime-node;
 * `direct` fails instead of falling back; `onnxruntime-node` never uses them. Deno and Bun stay on
 * onnxruntime-node under `auto`.
 */

/** A direct session's run is synchronous: after this many ms of runs without a turn, the next run yields one. */
const YIELD_AFTER_MS = 10;
let busyMs = 0;
let turnScheduled = false;

function turned(): void {
  busyMs = 0;
  turnScheduled = false;
}

/**
 * `session` whose runs leave the event loop a turn at least every {@link YIELD_AFTER_MS} ms (timers,
 * I/O and signal handlers keep running during a long chain of runs, as onnxruntime-node's own
 * per-run `setImmediate` allowed), without paying for a turn per run.
 */
function sharingEventLoop(session: DirectSession): OrtInferenceSessionLike {
  return Object.freeze({
    inputNames: session.inputNames,
    outputNames: session.outputNames,
    inputMetadata: session.inputMetadata,
    outputMetadata: session.outputMetadata,
    async run(feeds: Record<string, ort.Tensor>) {
      if (busyMs >= YIELD_AFTER_MS) await new Promise((resolve) => setImmediate(resolve));
      if (!turnScheduled) {
        turnScheduled = true;
        setImmediate(turned);
      }
      const t0 = performance.now();
      try {
        return await session.run(feeds);
      } finally {
        busyMs += performance.now() - t0;
      }
    },
    release: () => session.release(),
  } as OrtInferenceSessionLike);
}

/** Whether this host is Node itself (not Deno or Bun, which also run this package). */
function onNode(): boolean {
  return !('Deno' in globalThis) && !('Bun' in globalThis);
}

/**
 * What CPU sessions of this runtime call for float32 graphs with default options, in words: `onnxruntime
 * 1.30.0 C API, called directly`, or `onnxruntime-node (…why)`.
 */
export function cpuBindingSummary(binding: OrtNodeBinding = requestedOrtNodeBinding()): string {
  if (binding === 'onnxruntime-node') return 'onnxruntime-node (VAE_ORT_BINDING=onnxruntime-node)';
  if (binding === 'auto' && !onNode()) return 'onnxruntime-node (direct sessions on Node only)';
  return directBindingSummary();
}

/**
 * A direct CPU session for `model` with `options` (onnxruntime-node's session options), or null where
 * the binding is not to be used or cannot open it under `auto` (the reason logged at debug level).
 */
export function openDirectSession(
  model: Uint8Array,
  options: ort.InferenceSession.SessionOptions,
  binding: OrtNodeBinding = requestedOrtNodeBinding(),
): BackendSession | null {
  if (binding === 'onnxruntime-node' || (binding === 'auto' && !onNode())) return null;
  const session = DirectSession.tryOpen(model, options, ort.Tensor, binding);
  if (typeof session === 'string') {
    log.debug(`cpu session on onnxruntime-node: ${session}`);
    return null;
  }
  log.debug(`cpu session on ${directBindingSummary()}`);
  return new OrtSession(
    sharingEventLoop(session),
    (data, dims) => new ort.Tensor('float32', data, dims as number[]),
    'cpu',
  );
}
