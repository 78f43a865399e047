/**
 * `@vae/train/options`: the choices and defaults of training and evaluation, importable without
 * loading TensorFlow.js or onnxruntime (command-line front ends list them in their help).
 */
export {
  ENGINE_REQUESTS,
  EVAL_SPLITS,
  TFJS_BACKENDS,
  type BackendRequest,
  type EngineRequest,
  type EvalSplit,
  type TfjsBackendName,
} from './vocabularies.js';
export { BINARIZATIONS, DEFAULT_TRAIN_CONFIG, TRAIN_BACKENDS, type Binarization, type TrainConfig } from './config.js';
export { ORT_TRAIN_DEVICES, type OrtDeviceRequest, type OrtTrainDevice } from './engines/ort/ort-devices.js';
