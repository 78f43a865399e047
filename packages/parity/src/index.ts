export { errorStats, violations, type ErrorStats, type Tolerance } from './metrics-impl.js';
export {
  ARITHMETIC_CLASSES,
  SCORE_OUTPUTS,
  TOLERANCES,
  comparisonPrecision,
  describeTolerances,
  parseToleranceOverride,
  toleranceFor,
  type DeviceClass,
  type ToleranceOverride,
  type ToleranceRow,
} from './tolerances.js';
export { ALL_RUNTIMES, parseRuntimeList, type RuntimeName } from './runtime-names.js';
export type { OpenedRuntime, ParityHost, ParityRuntime, ParityRuntimeContext } from './parity-runtime.js';
export {
  assertRuntimeName,
  getParityRuntime,
  listParityRuntimes,
  openParityRuntime,
  parityName,
  registerParityHost,
  registerParityRuntime,
  requestedRuntimes,
} from './runtime-registry.js';
export { DENO_ARGS } from './parity-hosts.js';
export { childHost, findExecutable, type ChildHostOptions } from './child-host.js';
export { createWireApi, type WireLoader } from './wire-api.js';
export { wireRuntime, type WireSession } from './wire-runtime.js';
export {
  INPUT_SOURCES,
  buildParityInputs,
  type ImageRows,
  type InputSource,
  type ParityInputs,
} from './parity-inputs.js';
export {
  PARITY_EXIT_CODES,
  PARITY_REPORT_SCHEMA,
  PARITY_REPORT_VERSION,
  exitCodeFor,
  type OutputComparison,
  type ParityReport,
  type RuntimeResult,
  type RuntimeStatus,
} from './parity-report.js';
export { detectRunDir, runParity, type ParityOptions } from './run-parity.js';
export { formatBisect, formatOnnxParityTable, formatParityTable } from './format-table.js';
export {
  runBisect,
  type BisectGraph,
  type BisectGraphSummary,
  type BisectInputError,
  type BisectOptions,
  type BisectOutputError,
  type BisectResult,
  type BisectTraceRow,
} from './bisect.js';
export { bisectCandidate, bisectModels, type ModelBisectOptions } from './bisect-models.js';
export { reproGraph, type ReproGraph } from './bisect-repro.js';
export {
  ONNX_PARITY_REPORT_SCHEMA,
  runOnnxParity,
  type OnnxParityOptions,
  type OnnxParityReport,
} from './onnx-parity.js';
export {
  ONNX_TYPES,
  OUTPUT_TYPES,
  analyzeGraph,
  exposeIntermediates,
  type GraphAnalysis,
  type GraphInputInfo,
  type GraphNodeInfo,
} from './graph-analysis.js';
export { graphFeeds, resolveShape, type GraphFeedOptions } from './graph-feeds.js';
export { parseDims } from './dims-option.js';
export {
  backendGraphEngine,
  openGraphEngine,
  type GraphEngine,
  type GraphEngineOptions,
  type GraphRunner,
} from './graph-engine.js';
export { decodeTensor, encodeTensor, type EncodedTensor } from './tensor-codec.js';
export {
  TENSOR_FILE_FORMAT,
  TENSOR_FILE_VERSION,
  readTensorFile,
  writeTensorFile,
  type TensorFileContents,
} from './tensor-file.js';
export {
  CheckpointMismatchError,
  assertCheckpointBelongs,
  checkpointProvenance,
  type CheckpointProvenance,
} from './checkpoint-provenance.js';
export {
  openBrowserGraphs,
  openBrowserSession,
  openChromiumSession,
  type ChromiumSession,
} from './browser-harness.js';
export {
  BROWSER_DRIVERS,
  FIREFOX_PATH,
  WEBKIT_MINIBROWSER,
  type BrowserDriver,
  type BrowserPage,
} from './browser-drivers.js';
export { WORKERD_HOST, openWorkerdSession } from './workerd-host.js';
export { latencyStats, type LatencyStats } from './chromium-wire.js';
