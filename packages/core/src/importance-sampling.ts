import { bernoulliLogProb, clampLogvar, gaussianLogProb } from './losses-impl.js';
import { LIKELIHOODS, type Likelihood } from './model-spec.js';
import type { Rng } from './rng.js';
import { assertFinite, assertInteger, assertNumber, assertShape, type Tensor } from './tensor.js';

/** Options of {@link importanceSampledLogLikelihood}. */
export interface ImportanceSamplingOptions {
  /** Inputs `[batch, D]` (in [0, 1] for Bernoulli). */
  readonly x: Tensor;
  /** Posterior means `[batch, L]` from the encoder. */
  readonly mu: Tensor;
  /** Posterior log σ² `[batch, L]` from the encoder (clamped to `LOGVAR_CLAMP`). */
  readonly logvar: Tensor;
  /** Number K of importance samples per example, ≥ 1. */
  readonly samples: number;
  /**
   * Samples per example decoded in one call, all examples at once (`batch·chunkSize` rows per call).
   * Default: chosen from `rowsPerRun` (see {@link planSampleRuns}).
   */
  readonly chunkSize?: number;
  /**
   * Budget of decoded rows per call when `chunkSize` is not given (default {@link DEFAULT_ROWS_PER_RUN}):
   * examples and samples are split so that each call decodes at most about this many rows.
   */
  readonly rowsPerRun?: number;
  /** Source of ε. */
  readonly rng: Rng;
  readonly likelihood: Likelihood;
  /** Fixed σ of the Gaussian likelihood (ignored for Bernoulli). */
  readonly sigma: number;
  /**
   * Decodes `z` `[n, L]` where row i belongs to example `rows[i]` (use it to pick labels of a
   * conditional model); resolves to logits (Bernoulli) or means (Gaussian) `[n, D]`.
   */
  readonly decode: (z: Tensor, rows: Uint32Array) => Promise<Tensor>;
}

/** Running `log Σ exp w` per example (max-shifted), so chunks of samples can be folded in one at a time. */
class RunningLogMeanExp {
  private readonly max: Float64Array;
  private readonly sum: Float64Array;

  constructor(batch: number) {
    this.max = new Float64Array(batch).fill(-Infinity);
    this.sum = new Float64Array(batch);
  }

  /** Folds `log w` (a log weight, or the log-sum-exp of several) into example `b`. */
  add(b: number, w: number): void {
    const m = this.max[b]!;
    if (w > m) {
      this.sum[b] = this.sum[b]! * Math.exp(m - w) + 1;
      this.max[b] = w;
    } else {
      this.sum[b] = this.sum[b]! + Math.exp(w - m);
    }
  }

  /** `log((1/K) Σ exp w)` per example. */
  result(samples: number): Float64Array {
    const out = new Float64Array(this.max.length);
    const logK = Math.log(samples);
    for (let b = 0; b < out.length; b++) out[b] = this.max[b]! + Math.log(this.sum[b]!) - logK;
    return out;
  }
}

/**
 * Decoded rows per call when neither `chunkSize` nor `rowsPerRun` is given: large enough to amortize
 * a call, small enough that a call's activations stay in cache (docs/BENCHMARKS.md has the sweep).
 */
export const DEFAULT_ROWS_PER_RUN = 4096;

/** How {@link planSampleRuns} splits the work: groups of examples, each scored in chunks of samples. */
export interface SampleRuns {
  /** Examples per group (the last group may be smaller). */
  readonly groupSize: number;
  /** Samples per example per call (the last chunk may be smaller). */
  readonly chunkSize: number;
}

/**
 * Splits K `samples` of `batch` examples into calls. With `chunkSize` given, every call takes all
 * examples and `chunkSize` samples each. Otherwise each call decodes at most about `rowsPerRun`
 * rows: all K samples of as many examples as fit (K larger than the budget is split into balanced
 * chunks of one example), the examples in balanced groups (K=1000 with 10 examples and 4,096 rows
 * gives groups of 4, 4 and 2 examples × 1000 samples; K=5000 gives chunks of 2,500 samples of one
 * example). Many samples of few examples per call rather than few samples of every example: the
 * scorer's per-example work (x, its [x, 1] matrix, one small MatMul per example) shrinks with the
 * examples per call, and 1,000 MNIST images × K=1000 ran ~7% faster than with 4 samples of every
 * image per call (docs/BENCHMARKS.md).
 */
