export { ADAM_DEFAULTS } from './engines/adam-defaults.js';
export {
  TFJS_PACKAGES,
  chooseEngine,
  createEngine,
  listEngines,
  loadTfjs,
  registerEngine,
  type BackendSelection,
  type Engine,
  type EngineChoice,
  type EngineFactory,
  type ForwardTerms,
  type SelectBackendOptions,
  type StepOutputs,
  type TfjsEncoding,
  type TfjsModel,
  type TfjsRoom,
  type TrainBatch,
} from './engines/index.js';
export { OrtEngine, DEFAULT_ORT_THREADS, type OrtEngineOptions } from './engines/ort/ort-engine.js';
export { NODE_ORT_PLATFORM, nodeOrtPlatform } from './engines/ort/node-platform.js';
export { ORT_NODE_BINDINGS, parseOrtNodeBinding, type OrtNodeBinding } from '@vae/device-node';
export type { OrtModule, OrtPlatform } from './engines/ort/ort-platform.js';
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
} from './trainer/trainer.js';
export { TrainingStoppedError, type StoppedAt } from './trainer/stop.js';
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
