export { tf } from './tf.js';
export { ADAM_DEFAULTS } from './adam-defaults.js';
export {
  selectBackend,
  listTfjsBackends,
  registerTfjsBackend,
  type BackendLoader,
  type BackendSelection,
  type SelectBackendOptions,
} from './backends.js';
export { getTfLayer, registerTfLayer, type TfLayerBuilder, type TfLayerContext } from './tfjs-layers.js';
export { createTfjsModel, type TfjsModel, type TfjsEncoding } from './tfjs-model.js';
export {
  createEngine,
  listEngines,
  registerEngine,
  type Engine,
  type EngineFactory,
  type ForwardTerms,
  type StepOutputs,
  type TrainBatch,
} from './engine.js';
export { TfjsEngine } from './tfjs-engine.js';
export { OrtEngine, DEFAULT_ORT_THREADS, type OrtEngineOptions } from './ort/ort-engine.js';
export { NODE_ORT_PLATFORM } from './ort/node-platform.js';
export type { OrtModule, OrtPlatform } from './ort/ort-platform.js';
export { chooseEngine, type EngineChoice } from './ort/engine-choice.js';
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
export { epochRows, type BatchRows, type EpochRows } from './epoch-rows.js';
export { ORT_TRAIN_DEVICES, type OrtDeviceRequest, type OrtTrainDevice } from './ort/ort-devices.js';
export { METRICS_FILE, readMetrics, type EpochMetrics } from './metrics.js';
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
} from './checkpoint.js';
export { makeBatch, type BatchOptions } from './batches.js';
export { reportTerms, type ReportedTerms } from './report.js';
export { imageGrid, type ImageGrid } from './plots/image-grid.js';
export { PLOT_FILES, writeRunPlots, type RunPlotInputs } from './plots/run-plots.js';
export { RUN_REPORT_FILE, writeRunReport, type RunReportInputs, type RunTraining } from './plots/report-html.js';
export { PLOT_CONFIG, renderFigure, writeFigure, type Figure, type RenderOptions } from './plots/render.js';
export {
  disentanglementSpec,
  imageGridSpec,
  klBarsSpec,
  lossCurveSpec,
  posteriorSpec,
  scatterSpec,
  sideBySideSpec,
  stackSpec,
  type DisentanglementFigure,
  type ImageGridFigure,
  type PlotSpec,
  type ScatterInput,
} from './plots/specs.js';
export {
  CONFIG_FILE,
  TrainingDivergedError,
  train,
  type StopReason,
  type TrainOptions,
  type TrainProgress,
  type TrainResult,
} from './trainer.js';
export { evaluateRun, type EvaluateOptions, type EvaluationResult } from './evaluate.js';
export * from './disentanglement/index.js';
export {
  inputsOf,
  openLatentSource,
  type LatentSource,
  type ModelLocation,
  type OpenLatentOptions,
} from './latent-source.js';
export {
  LATENT_FILES,
  latentPlane,
  latentScatter,
  latentViews,
  writeLatentViews,
  type LatentSummary,
  type LatentViewOptions,
  type LatentViews,
} from './latent-views.js';
