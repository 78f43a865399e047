/**
 * Thread defaults of every runtime, training and inference, in one place. Browser-safe: callers in
 * Node pass the machine's parallelism (`os.availableParallelism()`).
 */

/**
 * Graphs up to this size get one intra-op thread by default: on small models (the 784-400-20 MLP is
 * ~1.3 MB) thread hand-off costs more than it saves (see bench/encoder-results.json).
 */
export const SMALL_MODEL_BYTES = 16 * 1024 * 1024;

/**
 * onnxruntime-node intra-op threads for inference when `threads` is not given (undefined: ORT's
 * default). A `batch` workload (runs of thousands of rows, e.g. the scorer's) gets
 * {@link defaultTrainingThreads} of `parallelism` whatever the model's size: IS K=1000 on 200 MNIST
 * images took 0.83 s at 2 threads against 1.44 s at 1 on this project's 2-core machine (load 4).
 */
export function defaultInferenceThreads(
  modelBytes: number,
  workload: 'latency' | 'batch' = 'latency',
  parallelism = 1,
): number | undefined {
  if (workload === 'batch') return defaultTrainingThreads(parallelism);
  return modelBytes <= SMALL_MODEL_BYTES ? 1 : undefined;
}

/**
 * onnxruntime-web WASM threads when neither `numThreads` nor `threads` is given: 1, because on small
 * models thread hand-off costs more than it saves and more than one thread needs a cross-origin-isolated page.
 */
export const DEFAULT_WASM_THREADS = 1;

/** Most intra-op threads the training engine uses by default. */
export const MAX_DEFAULT_TRAINING_THREADS = 4;

/**
 * Intra-op threads of training sessions when not given: the machine's parallelism, at most
 * {@link MAX_DEFAULT_TRAINING_THREADS} (training batches are large enough to gain from threads: on
 * an idle 2-core machine 2 threads gave 4.1 s/epoch against 5.3 s with 1; see `bench/train-ort.ts`).
 */
export function defaultTrainingThreads(parallelism: number): number {
  if (!Number.isInteger(parallelism) || parallelism < 1) {
    throw new RangeError(`parallelism: expected an integer ≥ 1, got ${String(parallelism)}`);
  }
  return Math.min(MAX_DEFAULT_TRAINING_THREADS, parallelism);
}
