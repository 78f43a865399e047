import type { DeviceArithmetic, Precision } from '@vae/core';
import type { Tolerance } from './metrics-impl.js';

/**
 * What each device arithmetic means. Tolerances depend on how the arithmetic is done (a device's
 * `arithmetic`, declared by the runtime that offers it), not on the runtime's name: `ort-web-wasm`,
 * `ort-web-wasm@firefox` and `ort-node-cpu` share one row.
 */
export const ARITHMETIC_CLASSES: Readonly<Record<DeviceArithmetic, string>> = Object.freeze({
  exact: 'float32 kernels summing in graph order (onnxruntime cpu EP, wasm EP, TensorFlow.js cpu/wasm)',
  reassociated: 'GPU shaders: other reduction order, fused multiply-add (WebGPU, CUDA with TF32 disabled)',
});
/** A device's arithmetic (the key of the tolerance table). */
export type DeviceClass = DeviceArithmetic;

/**
 * What a tolerance applies to: graph outputs (per value), the single-sample ELBO (per example), or
 * the scorer graph's importance-sampled log p(x) (per example).
 */
export interface ToleranceRow {
  /** Graph outputs (`mu`, `logvar`, `z`, `x_logits`, `x_mean`), per value. */
  readonly tensor: Tolerance;
  /** The ELBO (`elbo`), summed over all pixels and latent dimensions in float64 from the decoder's logits, per example. */
  readonly score: Tolerance;
  /**
   * `log_px`, the scorer graph's estimate per example: summed in float32 inside the graph from
   * terms much larger than the result (see {@link TOLERANCES}).
   */
  readonly logPx: Tolerance;
}

/** Rows shared by the float32-exact devices (cpu, wasm) and by the GPU devices (webgpu, cuda). */
const EXACT_ROWS: Readonly<Record<Precision, ToleranceRow>> = Object.freeze({
  fp32: { tensor: { abs: 3e-5, rel: 1e-5 }, score: { abs: 0, rel: 1e-5 }, logPx: { abs: 1e-2, rel: 1e-5 } },
  fp16: { tensor: { abs: 1e-2, rel: 1e-2 }, score: { abs: 0, rel: 1e-2 }, logPx: { abs: 0, rel: 1e-2 } },
  int8: { tensor: { abs: 2.5e-1, rel: 5e-2 }, score: { abs: 0, rel: 3e-2 }, logPx: { abs: 0, rel: 3e-2 } },
});
const GPU_ROWS: Readonly<Record<Precision, ToleranceRow>> = Object.freeze({
  ...EXACT_ROWS,
  fp32: { tensor: { abs: 1e-4, rel: 1e-5 }, score: { abs: 0, rel: 1e-4 }, logPx: { abs: 1e-2, rel: 1e-4 } },
});

/**
 * Default tolerances, allclose semantics: a value passes when `|a − r| ≤ abs + rel·|r|`.
 *
 * Rows are keyed by device arithmetic × precision. The precision key is the weight precision that
 * separates the two sides: `fp32` whenever candidate and reference run the same weights (every
 * runtime executes the same graph of an fp16/int8 model in float32 after its Cast/DequantizeLinear,
 * so the arithmetic is float32 everywhere); `fp16`/`int8` when one side runs a quantized model and the
 * other full-precision weights (e.g. TensorFlow.js from the fp32 checkpoint against an int8 graph, or
 * `--reference-model` pointing at the fp32 export).
 *
 * - fp32 exact (cpu, wasm): 3e-5 absolute per output value plus 1e-5 relative. Measured on the reference
 *   784-400-20 MLP: ≤ 3.8e-6 (wasm vs cpu, x_logits); on the 64×64×3 VanillaVAE preset (five
 *   convolutions with batch norm, heads summing 2,048 features; 3.9M parameters), 64 rows against
 *   onnxruntime-node cpu: μ ≤ 1.3e-5 and log σ² ≤ 5.3e-5 at −29.1 (1.8e-6 relative) on TensorFlow.js
 *   wasm, μ ≤ 8.4e-6 on TensorFlow.js cpu. The former 1e-5 + 1e-6 row failed that colour model (3 of
 *   8,192 μ values): its float32 sums are longer and deeper. A weight perturbed by 1e-3 still fails
 *   by 30×. ELBO / log p(x) are sums over H·W·C values (~100 nats for MNIST, ~5,000 for 64×64×3), so
 *   they get a relative 1e-5 (≈1e-3 nats on MNIST; measured ≤ 1.6e-4 nats there, ≤ 3e-2 nats at
 *   −5,000 on the colour model).
 * - fp32 `log_px`: the score row plus 1e-2 nats absolute. The scorer graph sums, in float32,
 *   Σ(x − ½)·l and ½Σ|l| over the pixels (each ~thousands of nats on a trained MNIST model for a
 *   result of ~−100), so its rounding error does not shrink with |log p(x)|: on the
 *   first 500 MNIST test digits (models/mnist-vae, K = 1 and 16) onnxruntime-web wasm and
 *   onnxruntime-node cpu differ by up to 9.7e-5 relative (6e-3 nats; each side against core's
 *   float64 estimator: cpu ≤ 4.2e-5, wasm ≤ 1.0e-4). The ELBO's 1e-5 row held only on seeded grey
 *   inputs (log p(x) ≈ −2,800, where 1e-5 is 0.03 nats); on real digits it failed 11 of 32 (2026-12-07).
 * - fp32 reassociated (webgpu, cuda): 1e-4 absolute + 1e-5 relative, 1e-4 relative for scores (other reduction
 *   order, fused multiply-add; CUDA with TF32 off). Measured on SwiftShader: ≤ 1.4e-5 (x_logits),
 *   ≤ 4.8e-4 nats (ELBO). TF32 would need ~1e-2 and is never assumed.
 * - fp16 weights vs fp32: 1e-2 absolute + 1e-2 relative; scores 1e-2 relative.
 * - int8 weight-only vs fp32: 2.5e-1 absolute + 5e-2 relative; scores 3e-2 relative. Measured on the
 *   20-epoch reference model (int8 vs fp32, 64 seeded inputs): x_logits ≤ 1.96e-1, μ ≤ 3.1e-2,
 *   x_mean ≤ 3.5e-2, ELBO ≤ 3.6e-3 relative. Per-channel int8 weights move logits by tenths, so a
 *   tighter row would flag the expected quantization error, not a runtime bug.
 */
