/**
 * `@vae/parity/options`: the runtime-list syntax, input sources, tolerances and report shape of parity checks,
 * and the checkpoint provenance helpers, importable without loading any runtime (command-line front
 * ends list them in their help).
 */
export { ALL_RUNTIMES, parseRuntimeList, type RuntimeName } from './runtime-names.js';
export { INPUT_SOURCES, type InputSource } from './parity-inputs.js';
export {
  ARITHMETIC_CLASSES,
  TOLERANCES,
  describeTolerances,
  parseToleranceOverride,
  type DeviceClass,
  type ToleranceOverride,
  type ToleranceRow,
} from './tolerances.js';
export { PARITY_EXIT_CODES, type ParityReport, type RuntimeResult } from './parity-report.js';
export { formatOnnxParityTable, formatParityTable } from './format-table.js';
export { parseDims } from './dims-option.js';
export { CheckpointMismatchError, checkpointProvenance, type CheckpointProvenance } from './checkpoint-provenance.js';
