import { Rng, VaeModel, samplePrior } from '@vae/core';
import { nodeFileSource, onnxruntimeNodeBackend } from '@vae/runtime-node';
import { latencyStats, openChromiumSession, type LatencyStats } from '@vae/parity';
import { benchModel } from './bench-model.js';

/** Options of {@link browserLatencyBenchmark}. */
export interface BrowserLatencyOptions {
  readonly modelDir: string;
  readonly batches: readonly number[];
  readonly reps: number;
  readonly warmup: number;
}

/** One measured configuration. */
export interface LatencyRow {
  readonly runtime: string;
  readonly batch: number;
  readonly stats: LatencyStats;
}

/** Result of {@link browserLatencyBenchmark}. */
export interface BrowserLatencyResult {
  readonly benchmark: 'browser';
  readonly model: string;
  readonly browser: string;
  readonly method: string;
  readonly results: readonly (LatencyRow & { readonly adapter: string })[];
  readonly failures: readonly { readonly runtime: string; readonly reason: string }[];
  /** onnxruntime-node cpu in Node on the same batches, measured in the same run. */
  readonly baseline: readonly LatencyRow[];
}

/**
 * Decoder latency in real Chromium (onnxruntime-web wasm and WebGPU, through `VaeModel` in the
 * parity page; timed in the page with `performance.now()`), with onnxruntime-node's CPU EP in Node
 * on the same batches as the baseline.
 */
export async function browserLatencyBenchmark(o: BrowserLatencyOptions): Promise<BrowserLatencyResult> {
  const { dir, label } = await benchModel(o.modelDir);
  const results: (LatencyRow & { adapter: string })[] = [];
  const failures: { runtime: string; reason: string }[] = [];
  let browser = 'unknown';
  for (const device of ['wasm', 'webgpu'] as const) {
    const runtime = `chromium-${device}`;
    let s: Awaited<ReturnType<typeof openChromiumSession>>;
    try {
      s = await openChromiumSession(dir, device);
    } catch (err) {
      failures.push({ runtime, reason: err instanceof Error ? err.message : String(err) });
      continue;
    }
    try {
      browser = s.info.browser;
      for (const batch of o.batches)
        results.push({
          runtime,
          batch,
          adapter: s.info.adapter,
          stats: await s.call('benchmarkDecode', batch, o.reps, o.warmup, 0),
        });
    } finally {
      await s.close();
    }
  }
  const baseline: LatencyRow[] = [];
  const model = await VaeModel.load(nodeFileSource(dir), { device: 'cpu', backends: [onnxruntimeNodeBackend] });
  try {
    for (const batch of o.batches) {
      const z = samplePrior(new Rng(0), batch, model.latentDim);
      for (let i = 0; i < o.warmup; i++) await model.decode(z);
      const times: number[] = [];
      for (let i = 0; i < o.reps; i++) {
        const t0 = performance.now();
        await model.decode(z);
        times.push(performance.now() - t0);
      }
      baseline.push({ runtime: 'onnxruntime-node cpu (Node)', batch, stats: latencyStats(times) });
    }
  } finally {
    await model.release();
  }
  return {
    benchmark: 'browser',
    model: label,
    browser,
    method: `VaeModel.decode on prior draws, ${o.warmup} warm-up + ${o.reps} timed calls per batch size, timed inside the page (performance.now())`,
    results,
    failures,
    baseline,
  };
}
