import type { InferenceSession, Tensor } from 'onnxruntime-node';
import type { ArrayAdamKernel } from './adam-arena.js';

/**
 * The slice of an onnxruntime module the step runner uses. onnxruntime-node and onnxruntime-web
 * both re-export onnxruntime-common's `InferenceSession` and `Tensor`, so either module fits; only
 * types are imported here (nothing reaches a browser bundle).
 */
export interface OrtModule {
  readonly InferenceSession: {
    create(model: Uint8Array, options?: InferenceSession.SessionOptions): Promise<OrtRunSession>;
  };
  readonly Tensor: typeof Tensor;
}

/**
 * The slice of a session the step runner uses: onnxruntime's `InferenceSession`, or a direct session on
 * onnxruntime's C API (`binding: 'direct'`, `direct-binding.ts`).
 */
export interface OrtRunSession {
  run(feeds: InferenceSession.FeedsType, fetches?: InferenceSession.FetchesType): Promise<InferenceSession.ReturnType>;
  release(): Promise<void>;
  /** `direct` for a session on onnxruntime's C API; absent for onnxruntime-node's and onnxruntime-web's. */
  readonly binding?: 'direct';
}

/**
 * Where an {@link OrtStepRunner} runs: the onnxruntime module and how it names and opens devices.
 * `@vae/train` gives one for onnxruntime-node (`NODE_ORT_PLATFORM`, in a worker thread) and one for
 * onnxruntime-web (`webOrtPlatform`, in a Web Worker).
 */
export interface OrtPlatform<D extends string = string> {
  readonly ort: OrtModule;
  /** Devices `auto` tries, in order. */
  readonly autoOrder: readonly D[];
  /** Parses a device request; a `RangeError` names the argument, the expected and the actual value. */
  parseDevice(value: unknown, name?: string): D | 'auto';
  /** Why `auto` should skip `device` without trying it, or null. */
  skipReason(device: D): string | null;
  /** Session options of the training sessions on `device` with `threads` intra-op threads. */
  sessionOptions(device: D, threads: number): InferenceSession.SessionOptions;
  /**
   * Whether `run()` writes into pre-allocated CPU output tensors (onnxruntime-node does; onnxruntime-web
   * copies them into its WebAssembly heap and hands the originals back unchanged, so gradients are
   * fetched and copied into the Adam arena instead).
   */
  readonly writesPreallocatedOutputs: boolean;
  /**
   * Frees the memory of an output copy `run()` returned for a pre-allocated output, which the runner
   * no longer needs (onnxruntime-node copies every fetched output; absent: left to the garbage collector).
   */
  readonly releaseFetchedCopy?: (data: ArrayBufferView) => void;
  /** A native Adam kernel for the runner's arena (the direct binding's), or absent: WebAssembly. */
  readonly adamKernel?: ArrayAdamKernel;
}
