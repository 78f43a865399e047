import type { ModelSpec, ParameterSet, Tensor } from '@vae/core';
import type { BackendRequest } from '../vocabularies.js';
import type { Engine } from './engine.js';

/**
 * What the TensorFlow.js engine room offers the rest of the package, typed without TensorFlow.js' own
 * types: `loadTfjs` returns it, so `@vae/train`'s declarations typecheck (even with `skipLibCheck:
 * false`) in an install without `@tensorflow/*`. The full tfjs API is `@vae/train/tfjs`.
 */
export interface TfjsRoom {
  /** The TensorFlow.js version (`tf.version.tfjs`). */
  readonly version: string;
  /** The active tfjs backend (`tf.getBackend()`). */
  activeBackend(): string;
  /** Activates a tfjs backend (see `selectBackend` in `@vae/train/tfjs`). */
  selectBackend(name: BackendRequest, options?: SelectBackendOptions): Promise<BackendSelection>;
  /** A tfjs model of `spec` with `params`, on core tensors. */
  createTfjsModel(spec: ModelSpec, params: ParameterSet): TfjsModel;
  /** A fresh, uninitialized tfjs training engine. */
  createEngine(): Engine;
}

/** Encoder output on core tensors: μ and log σ² (raw, as the head computes it) or the code `z`. */
export type TfjsEncoding = { mu: Tensor; logvar: Tensor } | { z: Tensor };

/** A TensorFlow.js model built from a spec and its parameters, working on core {@link Tensor}s. */
export interface TfjsModel {
  readonly spec: ModelSpec;
  /** `x` `[B, D]` (+ one-hot `y` `[B, K]` for conditional kinds) → `{ mu, logvar }` or `{ z }` (plain AEs). */
  encode(x: Tensor, y?: Tensor): TfjsEncoding;
  /** `z` `[B, L]` (+ `y`) → logits (Bernoulli) or the mean (Gaussian), `[B, D]`. */
  decode(z: Tensor, y?: Tensor): Tensor;
  /** {@link TfjsModel.encode} with an asynchronous read-back (required on the webgpu backend). */
  encodeAsync(x: Tensor, y?: Tensor): Promise<TfjsEncoding>;
  /** {@link TfjsModel.decode} with an asynchronous read-back (required on the webgpu backend). */
  decodeAsync(z: Tensor, y?: Tensor): Promise<Tensor>;
  /** Frees the tfjs parameter tensors. */
  dispose(): void;
}

/** Options of `selectBackend`. */
export interface SelectBackendOptions {
  /**
   * tfjs kernel names the caller needs (e.g. `Conv2D`); a backend that lacks one is
   * skipped by `auto` and rejected when named explicitly.
   */
  readonly kernels?: readonly string[];
}

/** Result of `selectBackend`. */
export interface BackendSelection {
  /** The backend now active in tfjs (e.g. `wasm`). */
  readonly backend: string;
  /** Backends tried before it, with the reason each was skipped. */
  readonly fallbacks: { backend: string; reason: string }[];
}
