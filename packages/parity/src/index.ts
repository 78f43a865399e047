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
export { formatParityTable } from './format-table.js';
export {
  CheckpointMismatchError,
  assertCheckpointBelongs,
  checkpointProvenance,
  type CheckpointProvenance,
} from './checkpoint-provenance.js';
export { openBrowserSession, openChromiumSession, type ChromiumSession } from './browser-harness.js';
export {
  BROWSER_DRIVERS,
  FIREFOX_PATH,
  WEBKIT_MINIBROWSER,
  type BrowserDriver,
  type BrowserPage,
} from './browser-drivers.js';
export { WORKERD_HOST, openWorkerdSession } from './workerd-host.js';
export { latencyStats, type LatencyStats } from './chromium-wire.js';
