import { describe, expect, it } from 'vitest';
import {
  DEFAULT_WASM_THREADS,
  MAX_DEFAULT_TRAINING_THREADS,
  SMALL_MODEL_BYTES,
  defaultInferenceThreads,
  defaultTrainingThreads,
  describeAdapter,
  probeWebGpu,
} from '../src/index.js';

describe('thread defaults', () => {
  it('inference: one intra-op thread for small graphs, the ORT default for large ones; WASM: one', () => {
    expect(defaultInferenceThreads(1_300_000)).toBe(1);
    expect(defaultInferenceThreads(SMALL_MODEL_BYTES)).toBe(1);
    expect(defaultInferenceThreads(SMALL_MODEL_BYTES + 1)).toBeUndefined();
    expect(DEFAULT_WASM_THREADS).toBe(1);
  });

  it('inference of a batch workload (the scorer): the training default of the machine, whatever the size', () => {
    expect(defaultInferenceThreads(1_300_000, 'latency', 2)).toBe(1);
    expect(defaultInferenceThreads(1_300_000, 'batch', 2)).toBe(2);
    expect(defaultInferenceThreads(SMALL_MODEL_BYTES + 1, 'batch', 64)).toBe(MAX_DEFAULT_TRAINING_THREADS);
  });

  it('training: the machine parallelism, capped, and a clear error for a bad count', () => {
    expect(defaultTrainingThreads(1)).toBe(1);
    expect(defaultTrainingThreads(2)).toBe(2);
    expect(defaultTrainingThreads(64)).toBe(MAX_DEFAULT_TRAINING_THREADS);
    expect(() => defaultTrainingThreads(0)).toThrow(/parallelism: expected an integer ≥ 1, got 0/);
  });
});

describe('WebGPU probe result', () => {
  it('describes adapters and flags software rasterizers and fallback adapters', () => {
    expect(describeAdapter({ vendor: 'google', architecture: 'swiftshader', description: '' })).toEqual({
      available: true,
      adapter: 'google / swiftshader',
      software: true,
    });
    expect(describeAdapter({ vendor: 'nvidia', architecture: 'ampere' })).toEqual({
      available: true,
      adapter: 'nvidia / ampere',
      software: false,
    });
    expect(describeAdapter({ vendor: 'nvidia', isFallbackAdapter: true }).software).toBe(true);
    expect(describeAdapter({}, true)).toEqual({ available: true, adapter: 'unknown adapter', software: true });
  });

  it('says why when this realm has no navigator.gpu', async () => {
    const probe = await probeWebGpu();
    expect(probe.available).toBe(false);
    if (!probe.available) expect(probe.reason).toMatch(/navigator\.gpu is undefined/);
  });
});
