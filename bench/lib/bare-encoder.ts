import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { Tensor } from '@vae/core';
import { DirectSession } from '@vae/device-node';
import * as ort from 'onnxruntime-node';

/** A model directory's `encoder.onnx` on a bare onnxruntime session: the baseline encoder benches compare with. */
export interface BareEncoder {
  /** One `run` on `x` `[batch, D]` (input `x`). */
  run(x: Tensor): Promise<unknown>;
  release(): Promise<void>;
}

/**
 * Opens `dir/encoder.onnx` on the CPU EP with `threads` intra-op threads (1 inter-op), all graph
 * optimisations: through onnxruntime-node's `InferenceSession` (what a Node user writes; default), or
 * `direct`: the same library through `@vae/device-node`'s C API binding (what the API runs on).
 */
export async function bareEncoder(
  dir: string,
  threads = 1,
  binding: 'onnxruntime-node' | 'direct' = 'onnxruntime-node',
): Promise<BareEncoder> {
  const options = {
    executionProviders: ['cpu'],
    graphOptimizationLevel: 'all',
    intraOpNumThreads: threads,
    interOpNumThreads: 1,
    logSeverityLevel: 3,
  } as const;
  const file = join(dir, 'encoder.onnx');
  const session: { run(feeds: ort.InferenceSession.FeedsType): Promise<unknown>; release(): Promise<void> } =
    binding === 'direct'
      ? DirectSession.open(new Uint8Array(await readFile(file)), options, ort.Tensor)
      : await ort.InferenceSession.create(file, options);
  return {
    run: (x) => session.run({ x: new ort.Tensor('float32', x.data, x.shape) }),
    release: () => session.release(),
  };
}
