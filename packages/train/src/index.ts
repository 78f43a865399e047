export { tf } from './engines/tfjs/tf.js';
export { ADAM_DEFAULTS } from './engines/adam-defaults.js';
export {
  selectBackend,
  listTfjsBackends,
  registerTfjsBackend,
  type BackendLoader,
  type BackendSelection,
  type SelectBackendOptions,
} from './engines/tfjs/backends.js';
export { getTfLayer, registerTfLayer, type TfLayerBuilder, type TfLayerContext } from './engines/tfjs/tfjs-layers.js';
export { createTfjsModel, type TfjsModel, type TfjsEncoding } from './engines/tfjs/tfjs-model.js';
export {
  createEngine,
  listEngines,
  registerEngine,
  type Engine,
  type EngineFactory,
  type ForwardTerms,
  type StepOutputs,
  type TrainBatch,
} from './engines/engine.js';
export { TfjsEngine } from './engines/tfjs/tfjs-engine.js';
export { OrtEngine, DEFAULT_ORT_THREADS, type OrtEngineOptions } from './engines/ort/ort-engine.js';
export { NODE_ORT_PLATFORM } from './engines/ort/node-platform.js';
export type { OrtModule, OrtPlatform } from './engines/ort/ort-platform.js';
export { chooseEngine, type EngineChoice } from './engines/engine-choice.js';
export {
  ENGINE_REQUESTS,
  EVAL_SPLITS,
  TFJS_BACKENDS,
  type BackendRequest,
  type EngineRequest,
  type EvalSplit,
  type TfjsBackendName,
} from './vocabularies.js';
export {
  BINARIZATIONS,
  DEFAULT_TRAIN_CONFIG,
  TRAIN_BACKENDS,
  datasetLoadOptions,
  resolveTrainConfig,
  validationSize,
  type Binarization,
  type DataRuntimeOptions,
  type TrainConfig,
} from './config.js';
export { epochRows, type BatchRows, type EpochRows } from './batches/epoch-rows.js';
export { ORT_TRAIN_DEVICES, type OrtDeviceRequest, type OrtTrainDevice } from './engines/ort/ort-devices.js';
export { METRICS_FILE, readMetrics, type EpochMetrics } from './checkpoint/metrics.js';
export {
  CHECKPOINT_DIR,
  CHECKPOINT_FORMAT,
  CHECKPOINT_VERSION,
  loadCheckpoint,
  recoverCheckpoint,
  saveCheckpoint,
  type AdamState,
  type CheckpointFile,
  type CheckpointState,
  type LoadedCheckpoint,
  type TensorIndexEntry,
} from './checkpoint/checkpoint.js';
export { makeBatch, type BatchOptions } from './batches/batches.js';
export { reportTerms, type ReportedTerms } from './report.js';
export { imageGrid } from './plots-impl.js';
export { PLOT_FILES, writeRunPlots, type RunPlotInputs } from './run-plots.js';
export {
  CONFIG_FILE,
  TrainingDivergedError,
  train,
  type StopReason,
  type TrainOptions,
  type TrainProgress,
  type TrainResult,
} from './trainer/trainer.js';
export { evaluateRun, type EvaluateOptions, type EvaluationResult } from './eval/evaluate.js';
export * from './disentanglement/index.js';
export {
  inputsOf,
  openLatentSource,
  type LatentSource,
  type ModelLocation,
  type OpenLatentOptions,
} from './latent/latent-source.js';
export {
  LATENT_FILES,
  latentPlane,
  latentScatter,
  latentViews,
  writeLatentViews,
  type LatentSummary,
  type LatentViewOptions,
  type LatentViews,
} from './latent/latent-views.js';
export { barChart, errorBarChart } from './plots-bars.js';