export const TOLERANCES: Readonly<Record<DeviceClass, Readonly<Record<Precision, ToleranceRow>>>> = Object.freeze({
  exact: EXACT_ROWS,
  reassociated: GPU_ROWS,
});

/** Outputs compared as per-example scores (the rest are graph outputs). */
export const SCORE_OUTPUTS: readonly string[] = Object.freeze(['elbo', 'log_px']);

/** A `--tolerance` override: an output name (or `*` for all) and its tolerance. */
export interface ToleranceOverride {
  readonly output: string;
  readonly tolerance: Tolerance;
}

const PRECISION_RANK: Readonly<Record<Precision, number>> = Object.freeze({ fp32: 0, fp16: 1, int8: 2 });

/**
 * The precision key for a comparison: `fp32` when both sides run the same weight precision,
 * otherwise the lower of the two precisions (see {@link TOLERANCES}).
 */
export function comparisonPrecision(candidate: Precision, reference: Precision): Precision {
  if (candidate === reference) return 'fp32';
  return PRECISION_RANK[candidate] >= PRECISION_RANK[reference] ? candidate : reference;
}

/**
 * The tolerance of `output` when a runtime of arithmetic `candidate` is compared with one of
 * arithmetic `reference`: the looser of the two classes' rows (elementwise max of abs and rel), then the
 * last matching override (`*` matches every output).
 */
export function toleranceFor(
  output: string,
  candidate: DeviceClass,
  reference: DeviceClass,
  precision: Precision,
  overrides: readonly ToleranceOverride[] = [],
): Tolerance {
  const kind = output === 'log_px' ? 'logPx' : SCORE_OUTPUTS.includes(output) ? 'score' : 'tensor';
  const a = TOLERANCES[candidate][precision][kind];
  const b = TOLERANCES[reference][precision][kind];
  let tol: Tolerance = { abs: Math.max(a.abs, b.abs), rel: Math.max(a.rel, b.rel) };
  for (const o of overrides) if (o.output === output || o.output === '*') tol = o.tolerance;
  return tol;
}

function parseNonNegative(text: string, arg: string, what: string): number {
  const v = Number(text);
  if (text.trim() === '' || !Number.isFinite(v) || v < 0) {
    throw new RangeError(
      `--tolerance: expected a non-negative number for ${what} in ${JSON.stringify(arg)}, got ${JSON.stringify(text)}`,
    );
  }
  return v;
}

/**
 * Parses `--tolerance OUTPUT=ABS[,REL]` (e.g. `x_logits=1e-4`, `elbo=0,1e-4`, `*=1e-3,1e-3`).
 * REL defaults to 0.
 */
export function parseToleranceOverride(arg: string): ToleranceOverride {
  const m = /^([A-Za-z_*][\w]*|\*)=([^,]+)(?:,([^,]+))?$/.exec(String(arg).trim());
  if (!m)
    throw new RangeError(
      `--tolerance: expected OUTPUT=ABS[,REL] (e.g. x_logits=1e-4 or elbo=0,1e-4), got ${JSON.stringify(arg)}`,
    );
  const abs = parseNonNegative(m[2]!, arg, 'ABS');
  const rel = m[3] === undefined ? 0 : parseNonNegative(m[3], arg, 'REL');
  return { output: m[1]!, tolerance: { abs, rel } };
}

/** The default tolerance table as text lines (for `vae parity --help`). */
export function describeTolerances(): string[] {
  const e = (v: number): string => (v === 0 ? '0' : v.toExponential(0));
  const f = (t: Tolerance): string => `abs ${e(t.abs)}, rel ${e(t.rel)}`;
  const lines: string[] = [];
  for (const [cls, rows] of Object.entries(TOLERANCES)) {
    for (const [precision, row] of Object.entries(rows))
      lines.push(
        `  ${`${cls} × ${precision}`.padEnd(22)} outputs ${f(row.tensor).padEnd(20)} elbo ${f(row.score).padEnd(17)} log_px ${f(row.logPx)}`,
      );
  }
  return lines;
}
