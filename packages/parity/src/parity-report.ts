import type { Precision } from '@vae/core';
import type { BisectResult } from './bisect.js';
import type { ErrorStats, Tolerance } from './metrics-impl.js';
import type { InputSource } from './parity-inputs.js';
import type { RuntimeName } from './runtime-names.js';
import type { DeviceArithmetic } from '@vae/core';

/** Identifies a parity report file. */
export const PARITY_REPORT_SCHEMA = 'vae-everywhere/parity-report';
/** Current parity report version (2: runtimes carry `device` and `arithmetic`; names are open, `@host` for non-Node hosts). */
export const PARITY_REPORT_VERSION = 2;

/** Exit codes of `vae parity`. */
export const PARITY_EXIT_CODES = Object.freeze({ pass: 0, violation: 1, unavailable: 2 });

/** One output of one runtime compared with the reference. */
export interface OutputComparison {
  /** `mu`, `logvar`, `z`, `x_logits`, `x_mean`, `elbo`, `log_px`. */
  readonly output: string;
  readonly stats: ErrorStats;
  readonly tolerance: Tolerance;
  /** Values outside the tolerance (non-finite values count). */
  readonly violations: number;
  /** Flat index of the worst violation, or −1. */
  readonly worstIndex: number;
  readonly pass: boolean;
}

/** How a runtime fared: compared (pass/fail), the reference itself, skipped (not asked for, unavailable) or error. */
export type RuntimeStatus = 'reference' | 'pass' | 'fail' | 'skipped' | 'error';

/** One runtime's line of the report. */
export interface RuntimeResult {
  readonly runtime: RuntimeName;
  /** Execution device it computed on (`cpu`, `wasm`, `webgpu`, …). */
  readonly device: string;
  /** That device's arithmetic, which selected its tolerance row. */
  readonly arithmetic: DeviceArithmetic;
  readonly status: RuntimeStatus;
  /** Whether the user asked for it (`--runtimes`). */
  readonly requested: boolean;
  /** What actually ran (backend, device, adapter), when it opened. */
  readonly detail?: string;
  /** Why it was skipped or failed. */
  readonly reason?: string;
  /** Model directory it ran. */
  readonly modelDir?: string;
  /** Precision key of the tolerance table used for it. */
  readonly tolerancePrecision?: Precision;
  /** Seconds to open and compute every output. */
  readonly seconds?: number;
  readonly outputs: readonly OutputComparison[];
}

/** The JSON report of `vae parity --json`. */
export interface ParityReport {
  readonly schema: typeof PARITY_REPORT_SCHEMA;
  readonly version: typeof PARITY_REPORT_VERSION;
  readonly createdAt: string;
  readonly model: {
    readonly dir: string;
    readonly name: string;
    readonly precision: Precision;
    readonly encoderSha256: string;
    readonly decoderSha256: string;
  };
  /** The model the reference runtime ran (differs from `model` with `--reference-model`). */
  readonly referenceModel: { readonly dir: string; readonly name: string; readonly precision: Precision };
  readonly reference: RuntimeName;
  /** Training run whose checkpoint the TensorFlow.js runtimes loaded, or null. */
  readonly runDir: string | null;
  readonly inputs: {
    readonly source: InputSource;
    readonly batch: number;
    readonly seed: number;
    readonly elboSeed: number;
    readonly isSeed: number;
    readonly samples: number;
  };
  readonly runtimes: readonly RuntimeResult[];
  /** Overall verdict and the process exit code it maps to. */
  readonly passed: boolean;
  readonly exitCode: number;
  /** One line per problem (violations, runtimes that could not start). */
  readonly problems: readonly string[];
  /** With `--bisect`: the node-by-node comparison and its first divergent node. */
  readonly bisect?: BisectResult;
}

/** Exit code for a set of runtime results: 1 on any violation, else 2 on any error, else 0. */
export function exitCodeFor(results: readonly RuntimeResult[]): number {
  if (results.some((r) => r.status === 'fail')) return PARITY_EXIT_CODES.violation;
  if (results.some((r) => r.status === 'error')) return PARITY_EXIT_CODES.unavailable;
  return PARITY_EXIT_CODES.pass;
}
