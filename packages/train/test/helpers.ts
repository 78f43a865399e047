import { createModelSpec, type ModelSpec, type ModelSpecOptions, type Tensor } from '@vae/core';

/** A tiny spec on 4×4 single-channel images, fast enough for unit tests. */
export function tinySpec(options: ModelSpecOptions = {}): ModelSpec {
  return createModelSpec({ imageShape: [4, 4, 1], hidden: [5], latentDim: 3, numClasses: 3, ...options });
}

/** Deterministic pseudo-random values in [lo, hi) from a simple LCG (test data only). */
export function values(n: number, seed: number, lo = 0, hi = 1): Float32Array {
  const out = new Float32Array(n);
  let s = seed >>> 0;
  for (let i = 0; i < n; i++) {
    s = (Math.imul(s, 1664525) + 1013904223) >>> 0;
    out[i] = lo + ((hi - lo) * s) / 4294967296;
  }
  return out;
}

/** A core tensor. */
export function t(data: Float32Array | number[], shape: number[]): Tensor {
  return { data: data instanceof Float32Array ? data : Float32Array.from(data), shape };
}

/** Max |a − b| over two equally long arrays. */
export function maxAbsDiff(a: ArrayLike<number>, b: ArrayLike<number>): number {
  if (a.length !== b.length) throw new Error(`length ${a.length} vs ${b.length}`);
  let m = 0;
  for (let i = 0; i < a.length; i++) m = Math.max(m, Math.abs(a[i]! - b[i]!));
  return m;
}
