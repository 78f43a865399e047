import {
  decodeGoldenInput,
  decodeGoldenValues,
  strideValues,
  type GoldenFile,
  type GoldenGraph,
  type GoldenTolerance,
} from './golden-file.js';
import type { DeviceFallback } from './runtime-registry.js';
import type { BackendSession, DeviceArithmetic, ExecutionDevice } from './runtime-contract.js';
import type { Tensor } from './tensor.js';

/** The golden check of one graph output on one device. */
export interface GoldenOutputCheck {
  readonly graph: GoldenGraph;
  readonly output: string;
  /** Largest |actual − golden| over the compared values (Infinity when a value is not finite). */
  readonly maxAbs: number;
  /** Largest `|actual − golden| / (abs + rel·|golden|)`: ≤ 1 passes. */
  readonly worstRatio: number;
  readonly tolerance: GoldenTolerance;
  /** Values compared. */
  readonly values: number;
  readonly pass: boolean;
}

/**
 * What `loadModel`'s golden check found, as `model.verification`: the device and backend (execution
 * provider) that ran the golden rows, every output's maximum error against its tolerance, and the
 * devices tried first with the reason each was left.
 */
export interface ModelVerification {
  /** `passed`; `failed` (loaded anyway: `verify: 'warn'`); `skipped` (see `reason`). */
  readonly status: 'passed' | 'failed' | 'skipped';
  readonly device: ExecutionDevice;
  /** The backend that ran the rows, e.g. `onnxruntime-node`. */
  readonly backend: string;
  /** The arithmetic class whose tolerances applied (unknown devices count as `reassociated`). */
  readonly arithmetic: DeviceArithmetic;
  /** Per graph output checked at load (and the scorer's once it is first used). */
  readonly outputs: readonly GoldenOutputCheck[];
  /** Why the check was skipped or failed (absent when it passed). */
  readonly reason?: string;
  /** Devices tried before this one (session creation or golden check failed), with reasons. */
  readonly fallbacks: readonly DeviceFallback[];
  /** Milliseconds spent reading (checksum, parse) the golden file and running its rows on this device; 0 when skipped. */
  readonly ms: number;
}

function compare(
  actual: Float32Array,
  golden: Float32Array,
  tol: GoldenTolerance,
): { maxAbs: number; worstRatio: number } {
  let maxAbs = 0;
  let worstRatio = 0;
  for (let i = 0; i < golden.length; i++) {
    const err = Math.abs(actual[i]! - golden[i]!);
    if (!(err <= Number.MAX_VALUE)) return { maxAbs: Infinity, worstRatio: Infinity };
    const bound = tol.abs + tol.rel * Math.abs(golden[i]!);
    maxAbs = Math.max(maxAbs, err);
    worstRatio = Math.max(worstRatio, bound > 0 ? err / bound : err > 0 ? Infinity : 0);
  }
  return { maxAbs, worstRatio };
}

/**
 * Runs the golden rows of `graph` on `session` once and compares every stored output with the
 * tolerances of `arithmetic`. Returns one check per output (a missing output fails with Infinity).
 */
export async function checkGoldenGraph(
  golden: GoldenFile,
  graph: GoldenGraph,
  session: BackendSession,
  arithmetic: DeviceArithmetic,
): Promise<GoldenOutputCheck[]> {
  const c = golden.cases[graph];
  if (!c) return [];
  const field = `golden.cases.${graph}`;
  const feeds: Record<string, Tensor> = {};
  for (const [name, t] of Object.entries(c.inputs)) feeds[name] = decodeGoldenInput(t, `${field}.inputs.${name}`);
  const out = await session.run(feeds);
  return Object.entries(c.outputs).map(([output, g]) => {
    const tolerance = golden.tolerances[arithmetic][output]!;
    const expected = decodeGoldenValues(g, `${field}.outputs.${output}`);
    const got = out[output];
    const { maxAbs, worstRatio } = got
      ? compare(strideValues(got.data, g.stride ?? 1), expected, tolerance)
      : { maxAbs: Infinity, worstRatio: Infinity };
    return { graph, output, maxAbs, worstRatio, tolerance, values: expected.length, pass: worstRatio <= 1 };
  });
}

/** One line naming every failing output with its error and tolerance, e.g. for a fallback reason. */
export function describeGoldenFailure(checks: readonly GoldenOutputCheck[]): string {
  const bad = checks.filter((c) => !c.pass);
  return `golden check failed: ${bad
    .map(
      (c) =>
        `${c.graph}.${c.output} max |Δ| ${c.maxAbs.toExponential(2)} (${c.worstRatio.toFixed(1)}× its tolerance ${c.tolerance.abs} + ${c.tolerance.rel}·|golden|)`,
    )
    .join('; ')}`;
}

/**
 * One line for people: `passed on wasm (onnxruntime-web, exact) in 4.1 ms: max |Δ| mu 5.4e-7, …`,
 * or `skipped: <reason>`, or `failed on … : <reason>`.
 */
export function formatVerification(v: ModelVerification): string {
  if (v.status === 'skipped') return `skipped: ${v.reason ?? 'no reason given'}`;
  const head = `${v.status} on ${v.device} (${v.backend}, ${v.arithmetic}) in ${v.ms.toFixed(1)} ms`;
  const errors = v.outputs.map((o) => `${o.output} ${o.maxAbs.toExponential(1)}`).join(', ');
  return `${head}: max |Δ| ${errors}${v.reason ? `; ${v.reason}` : ''}`;
}
