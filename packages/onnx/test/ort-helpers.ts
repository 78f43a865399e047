import * as ort from 'onnxruntime-node';
import type { Tensor } from '@vae/core';

/** Runs an ONNX model once on onnxruntime-node's CPU EP; feeds and results are core tensors. */
export async function runOrt(model: Uint8Array, feeds: Record<string, Tensor>): Promise<Record<string, Tensor>> {
  const session = await ort.InferenceSession.create(model, {
    executionProviders: ['cpu'],
    intraOpNumThreads: 1,
    graphOptimizationLevel: 'all',
  });
  try {
    const ortFeeds: Record<string, ort.Tensor> = {};
    for (const [k, v] of Object.entries(feeds)) ortFeeds[k] = new ort.Tensor('float32', v.data, [...v.shape]);
    const out = await session.run(ortFeeds);
    const result: Record<string, Tensor> = {};
    for (const [k, v] of Object.entries(out)) result[k] = { data: v.data as Float32Array, shape: [...v.dims] };
    return result;
  } finally {
    await session.release();
  }
}

/** Max |a − b| over all elements; throws on a length mismatch. */
export function maxAbsDiff(a: ArrayLike<number>, b: ArrayLike<number>): number {
  if (a.length !== b.length) throw new Error(`length ${a.length} != ${b.length}`);
  let m = 0;
  for (let i = 0; i < a.length; i++) m = Math.max(m, Math.abs(a[i]! - b[i]!));
  return m;
}
