/**
 * Names and one-line descriptions of the choices training and evaluation accept. Plain data with no
 * imports, so command-line front ends can list the choices without loading TensorFlow.js or
 * onnxruntime (see `@vae/train/options`).
 */

/** The tfjs backends this package knows, in the order `auto` tries them, with a one-line note. */
export const TFJS_BACKENDS = Object.freeze({
  tensorflow:
    'native TensorFlow through @tensorflow/tfjs-node-gpu or @tensorflow/tfjs-node (not installed with @vae/train; add one)',
  webgpu: '@tensorflow/tfjs-backend-webgpu in Node through Dawn (npm webgpu); needs a Vulkan driver',
  wasm: '@tensorflow/tfjs-backend-wasm (single-threaded in Node)',
  cpu: 'plain JavaScript kernels of @tensorflow/tfjs',
});
/** A concrete tfjs backend name. */
export type TfjsBackendName = keyof typeof TFJS_BACKENDS;
/** A backend request: a concrete backend or `auto`. */
export type BackendRequest = TfjsBackendName | 'auto';

/** Engine requests of `vae train --engine`. */
export const ENGINE_REQUESTS = Object.freeze({
  auto: 'the fastest engine that supports the model: ort when its training graph covers the spec, else tfjs',
  tfjs: 'TensorFlow.js (every model kind and architecture, IWAE bound); an optional peer: npm i @tensorflow/tfjs',
  ort: 'ONNX Runtime training-step graph (every registered layer type and model kind, IWAE bound)',
});
/** An engine request. */
export type EngineRequest = keyof typeof ENGINE_REQUESTS;

/** Splits `evaluateRun` can use: the run's held-out validation examples or the dataset's test set. */
export const EVAL_SPLITS = Object.freeze({ val: 'validation split of the run', test: 'test set of the dataset' });
/** A split name. */
export type EvalSplit = keyof typeof EVAL_SPLITS;