export function planSampleRuns(
  batch: number,
  samples: number,
  o: { readonly chunkSize?: number; readonly rowsPerRun?: number } = {},
): SampleRuns {
  assertInteger(batch, 'batch', 1);
  assertInteger(samples, 'samples', 1);
  if (o.chunkSize !== undefined && o.rowsPerRun !== undefined)
    throw new RangeError(
      `chunkSize, rowsPerRun: expected at most one of them, got chunkSize ${o.chunkSize} and rowsPerRun ${o.rowsPerRun}`,
    );
  if (o.chunkSize !== undefined) return { groupSize: batch, chunkSize: assertInteger(o.chunkSize, 'chunkSize', 1) };
  const budget = assertInteger(o.rowsPerRun ?? DEFAULT_ROWS_PER_RUN, 'rowsPerRun', 1);
  const balanced = (total: number, most: number) => Math.ceil(total / Math.ceil(total / most));
  const chunkSize = balanced(samples, budget);
  return { groupSize: balanced(batch, Math.max(1, Math.floor(budget / chunkSize))), chunkSize };
}

/** What both estimators share: inputs, K, chunking, ε source and likelihood. */
type CommonOptions = Omit<ImportanceSamplingOptions, 'decode'> & Partial<Pick<ImportanceSamplingOptions, 'decode'>>;

function checkOptions<T extends CommonOptions>(
  o: T,
): T & { batch: number; d: number; l: number; samples: number; sigma: number } & SampleRuns {
  if (o === null || typeof o !== 'object') throw new TypeError(`options: expected an object, got ${String(o)}`);
  const { x, mu, logvar, rng, likelihood } = o;
  assertShape(x, [null, null], 'x');
  assertFinite(x, 'x');
  const [batch, d] = x.shape as [number, number];
  assertShape(mu, [batch, null], 'mu');
  assertFinite(mu, 'mu');
  const l = mu.shape[1]!;
  assertShape(logvar, [batch, l], 'logvar');
  assertFinite(logvar, 'logvar');
  const samples = assertInteger(o.samples, 'samples', 1);
  const runs = planSampleRuns(batch, samples, o);
  if (!(likelihood in LIKELIHOODS)) {
    throw new RangeError(
      `likelihood: expected one of ${Object.keys(LIKELIHOODS).join('|')}, got ${JSON.stringify(likelihood)}`,
    );
  }
  const sigma = likelihood === 'gaussian' ? assertNumber(o.sigma, 'sigma', Number.MIN_VALUE) : 1;
  if (!rng || typeof rng.normal !== 'function') throw new TypeError(`rng: expected an Rng, got ${String(rng)}`);
  if (likelihood === 'bernoulli') {
    for (let i = 0; i < x.data.length; i++) {
      const v = x.data[i]!;
      if (v < 0 || v > 1)
        throw new RangeError(`x: expected values in [0, 1] for the Bernoulli likelihood, got ${v} at flat index ${i}`);
    }
  }
  return { ...o, batch, d, l, samples, sigma, ...runs };
}

/** One decoder call of a {@link SampleRuns} plan: examples `start … start + count − 1`, `c` samples each. */
interface SampleCall {
  readonly start: number;
  readonly count: number;
  readonly c: number;
}

/** The calls of `runs` in order: for each group of examples, for each chunk of samples. */
function* sampleCalls(batch: number, samples: number, runs: SampleRuns): Generator<SampleCall> {
  for (let start = 0; start < batch; start += runs.groupSize) {
    const count = Math.min(runs.groupSize, batch - start);
    for (let k0 = 0; k0 < samples; k0 += runs.chunkSize)
      yield { start, count, c: Math.min(runs.chunkSize, samples - k0) };
  }
}

/**
 * Importance-sampled estimate of log p(x) per example, the IWAE bound
 * `log (1/K) Σ_k p(x|z_k) p(z_k) / q(z_k|x)` with `z_k = μ + exp(½·clamp(log σ²))·ε_k`,
 * in nats. K = 1 is the single-sample ELBO estimate `log p(x|z) + log p(z) − log q(z|x)`;
 * the bound tightens towards log p(x) as K grows.
 *
 * The K samples are processed in calls of {@link planSampleRuns} (groups of examples, chunks of
 * samples) with a running log-sum-exp per example, so memory is bounded by one call's rows of z and
 * of decoded pixels.
 *
 * Order of ε: for each group, for each chunk, for each example row of the group, for each sample of
 * the chunk, for each latent dimension, one `rng.normal()`. The decode batch has the same row order
 * (example-major within a call). Consequently, with a single example the result does not depend on
 * the chunking; with several examples another chunking assigns the ε's differently (same
 * distribution, other numbers).
 *
 * log q(z|x) is evaluated from ε (`Σ_j −½ε_j² − ½ log σ_j² − ½ log 2π`) and log p(z) from z in
 * float64; the decoder receives z rounded to float32.
 */
