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
  resolveTrainConfig,
  type Binarization,
  type TrainConfig,
} from './config.js';
export { ORT_TRAIN_DEVICES, type OrtDeviceRequest, type OrtTrainDevice } from './ort/ort-devices.js';
export { FAULT_POINT_ENV, faultPoint } from './fault-points.js';
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
export {
  FASHION_MNIST_DIR,
  listDatasets,
  loadDataset,
  loadIdxDirectory,
  MAX_IDX_BYTES,
  readIdxFile,
  registerDataset,
  sliceSplit,
  splitValidation,
  type DatasetLoader,
  type DatasetLoadOptions,
  type FactorLabels,
  type ImageDataset,
  type IdxLimits,
  type ImageSplit,
} from './datasets.js';
export { DEFLATE_MAX_RATIO, isGzip, readFileBounded, type LengthFromHeader } from './bounded-read.js';
export {
  MAX_IMAGE_PIXELS,
  checkImageHeader,
  readPngHeader,
  type ImageLimits,
  type PngHeader,
} from './png-header.js';
export {
  SHAPES_FACTORS,
  SHAPES_GRID_SIZE,
  SHAPES_SIZE,
  SHAPE_NAMES,
  generateShapes,
  renderShape,
  renderShapes,
  sampleShapesFactors,
  shapesFactorsAt,
  type ShapesOptions,
} from './shapes.js';
export { makeBatch, type BatchOptions } from './batches.js';
export { pixelsToUnit } from './unit-pixels.js';
export { reportTerms, type ReportedTerms } from './report.js';
export { imageGrid } from './plots-impl.js';
export { readPngGrey, type GreyImage } from './png-read.js';
export { idxHeaderBytes, type IdxArray, type IdxHeader } from './idx-impl.js';
export { PLOT_FILES, writeRunPlots, type RunPlotInputs } from './run-plots.js';
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
export { writeFileAtomic } from './atomic-write.js';
export { workerStart, type WorkerStart } from './worker-start.js';
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
export { barChart, errorBarChart } from './plots-bars.js';
