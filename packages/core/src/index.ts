export {
  assertFinite,
  assertInteger,
  assertNumber,
  assertShape,
  assertTensor,
  concatRows,
  gatherRows,
  sizeOf,
  sliceRows,
  tensor,
  zeros,
  type DimSpec,
  type Tensor,
} from './tensor.js';
export { hasNonFinite, setNonFiniteScan } from './finite-scan.js';
export { sizeText } from './image-size.js';
export {
  LOG_LEVELS,
  consoleLogSink,
  getLogLevel,
  getLogger,
  setLogLevel,
  setLogSink,
  type LogLevel,
  type LogSink,
  type Logger,
} from './logger.js';
export { Rng, type RngState } from './rng.js';
export {
  ACTIVATIONS,
  LEAKY_RELU_SLOPE,
  LIKELIHOODS,
  inputSize,
  type Activation,
  type Conv2dLayer,
  type Conv2dTransposeLayer,
  type DenseLayer,
  type FlattenLayer,
  type LayerSpec,
  type LayerSpecMap,
  type LayerType,
  type Likelihood,
  type ModelKind,
  type KindFields,
  type ModelKindMap,
  type ModelSpec,
  type NoiseSpec,
  type ReshapeLayer,
  type SparsitySpec,
} from './model-spec.js';
import './kinds/builtin-kinds.js';
export {
  listModelKinds,
  modelKindInfo,
  registerModelKind,
  type KindDefaults,
  type KindOption,
  type ModelKindInfo,
} from './model-kinds.js';
export type { KindObjective, ObjectiveIo, ObjectiveOps, ObjectiveParts } from './objective-ops.js';
export { float64ObjectiveOps, type F64, type F64NegLogLikelihood } from './objective-eval.js';
export {
  autoencoderObjective,
  batchMean,
  gaussianKl,
  head,
  posterior,
  reconstruction,
  reparameterizeOps,
  sampleWithKl,
  variationalObjective,
  type Posterior,
} from './objective-terms.js';
export {
  describeLayers,
  initParameters,
  layerState,
  listParameters,
  listTrainableParameters,
  validateModelSpec,
  validateParameters,
  type ParameterSet,
  type SpecLayout,
} from './model-shapes.js';
export {
  getLayerDefinition,
  listLayerTypes,
  registerLayer,
  type LayerDefinition,
  type LayerShape,
  type LayerStateInfo,
  type ParameterInfo,
  type StateInit,
} from './layers/layer-registry.js';
export {
  ACTIVATION_OPS,
  concatFeatures,
  emitActivation,
  toFlat,
  toNchw,
  toRowMajor,
  type EmitAttributes,
  type EmitDim,
  type EmitFloat,
  type EmitTensor,
  type LayerEmitter,
  type LayerValue,
  type OpEmitter,
  type StateOptions,
} from './layers/op-emitter.js';
export {
  convAttributes,
  convOutputShape,
  convPadding,
  convState,
  convTransposePadding,
  emitConv,
  type AxisPadding,
  type ConvFields,
} from './layers/conv-common.js';
export {
  emitDecoder,
  emitEncoder,
  emitLayers,
  type EmittedLayers,
  type NetworkEmitter,
} from './layers/network-emit.js';
export { BATCH_NORM_DEFAULTS, batchNormLayer, type BatchNormLayer } from './layers/batch-norm.js';
export {
  ARCHITECTURES,
  CONV_PRESETS,
  NORMS,
  convPresetFor,
  createModelSpec,
  withBatchNorm,
  type Architecture,
  type ConvPresetName,
  type ModelSpecOptions,
  type Norm,
} from './model-presets.js';
export type {
  Backend,
  BackendSession,
  DeviceArithmetic,
  DeviceInfo,
  DeviceRequest,
  ExecutionDevice,
  Runtime,
  RuntimeParity,
  SessionOptions,
} from './runtime-contract.js';
export { RunQueue } from './run-queue.js';
export {
  OrtSession,
  type OrtInferenceSessionLike,
  type OrtTensorFactory,
  type OrtTensorLike,
} from './ort-session.js';
export {
  SOFTWARE_GPU_PATTERN,
  describeAdapter,
  navigatorGpu,
  probeWebGpu,
  type AdapterInfoLike,
  type AdapterLike,
  type GpuLike,
  type WebGpuProbe,
} from './webgpu-probe.js';
export {
  DEFAULT_WASM_THREADS,
  MAX_DEFAULT_TRAINING_THREADS,
  SMALL_MODEL_BYTES,
  defaultInferenceThreads,
  defaultTrainingThreads,
} from './thread-defaults.js';
export {
  MANIFEST_FILE,
  MANIFEST_SCHEMA,
  MANIFEST_VERSION,
  PRECISIONS,
  type GoldenInfo,
  type GraphInfo,
  type ModelManifest,
  type Precision,
  type Provenance,
  type TensorInfo,
} from './manifest.js';
export {
  latentTraversal,
  lerp,
  normalQuantile,
  oneHot,
  reparameterize,
  samplePosterior,
  samplePrior,
  sampleStandardNormal,
  sigmoidTensor,
  slerp,
} from './sampling.js';
export {
  LOGVAR_CLAMP,
  RHO_HAT_CLAMP,
  bernoulliLogLikelihood,
  betaObjective,
  clampLogvar,
  contractivePenalty,
  elbo,
  gaussianLogLikelihood,
  klDiagonalGaussians,
  klPerDimension,
  klSparsity,
  klStandardNormal,
  l1Sparsity,
  logLikelihood,
  logSigmoid,
  logSumExp,
  mean,
  modelObjective,
  sigmoid,
  softplus,
  type ElboTerms,
  type ObjectiveInputs,
  type ObjectiveTerms,
} from './losses.js';
export {
  DEFAULT_ROWS_PER_RUN,
  importanceSampledLogLikelihood,
  planSampleRuns,
  scoredLogLikelihood,
  type ImportanceSamplingOptions,
  type SampleRuns,
  type ScoredGroup,
  type ScoredLogLikelihoodOptions,
} from './importance-sampling.js';
export { RUN_ACTIVATION_BUDGET_BYTES, decodedRowFloats, rowsPerRunFor } from './run-budget.js';
export { ACTIVE_UNIT_THRESHOLD, activeUnits } from './active-units.js';
export { fitPca, projectPca, type PrincipalComponents } from './pca.js';
export {
  assertDeviceRequest,
  createSession,
  deviceArithmetic,
  deviceAttempts,
  deviceInfo,
  deviceRequests,
  getRuntime,
  listBackends,
  listDevices,
  listRuntimes,
  registerBackend,
  registerRuntime,
  trainDevices,
  unregisterBackend,
  type CreatedSession,
  type CreateSessionOptions,
  type DeviceAttempt,
  type DeviceFallback,
  type ResolvedSessionOptions,
} from './runtime-registry.js';
export { ModelFileNotFoundError, assertModelFileName, memoryFileSource, type ModelFileSource } from './model-source.js';
export { ManifestError, parseManifest } from './manifest-validate.js';
export { parametersSha256, sha256Hex } from './sha256.js';
export {
  GraphSignatureError,
  checkGraphSignature,
  decoderSignature,
  encoderSignature,
  scorerSignature,
  SCORER_OUTPUT,
  sessionValueInfos,
  type GraphSignature,
  type OrtValueMetadata,
  type SessionValueInfo,
  type SignatureSpec,
} from './graph-signature.js';
export {
  GOLDEN_FILE,
  GOLDEN_GRAPHS,
  GOLDEN_SCHEMA,
  GOLDEN_VERSION,
  GoldenFileError,
  decodeGoldenInput,
  decodeGoldenValues,
  encodeGoldenFloats,
  encodeGoldenPixels,
  parseGoldenFile,
  strideValues,
  type GoldenCase,
  type GoldenFile,
  type GoldenGraph,
  type GoldenTensor,
  type GoldenTolerance,
} from './golden-file.js';
export {
  checkGoldenGraph,
  describeGoldenFailure,
  formatVerification,
  type GoldenOutputCheck,
  type ModelVerification,
} from './golden-check.js';
export { GoldenCheckError, MODEL_PARTS, type ModelPart, type VerifyOption } from './model-open.js';
export {
  VaeModel,
  type InterpolateOptions,
  type LogLikelihoodOptions,
  type SampleOptions,
  type VaeModelLoadOptions,
} from './vae-model.js';
export {
  elboVia,
  logLikelihoodVia,
  type DecodeResult,
  type EncodeResult,
  type EncoderDecoder,
  type LikelihoodInfo,
} from './variational-scores.js';
export { instantiateWasm, type WasmInstance } from './wasm-instance.js';
export { missingPackage, notInstalledMessage } from './missing-package.js';
