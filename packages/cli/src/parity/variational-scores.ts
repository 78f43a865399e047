import {
  Rng,
  elbo as elboTerms,
  importanceSampledLogLikelihood,
  samplePosterior,
  type DecodeResult,
  type EncodeResult,
  type Likelihood,
  type Tensor,
} from '@vae/core';

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

/** Rows `rows[i]` of a batch-first tensor `[n, W]`. */
function gatherRows(t: Tensor, rows: ArrayLike<number>): Tensor {
  const width = t.shape[1]!;
  const out = new Float32Array(rows.length * width);
  for (let i = 0; i < rows.length; i++) {
    const r = rows[i]!;
    out.set(t.data.subarray(r * width, (r + 1) * width), i * width);
  }
  return { data: out, shape: [rows.length, width] };
}

/**
 * Single-sample ELBO per example, exactly as `VaeModel.elbo` computes it: encode, one
 * `samplePosterior(mu, logvar, new Rng(seed))`, decode, core's `elbo` loss terms.
 * (Kept here so the TensorFlow.js runtime shares the code path; candidate for `@vae/core`.)
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
  return elboTerms({ x, mu: e.mu, logvar: e.logvar, decoded: decodedFor(info, dec), likelihood: info.likelihood, sigma: info.gaussianSigma }).elbo;
}

/**
 * Importance-sampled log p(x) per example, exactly as `VaeModel.logLikelihood` computes it:
 * encode once, then core's `importanceSampledLogLikelihood` with `new Rng(seed)`, labels gathered
 * per decoded row.
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
