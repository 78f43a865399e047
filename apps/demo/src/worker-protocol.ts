import type { DeviceRequest } from '@vae/core';
import type { SiteManifest } from './site-types.js';

/** A row-major float32 matrix as it crosses the worker boundary. */
export interface Rows {
  readonly data: Float32Array;
  readonly shape: readonly number[];
}

/** What the worker loaded (the page's status line, the details panel and the tests read it). */
export interface WorkerModelInfo {
  readonly model: string;
  readonly kind: string;
  readonly precision: string;
  readonly latentDim: number;
  readonly numClasses: number;
  readonly imageShape: readonly [number, number, number];
  /** `x = pixel · scale`. */
  readonly scale: number;
  readonly requested: DeviceRequest;
  readonly device: string;
  readonly backend: string;
  readonly fallbacks: readonly { readonly device: string; readonly reason: string }[];
  /** The golden check on this device, one line (core's `formatVerification`). */
  readonly verification: string;
  readonly loadMs: number;
  /** Files this load read: bytes, and whether they came from the Cache API or the network. */
  readonly files: readonly FileLoad[];
  /** True: the model runs in a dedicated worker (`WorkerGlobalScope`). */
  readonly inWorker: boolean;
  /** Whether the Cache API was usable (it needs a secure context: https or localhost). */
  readonly cacheApi: boolean;
}

/** One file read during a load. */
export interface FileLoad {
  readonly path: string;
  readonly bytes: number;
  readonly source: 'cache' | 'network' | 'indexeddb';
}

/** Operations the worker runs; `args` and `result` per operation. */
export interface WorkerOps {
  load: { args: { site: SiteManifest; model: string; device: DeviceRequest }; result: WorkerModelInfo };
  sample: { args: { n: number; seed: number; temperature: number; y?: Rows }; result: Rows };
  decode: { args: { z: Rows; y?: Rows }; result: { logits: Rows; mean: Rows } };
  embed: { args: { x: Rows; y?: Rows }; result: Rows };
  reconstruct: { args: { x: Rows; y?: Rows }; result: Rows };
  interpolate: { args: { a: Rows; b: Rows; steps: number; spherical: boolean; y?: Rows }; result: Rows };
  /** Encodes the site's map sample: codes `[n, L]` and labels. */
  /** Codes of the map sample (fitted to the model's shape when it differs: `fitted` says how, else null). */
  mapCodes: { args: { site: SiteManifest }; result: { codes: Rows; labels: number[]; fitted: string | null } };
  benchmark: {
    args: { batch: number; reps: number; warmup: number; seed: number };
    result: { times: number[] };
  };
}
/** An operation name. */
export type WorkerOp = keyof WorkerOps;

/** Main → worker: run `op` on the model loaded for `device`. */
export interface WorkerRequest<K extends WorkerOp = WorkerOp> {
  readonly id: number;
  readonly op: K;
  readonly device: DeviceRequest;
  readonly args: WorkerOps[K]['args'];
}

/** Worker → main: a result (with the run time inside the worker), an error, or download progress. */
export type WorkerMessage =
  | { readonly kind: 'result'; readonly id: number; readonly result: unknown; readonly runMs: number }
  | { readonly kind: 'error'; readonly id: number; readonly message: string }
  | { readonly kind: 'progress'; readonly path: string; readonly loaded: number; readonly total: number };
