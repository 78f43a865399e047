import type { DeviceRequest } from '@vae/core';

/** A tensor as it crosses the Node ↔ page boundary (JSON-serializable; float32 values are exact as doubles). */
export interface WireTensor {
  readonly data: number[];
  readonly shape: number[];
}

/** What the page loaded. */
export interface PageInfo {
  readonly device: string;
  readonly backend: string;
  /** e.g. `HeadlessChrome/131.0.6778.204`. */
  readonly browser: string;
  /** WebGPU adapter description (empty for wasm). */
  readonly adapter: string;
}

/** `window.__vaeParity` of the Chromium parity page: `VaeModel` calls on plain arrays. */
export interface PageApi {
  load(device: DeviceRequest): Promise<PageInfo>;
  encode(x: WireTensor, y: WireTensor | null): Promise<{ mu: WireTensor; logvar: WireTensor } | { z: WireTensor }>;
  decode(z: WireTensor, y: WireTensor | null): Promise<{ logits: WireTensor; mean: WireTensor }>;
  elbo(x: WireTensor, seed: number, y: WireTensor | null): Promise<number[]>;
  logLikelihood(
    x: WireTensor,
    samples: number,
    seed: number,
    chunkSize: number | undefined,
    y: WireTensor | null,
  ): Promise<number[]>;
  /** Decoder latency in the page: `reps` timed `decode` calls on `batch` prior draws after `warmup` untimed ones. */
  benchmarkDecode(batch: number, reps: number, warmup: number, seed: number): Promise<LatencyStats>;
  release(): Promise<void>;
}

/** Latency statistics of repeated calls, milliseconds. */
export interface LatencyStats {
  readonly reps: number;
  readonly medianMs: number;
  readonly meanMs: number;
  readonly minMs: number;
  readonly maxMs: number;
}

/** {@link LatencyStats} of `times` (milliseconds). */
export function latencyStats(times: readonly number[]): LatencyStats {
  const s = [...times].sort((a, b) => a - b);
  const m = s.length >> 1;
  const median = s.length === 0 ? Number.NaN : s.length % 2 === 1 ? s[m]! : (s[m - 1]! + s[m]!) / 2;
  return {
    reps: s.length,
    medianMs: median,
    meanMs: s.reduce((a, b) => a + b, 0) / Math.max(1, s.length),
    minMs: s[0] ?? Number.NaN,
    maxMs: s[s.length - 1] ?? Number.NaN,
  };
}
