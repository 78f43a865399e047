/**
 * The browser-safe part of `@vae/onnx` (`@vae/onnx/graphs`): graph building, manifests, model files
 * built in memory and the training-step graph. Nothing here imports a Node built-in; the main entry
 * re-exports all of it and adds what writes or reads directories.
 */
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
export { buildModelFiles, type ModelFilesOptions } from './model-files.js';
export { GOLDEN_TOLERANCES, buildGoldenFile, type GoldenBuildOptions } from './golden-build.js';
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
