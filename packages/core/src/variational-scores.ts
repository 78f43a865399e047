import { importanceSampledLogLikelihood } from './importance-sampling.js';
import { elbo as elboTerms } from './losses.js';
import type { Likelihood } from './model-spec.js';
import { Rng } from './rng.js';
import { samplePosterior } from './sampling.js';
import { gatherRows, type Tensor } from './tensor.js';

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
 */
export async function elboVia(
  f: EncoderDecoder,
  info: LikelihoodInfo,
  x: Tensor,
  o: { readonly seed: number; readonly y?: Tensor },
): Promise<Float64Array> {
  const e = posterior(await f.encode(x, o.y), 'elbo');
  const { z } = samplePosterior(e.mu, e.logvar, new Rng(o.seed));
  const dec = await f.decode(z, o.y);
  return elboTerms({
    x,
    mu: e.mu,
    logvar: e.logvar,
    decoded: decodedFor(info, dec),
    likelihood: info.likelihood,
    sigma: info.gaussianSigma,
  }).elbo;
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
  o: { readonly samples: number; readonly seed: number; readonly chunkSize?: number; readonly y?: Tensor },
): Promise<Float64Array> {
  const e = posterior(await f.encode(x, o.y), 'logLikelihood');
  const y = o.y;
  return importanceSampledLogLikelihood({
    x,
    mu: e.mu,
    logvar: e.logvar,
    samples: o.samples,
    ...(o.chunkSize === undefined ? {} : { chunkSize: o.chunkSize }),
    rng: new Rng(o.seed),
    likelihood: info.likelihood,
    sigma: info.gaussianSigma,
    decode: async (z, rows) => decodedFor(info, await f.decode(z, y ? gatherRows(y, rows) : undefined)),
  });
}
