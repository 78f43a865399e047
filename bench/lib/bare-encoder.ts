import { join } from 'node:path';
import type { Tensor } from '@vae/core';
import * as ort from 'onnxruntime-node';

/** A model directory's `encoder.onnx` on a bare onnxruntime-node session: the baseline encoder benches compare with. */
export interface BareEncoder {
  /** One `InferenceSession.run` on `x` `[batch, D]` (input `x`). */
  run(x: Tensor): Promise<unknown>;
  release(): Promise<void>;
}

/** Opens `dir/encoder.onnx` on the CPU EP with `threads` intra-op threads (1 inter-op), all graph optimisations. */
export async function bareEncoder(dir: string, threads = 1): Promise<BareEncoder> {
  const session = await ort.InferenceSession.create(join(dir, 'encoder.onnx'), {
    executionProviders: ['cpu'],
    graphOptimizationLevel: 'all',
    intraOpNumThreads: threads,
    interOpNumThreads: 1,
    logSeverityLevel: 3,
  });
  return {
    run: (x) => session.run({ x: new ort.Tensor('float32', x.data, x.shape) }),
    release: () => session.release(),
  };
}
