import type { VaeModel } from '@vae/core';
import type { BatchingOptions } from './model-endpoints.js';

/** Defaults of {@link VaeServerOptions}. */
export const SERVER_DEFAULTS = Object.freeze({
  /** Dynamic batching on, Triton-style knobs. */
  batching: Object.freeze({ enabled: true, maxBatchSize: 256, maxQueueDelayMs: 2, maxQueueSize: 2048 }) as BatchingOptions,
  /** Largest accepted request body (bytes); larger bodies get 413. 16 MiB ≈ 1000 rows of 784 numbers. */
  bodyLimit: 16 * 1024 * 1024,
  /** Most rows in one request. */
  maxRowsPerRequest: 1024,
  /** Most importance samples K per example for the log-likelihood route. */
  maxSamples: 5000,
  /** Most images per sample request. */
  maxSampleImages: 1024,
});

/** Options of {@link createVaeServer}. */
export interface VaeServerOptions {
  /** A loaded model, or a factory the server calls at start (it is "not ready" until it resolves). */
  readonly model: VaeModel | (() => Promise<VaeModel>);
  /** Model name prefix (`<name>-encoder`, `<name>-decoder`); default the manifest's name (required with a factory). */
  readonly name?: string;
  readonly batching?: Partial<BatchingOptions>;
  readonly bodyLimit?: number;
  readonly maxRowsPerRequest?: number;
  readonly maxSamples?: number;
  /** Release the model on close (default: true for a factory, false for a model passed in). */
  readonly ownsModel?: boolean;
  /** Also export Node process metrics (default true). */
  readonly defaultMetrics?: boolean;
}
