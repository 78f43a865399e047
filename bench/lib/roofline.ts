/**
 * The machine's limit for the bench rows: a measured peak GEMM rate (onnxruntime-node's CPU EP on one
 * large MatMul, the kernel every row's time is mostly spent in) and the FLOPs each row must do, so a
 * row reports the fraction of that peak it reaches.
 */
import { validateModelSpec, type ModelSpec } from '@vae/core';
import { GraphBuilder } from '@vae/onnx';
import * as ort from 'onnxruntime-node';

/** Peak of one thread count: the best of the MatMul sizes tried. */
export interface GemmPeak {
  readonly threads: number;
  readonly gflops: number;
  /** The [n, n] × [n, n] size that reached it. */
  readonly size: number;
  /** GFLOP/s of every size tried. */
  readonly bySize: Readonly<Record<string, number>>;
}

async function matmulRate(n: number, threads: number, seconds: number): Promise<number> {
  const g = new GraphBuilder('gemm-peak');
  g.input('a', [n, n]);
  g.input('b', [n, n]);
  g.output(g.op('MatMul', ['a', 'b'], {}, 'c'), [n, n]);
  const session = await ort.InferenceSession.create(g.toBytes(), {
    executionProviders: ['cpu'],
    intraOpNumThreads: threads,
    interOpNumThreads: 1,
    graphOptimizationLevel: 'all',
    logSeverityLevel: 3,
  });
  try {
    const fill = () => Float32Array.from({ length: n * n }, (_, i) => ((i * 7919) % 1000) / 1000 - 0.5);
    const feeds = { a: new ort.Tensor('float32', fill(), [n, n]), b: new ort.Tensor('float32', fill(), [n, n]) };
    for (let i = 0; i < 3; i++) await session.run(feeds);
    // Best single run over `seconds`: the peak is what the machine can do, not its average under load.
    let best = Infinity;
    const end = performance.now() + seconds * 1000;
    while (performance.now() < end) {
      const t0 = performance.now();
      await session.run(feeds);
      best = Math.min(best, performance.now() - t0);
    }
    return (2 * n ** 3) / (best / 1000) / 1e9;
  } finally {
    await session.release();
  }
}

/** Measured peak single-precision GEMM GFLOP/s at `threads` intra-op threads (best of a few square sizes). */
export async function measureGemmPeak(threads: number, seconds = 1): Promise<GemmPeak> {
  const bySize: Record<string, number> = {};
  for (const n of [512, 1024, 2048]) bySize[n] = await matmulRate(n, threads, seconds);
  const [size, gflops] = Object.entries(bySize).reduce((a, b) => (b[1] > a[1] ? b : a));
  return { threads, gflops, size: Number(size), bySize };
}

/**
 * Multiply-accumulates per example of the encoder (heads included) and of the decoder of `spec`, and
 * of its first layer that has any (whose input gradient training does not compute).
 */
export function forwardMacs(spec: ModelSpec): { encoder: number; decoder: number; firstLayer: number } {
  const layout = validateModelSpec(spec);
  const macs = (shapes: typeof layout.encoder): number[] =>
    shapes.map(({ layer, inputShape, outputShape }) => {
      const size = (s: readonly number[]) => s.reduce((a, b) => a * b, 1);
      switch (layer.type) {
        case 'dense':
          return size(inputShape) * layer.units;
        case 'conv2d':
          // kernel [k, k, inC, outC] at every output position
          return layer.kernelSize ** 2 * inputShape[2]! * size(outputShape);
        case 'conv2d-transpose':
          // kernel [k, k, inC, outC] at every input position
          return layer.kernelSize ** 2 * outputShape[2]! * size(inputShape);
        default:
          return 0; // reshape, flatten, batch-norm: no multiply-accumulates worth counting
      }
    });
  const encoder = [...macs(layout.encoder), ...macs(layout.heads)];
  const sum = (v: number[]) => v.reduce((a, b) => a + b, 0);
  return { encoder: sum(encoder), decoder: sum(macs(layout.decoder)), firstLayer: encoder.find((v) => v > 0) ?? 0 };
}

/**
 * FLOPs of one training epoch: per training example the forward pass and the backward pass (each
 * layer's input gradient and weight gradient, each as many MACs as its forward, except the first
 * layer's input gradient, which is not computed), plus one forward pass per validation example.
 * Element-wise work is left out (it is not what the peak measures).
 */
export function trainEpochFlops(spec: ModelSpec, trainImages: number, valImages: number): number {
  const m = forwardMacs(spec);
  const forward = m.encoder + m.decoder;
  return 2 * (trainImages * (3 * forward - m.firstLayer) + valImages * forward);
}

/** FLOPs of an importance-sampled evaluation: one encoder pass per image, K decoder passes per image. */
export function isNllFlops(spec: ModelSpec, images: number, samples: number): number {
  const m = forwardMacs(spec);
  return 2 * images * (m.encoder + samples * m.decoder);
}

/** FLOPs of one encoder pass over `images`. */
export function encoderFlops(spec: ModelSpec, images: number): number {
  return 2 * images * forwardMacs(spec).encoder;
}
