export { onnx, IR_VERSION, OPSET_VERSION } from './onnx-proto.js';
export { attr, type AttributeValue, type Attributes } from './attributes.js';
export { GraphBuilder, type GraphBuilderOptions, type GraphStats, type NodeOptions } from './graph-builder.js';
export { graphEmitter } from './graph-emitter.js';
export {
  buildDecoderGraph,
  buildEncoderGraph,
  type GraphBuildOptions,
} from './inference-graphs.js';
export { buildScorerGraph } from './scorer-graph.js';
export {
  MODEL_FILES,
  PIXEL_NORMALIZATION,
  createManifest,
  type ManifestGraph,
  type ProvenanceInput,
} from './manifest-build.js';
export {
  buildModelFiles,
  exportModel,
  type ExportOptions,
  type ExportResult,
  type ModelFilesOptions,
} from './export-model.js';
export { readModelDirectory, type ModelDirectory } from './model-directory.js';
export { measurePrecisionError, type PrecisionError, type PrecisionErrorOptions } from './precision-error.js';
export {
  ADAM_GRAPH_DEFAULTS,
  adamMomentScales,
  adamStepScalars,
  validateAdamOptions,
  type AdamOptions,
} from './training/adam-graph.js';
export {
  TRAIN_GRAPH_MODES,
  TRAIN_STEP_NAMES,
  buildTrainStepGraph,
  type TrainGraphMode,
  type TrainStepGraph,
  type TrainStepGraphOptions,
} from './training/train-step-graph.js';
