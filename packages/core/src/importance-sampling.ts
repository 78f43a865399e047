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
  /** Samples per example decoded in one call (default 100); memory grows with `batch·chunkSize`. */
  readonly chunkSize?: number;
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

/**
 * Importance-sampled estimate of log p(x) per example, the IWAE bound
 * `log (1/K) Σ_k p(x|z_k) p(z_k) / q(z_k|x)` with `z_k = μ + exp(½·clamp(log σ²))·ε_k`,
 * in nats. K = 1 is the single-sample ELBO estimate `log p(x|z) + log p(z) − log q(z|x)`;
 * the bound tightens towards log p(x) as K grows.
 *
 * The K samples are processed in chunks of `chunkSize` with a running log-sum-exp per example, so
 * memory is bounded by one chunk (`batch·chunkSize` rows of z and of decoded pixels).
 *
 * Order of ε: for each chunk, for each example row, for each sample of the chunk, for each latent
 * dimension, one `rng.normal()`. The decode batch has the same row order (example-major within a
 * chunk). Consequently, with a single example the result does not depend on `chunkSize`; with several
 * examples a different `chunkSize` assigns the ε's differently (same distribution, other numbers).
 *
 * log q(z|x) is evaluated from ε (`Σ_j −½ε_j² − ½ log σ_j² − ½ log 2π`) and log p(z) from z in
 * float64; the decoder receives z rounded to float32.
 */
export async function importanceSampledLogLikelihood(o: ImportanceSamplingOptions): Promise<Float64Array> {
  if (o === null || typeof o !== 'object') throw new TypeError(`options: expected an object, got ${String(o)}`);
  const { x, mu, logvar, rng, likelihood, decode } = o;
  assertShape(x, [null, null], 'x');
  assertFinite(x, 'x');
  const [batch, d] = x.shape as [number, number];
  assertShape(mu, [batch, null], 'mu');
  assertFinite(mu, 'mu');
  const l = mu.shape[1]!;
  assertShape(logvar, [batch, l], 'logvar');
  assertFinite(logvar, 'logvar');
  const samples = assertInteger(o.samples, 'samples', 1);
  const chunkSize = assertInteger(o.chunkSize ?? 100, 'chunkSize', 1);
  if (!(likelihood in LIKELIHOODS)) {
    throw new RangeError(`likelihood: expected one of ${Object.keys(LIKELIHOODS).join('|')}, got ${JSON.stringify(likelihood)}`);
  }
  const sigma = likelihood === 'gaussian' ? assertNumber(o.sigma, 'sigma', Number.MIN_VALUE) : 1;
  if (typeof decode !== 'function') throw new TypeError(`decode: expected a function, got ${typeof decode}`);
  if (!rng || typeof rng.normal !== 'function') throw new TypeError(`rng: expected an Rng, got ${String(rng)}`);
  if (likelihood === 'bernoulli') {
    for (let i = 0; i < x.data.length; i++) {
      const v = x.data[i]!;
      if (v < 0 || v > 1) throw new RangeError(`x: expected values in [0, 1] for the Bernoulli likelihood, got ${v} at flat index ${i}`);
    }
  }
  const logSigma = Math.log(sigma);
  const invSigma = 1 / sigma;
  const sd = new Float64Array(batch * l);
  const lv = new Float64Array(batch * l);
  for (let i = 0; i < sd.length; i++) {
    lv[i] = clampLogvar(logvar.data[i]!);
    sd[i] = Math.exp(0.5 * lv[i]!);
  }
  const runMax = new Float64Array(batch).fill(-Infinity);
  const runSum = new Float64Array(batch);
  for (let k0 = 0; k0 < samples; k0 += chunkSize) {
    const c = Math.min(chunkSize, samples - k0);
    const n = batch * c;
    const z = new Float32Array(n * l);
    const rows = new Uint32Array(n);
    const logPriorOverQ = new Float64Array(n);
    for (let b = 0; b < batch; b++) {
      for (let k = 0; k < c; k++) {
        const r = b * c + k;
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
      const w = ll + logPriorOverQ[r]!;
      const m = runMax[b]!;
      if (w > m) {
        runSum[b] = runSum[b]! * Math.exp(m - w) + 1;
        runMax[b] = w;
      } else {
        runSum[b] = runSum[b]! + Math.exp(w - m);
      }
    }
  }
  const out = new Float64Array(batch);
  const logK = Math.log(samples);
  for (let b = 0; b < batch; b++) out[b] = runMax[b]! + Math.log(runSum[b]!) - logK;
  return out;
}
