import type { SearchProvider } from './search-route.js';
import type { VaeModel } from '@vae/core';
import type { BatchingOptions } from './model-endpoints.js';

/** Limits of the evaluation routes (`/api/elbo`, `/api/log-likelihood`). */
export interface EvaluationLimits {
  /** Evaluation requests running at once. */
  readonly maxConcurrent: number;
  /** Evaluation requests waiting for a slot; more get 503 on arrival. */
  readonly maxQueued: number;
  /** Work budget of one request: rows × samples (decoded rows); more get 400. */
  readonly maxWorkRows: number;
  /**
   * Rows decoded at once (rows × chunkSize): bounds the memory of one request; larger chunkSize gets
   * 400. A large decoder gets fewer: core's `rowsPerRunFor(spec)` when that is smaller.
   */
  readonly maxChunkRows: number;
}

/** Defaults of {@link VaeServerOptions}. */
export const SERVER_DEFAULTS = Object.freeze({
  /** Dynamic batching on, Triton-style knobs. */
  batching: Object.freeze({
    enabled: true,
    maxBatchSize: 256,
    maxQueueDelayMs: 2,
    maxQueueSize: 2048,
  }) as BatchingOptions,
  /** Largest accepted request body (bytes); larger bodies get 413. 16 MiB ≈ 1000 rows of 784 numbers. */
  bodyLimit: 16 * 1024 * 1024,
  /** Most rows in one request. */
  maxRowsPerRequest: 1024,
  /** Most importance samples K per example for the log-likelihood route. */
  maxSamples: 5000,
  /** Most images per sample request. */
  maxSampleImages: 1024,
  /**
   * Evaluation routes: one at a time, 4 waiting; 131,072 decoded rows per request (e.g. 26 rows at
   * K = 5000); 1024 rows decoded at once (≈ 6 MB of decoder output for 28×28 images; fewer for a
   * decoder beyond core's run budget).
   */
  evaluation: Object.freeze({
    maxConcurrent: 1,
    maxQueued: 4,
    maxWorkRows: 131_072,
    maxChunkRows: 1024,
  }) as EvaluationLimits,
  /** Most POST requests admitted at once; more get 503 + Retry-After before their body is read. */
  maxInFlight: 2048,
  /** Most request-body bytes admitted at once (by Content-Length). */
  maxInFlightBytes: 256 * 1024 * 1024,
  /** Longest time an evaluation request may wait and run (503 while waiting, 504 while running). */
  requestTimeoutMs: 30_000,
  /** Longest time a client may take to send the request headers. */
  headersTimeoutMs: 10_000,
  /** Longest time a client may take to send the whole request (headers and body). */
  receiveTimeoutMs: 30_000,
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
  readonly evaluation?: Partial<EvaluationLimits>;
  readonly maxInFlight?: number;
  readonly maxInFlightBytes?: number;
  readonly requestTimeoutMs?: number;
  readonly headersTimeoutMs?: number;
  readonly receiveTimeoutMs?: number;
  /**
   * `Host` names accepted (any port; `*` for all). Default: `localhost`, `127.0.0.1`, `[::1]` when
   * listening on a loopback address (DNS-rebinding protection), any host otherwise.
   */
  readonly allowedHosts?: readonly string[];
  /** Require `Authorization: Bearer <token>` on every route but `/v2/health/*`. */
  readonly authToken?: string;
  /** CORS: the origin allowed (`*` for any); default none (no CORS headers). */
  readonly cors?: string;
  /** Release the model on close (default: true for a factory, false for a model passed in). */
  readonly ownsModel?: boolean;
  /** Similarity search behind `POST /api/search` (e.g. a LanceDB table, wired by the CLI); default none (404). */
  readonly search?: SearchProvider;
  /** Also export Node process metrics (default true). */
  readonly defaultMetrics?: boolean;
}
