import { DEFAULT_ROWS_PER_RUN, importanceSampledLogLikelihood } from './importance-sampling.js';
import { elbo as elboTerms } from './losses.js';
import type { Likelihood } from './model-spec.js';
import { Rng } from './rng.js';
import { samplePosterior } from './sampling.js';
import { assertInteger, assertShape, gatherRows, sliceRows, type Tensor } from './tensor.js';

/** Encoder output: μ and log σ² for variational models, the code `z` for plain autoencoders. */
export type EncodeResult = { readonly mu: Tensor; readonly logvar: Tensor } | { readonly z: Tensor };

/** Decoder output: logits (Bernoulli; equal to the mean for Gaussian models) and the mean image. */
export interface DecodeResult {
  readonly logits: Tensor;
  readonly mean: Tensor;
}

/** Encoder and decoder of one runtime, on core tensors (what `VaeModel` offers, and what tfjs can). */
export interface EncoderDecoder {
  encode(x: Tensor, y?: Tensor): Promise<EncodeResult>;
  decode(z: Tensor, y?: Tensor): Promise<DecodeResult>;
}

/** Likelihood facts the scores need (from the manifest or the spec). */
export interface LikelihoodInfo {
  readonly likelihood: Likelihood;
  readonly gaussianSigma: number;
}

function decodedFor(info: LikelihoodInfo, d: DecodeResult): Tensor {
  return info.likelihood === 'bernoulli' ? d.logits : d.mean;
}

function posterior(e: EncodeResult, method: string): { mu: Tensor; logvar: Tensor } {
  if (!('mu' in e)) throw new TypeError(`${method}: expected a variational encoder (mu, logvar), got one returning z`);
  return e;
}

/**
 * Single-sample ELBO per example for any runtime's encoder and decoder: encode, one
 * `samplePosterior(mu, logvar, new Rng(seed))`, decode, core's `elbo` loss terms. `VaeModel.elbo`
 * and the TensorFlow.js parity runtime both go through this one code path, so they draw the same ε.
 * Rows are encoded and decoded in runs of at most `rowsPerRun` (default {@link DEFAULT_ROWS_PER_RUN}),
 * one after the other from the same generator, so the result does not depend on it.
 */
export async function elboVia(
  f: EncoderDecoder,
  info: LikelihoodInfo,
  x: Tensor,
  o: { readonly seed: number; readonly y?: Tensor; readonly rowsPerRun?: number },
): Promise<Float64Array> {
  assertShape(x, [null, null], 'x');
  const n = x.shape[0]!;
  const step = assertInteger(o.rowsPerRun ?? DEFAULT_ROWS_PER_RUN, 'rowsPerRun', 1);
  const rng = new Rng(o.seed);
  const out = new Float64Array(n);
  // One run when everything fits (also an empty batch, which the encoder rejects).
  let start = 0;
  do {
    const end = Math.min(n, start + step);
    const part = n <= step ? x : sliceRows(x, start, end);
    const y = o.y && n > step ? sliceRows(o.y, start, end) : o.y;
    const e = posterior(await f.encode(part, y), 'elbo');
    const { z } = samplePosterior(e.mu, e.logvar, rng);
    const dec = await f.decode(z, y);
    const terms = elboTerms({
      x: part,
      mu: e.mu,
      logvar: e.logvar,
      decoded: decodedFor(info, dec),
      likelihood: info.likelihood,
      sigma: info.gaussianSigma,
    }).elbo;
    out.set(terms, start);
    start = end;
  } while (start < n);
  return out;
}

/**
 * Importance-sampled log p(x) per example for any runtime's encoder and decoder: encode once, then
 * `importanceSampledLogLikelihood` with `new Rng(seed)`, labels gathered per decoded row (the code
 * path of `VaeModel.logLikelihood`).
 */
export async function logLikelihoodVia(
  f: EncoderDecoder,
  info: LikelihoodInfo,
  x: Tensor,
  o: {
    readonly samples: number;
    readonly seed: number;
    readonly chunkSize?: number;
    readonly rowsPerRun?: number;
    readonly y?: Tensor;
  },
): Promise<Float64Array> {
  const e = posterior(await f.encode(x, o.y), 'logLikelihood');
  const y = o.y;
  return importanceSampledLogLikelihood({
    x,
    mu: e.mu,
    logvar: e.logvar,
    samples: o.samples,
    ...(o.chunkSize === undefined ? {} : { chunkSize: o.chunkSize }),
    ...(o.rowsPerRun === undefined ? {} : { rowsPerRun: o.rowsPerRun }),
    rng: new Rng(o.seed),
    likelihood: info.likelihood,
    sigma: info.gaussianSigma,
    decode: async (z, rows) => decodedFor(info, await f.decode(z, y ? gatherRows(y, rows) : undefined)),
  });
}