export async function importanceSampledLogLikelihood(o: ImportanceSamplingOptions): Promise<Float64Array> {
  const { x, mu, logvar, rng, likelihood, decode, batch, d, l, samples, sigma, groupSize, chunkSize } = checkOptions(o);
  if (typeof decode !== 'function') throw new TypeError(`decode: expected a function, got ${typeof decode}`);
  const logSigma = Math.log(sigma);
  const invSigma = 1 / sigma;
  const sd = new Float64Array(batch * l);
  const lv = new Float64Array(batch * l);
  for (let i = 0; i < sd.length; i++) {
    lv[i] = clampLogvar(logvar.data[i]!);
    sd[i] = Math.exp(0.5 * lv[i]!);
  }
  const acc = new RunningLogMeanExp(batch);
  for (const { start, count, c } of sampleCalls(batch, samples, { groupSize, chunkSize })) {
    const n = count * c;
    const z = new Float32Array(n * l);
    const rows = new Uint32Array(n);
    const logPriorOverQ = new Float64Array(n);
    for (let b = start; b < start + count; b++) {
      for (let k = 0; k < c; k++) {
        const r = (b - start) * c + k;
        rows[r] = b;
        let acc = 0;
        for (let j = 0; j < l; j++) {
          const e = rng.normal();
          const p = b * l + j;
          const zv = mu.data[p]! + sd[p]! * e;
          z[r * l + j] = zv;
          // log p(z) − log q(z|x) per dimension; the ½ log 2π terms cancel.
          acc += 0.5 * (e * e + lv[p]! - zv * zv);
        }
        logPriorOverQ[r] = acc;
      }
    }
    const decoded = await decode({ data: z, shape: [n, l] }, rows);
    assertShape(decoded, [n, d], 'decode(z, rows) result');
    assertFinite(decoded, 'decode(z, rows) result');
    for (let r = 0; r < n; r++) {
      const b = rows[r]!;
      const xo = b * d;
      const yo = r * d;
      let ll = 0;
      if (likelihood === 'bernoulli') {
        for (let i = 0; i < d; i++) ll += bernoulliLogProb(x.data[xo + i]!, decoded.data[yo + i]!);
      } else {
        for (let i = 0; i < d; i++) ll += gaussianLogProb(x.data[xo + i]!, decoded.data[yo + i]!, logSigma, invSigma);
      }
      acc.add(b, ll + logPriorOverQ[r]!);
    }
  }
  return acc.result(samples);
}

/** Examples `start … start + count − 1` of a batch: what one scorer call scores. */
export interface ScoredGroup {
  readonly start: number;
  readonly count: number;
}

/** Options of {@link scoredLogLikelihood}: those of the JavaScript estimator, with a scorer instead of a decoder. */
export interface ScoredLogLikelihoodOptions extends Omit<ImportanceSamplingOptions, 'decode'> {
  /**
   * Runs a scorer graph (`scorerSignature`) on the examples of `group` with ε `[count·c, L]` (c
   * samples per example, example-major) and resolves to `log Σ_k exp w_k` per example of the group
   * `[count]` over those c samples.
   */
  readonly score: (eps: Tensor, c: number, group: ScoredGroup) => Promise<ArrayLike<number>>;
}

/**
 * The estimate of {@link importanceSampledLogLikelihood}, with the weights computed by a scorer
 * graph: ε are drawn from `rng` in the same order (for each group, chunk, example, sample, latent
 * dimension), rounded to float32 and fed to `score`, whose per-call log-sum-exps are combined here
 * in float64. Agrees with the JavaScript estimator within float32 rounding (tested within 1e-4 nats).
 */
export async function scoredLogLikelihood(o: ScoredLogLikelihoodOptions): Promise<Float64Array> {
  if (o === null || typeof o !== 'object') throw new TypeError(`options: expected an object, got ${String(o)}`);
  const { rng, batch, l, samples, score, groupSize, chunkSize } = checkOptions(o);
  if (typeof score !== 'function') throw new TypeError(`score: expected a function, got ${typeof score}`);
  const acc = new RunningLogMeanExp(batch);
  let eps = new Float32Array(0);
  for (const { start, count, c } of sampleCalls(batch, samples, { groupSize, chunkSize })) {
    if (eps.length !== count * c * l) eps = new Float32Array(count * c * l);
    rng.normals(eps.length, eps);
    const lse = await score({ data: eps, shape: [count * c, l] }, c, { start, count });
    if (lse.length !== count)
      throw new RangeError(`score(eps, c, group) result: expected ${count} values, got ${lse.length}`);
    for (let b = 0; b < count; b++) {
      const w = Number(lse[b]);
      if (Number.isNaN(w))
        throw new RangeError(`score(eps, c, group) result: expected finite values, got NaN for example ${start + b}`);
      acc.add(start + b, w);
    }
  }
  return acc.result(samples);
}
