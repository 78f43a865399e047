import { Rng, activeUnits, assertInteger, assertNumber } from '@vae/core';
import { codesChecked, type GroundTruthCodes } from './ground-truth.js';

/** disentanglement_lib's FactorVAE-metric settings (`factor_vae_score.*`, `prune_dims.threshold`). */
export const FACTOR_VAE_DEFAULTS = Object.freeze({
  trainVotes: 10_000,
  evalVotes: 5_000,
  batchSize: 64,
  varianceSamples: 10_000,
  pruneThreshold: 0.05,
});

/** Options of {@link factorVaeScore} (defaults: {@link FACTOR_VAE_DEFAULTS}). */
export interface FactorVaeOptions {
  readonly trainVotes?: number;
  readonly evalVotes?: number;
  readonly batchSize?: number;
  readonly varianceSamples?: number;
  readonly pruneThreshold?: number;
  readonly seed?: number;
  /** Votes whose batches are encoded in one call (default 16; changes no number, only speed). */
  readonly votesPerCall?: number;
}

/** Result of {@link factorVaeScore}. */
export interface FactorVaeResult {
  /** Accuracy of the majority-vote classifier on the evaluation votes (the metric). */
  readonly score: number;
  readonly trainAccuracy: number;
  /** Code dimensions whose variance over the data exceeds the threshold (the only ones voted on). */
  readonly activeDims: readonly number[];
  /** Variance of each code dimension over `varianceSamples` samples. */
  readonly globalVariances: readonly number[];
  /** Chance level of the classifier, 1 / number of factors. */
  readonly chance: number;
  readonly settings: Required<Omit<FactorVaeOptions, 'votesPerCall'>>;
}

/** Per-dimension population variance of `codes` `[n, L]` (core's {@link activeUnits}, float64). */
function variances(codes: Float32Array, n: number, dim: number): Float64Array {
  return activeUnits({ data: codes, shape: [n, dim] }).variances;
}

/**
 * `count` votes: each picks a factor k uniformly, draws a batch with factor k fixed (to the first
 * row's value), and votes (k, d) for the active dimension d of least variance in the batch relative
 * to its global variance. Returns counts `[K, active.length]`.
 */
async function vote(
  gt: GroundTruthCodes,
  rng: Rng,
  count: number,
  batch: number,
  perCall: number,
  global: Float64Array,
  active: readonly number[],
): Promise<Float64Array> {
  const k = gt.sizes.length;
  const votes = new Float64Array(k * active.length);
  for (let start = 0; start < count; start += perCall) {
    const m = Math.min(perCall, count - start);
    const fixed: number[] = [];
    const factors = new Uint8Array(m * batch * k);
    for (let v = 0; v < m; v++) {
      const f = rng.int(k);
      fixed.push(f);
      const rows = gt.sample(batch, rng);
      for (let i = 1; i < batch; i++) rows[i * k + f] = rows[f]!;
      factors.set(rows, v * batch * k);
    }
    const codes = await codesChecked(gt, factors, m * batch);
    for (let v = 0; v < m; v++) {
      const local = variances(
        codes.subarray(v * batch * gt.latentDim, (v + 1) * batch * gt.latentDim),
        batch,
        gt.latentDim,
      );
      let best = 0;
      for (let a = 1; a < active.length; a++)
        if (local[active[a]!]! / global[active[a]!]! < local[active[best]!]! / global[active[best]!]!) best = a;
      votes[fixed[v]! * active.length + best]! += 1;
    }
  }
  return votes;
}

function accuracy(votes: Float64Array, classifier: readonly number[], dims: number): number {
  let hit = 0;
  let total = 0;
  for (let d = 0; d < dims; d++) {
    hit += votes[classifier[d]! * dims + d]!;
    for (let f = 0; f < votes.length / dims; f++) total += votes[f * dims + d]!;
  }
  return total > 0 ? hit / total : 0;
}

/**
 * The FactorVAE disentanglement metric (Kim & Mnih 2018) as disentanglement_lib computes it:
 * global variances of the codes over `varianceSamples` samples; dimensions with variance ≤
 * `pruneThreshold` dropped; `trainVotes` votes build a majority-vote classifier (each code
 * dimension → the factor that voted for it most); its accuracy on `evalVotes` fresh votes is the
 * score. With no active dimension the score is 0. Random codes score about the chance level 1/K.
 */
export async function factorVaeScore(gt: GroundTruthCodes, o: FactorVaeOptions = {}): Promise<FactorVaeResult> {
  const settings = {
    trainVotes: assertInteger(o.trainVotes ?? FACTOR_VAE_DEFAULTS.trainVotes, 'trainVotes', 1),
    evalVotes: assertInteger(o.evalVotes ?? FACTOR_VAE_DEFAULTS.evalVotes, 'evalVotes', 1),
    batchSize: assertInteger(o.batchSize ?? FACTOR_VAE_DEFAULTS.batchSize, 'batchSize', 2),
    varianceSamples: assertInteger(o.varianceSamples ?? FACTOR_VAE_DEFAULTS.varianceSamples, 'varianceSamples', 2),
    pruneThreshold: assertNumber(o.pruneThreshold ?? FACTOR_VAE_DEFAULTS.pruneThreshold, 'pruneThreshold', 0),
    seed: o.seed ?? 0,
  };
  const perCall = assertInteger(o.votesPerCall ?? 16, 'votesPerCall', 1);
  const rng = new Rng(settings.seed);
  const l = gt.latentDim;
  const k = gt.sizes.length;
  const global = variances(
    await codesChecked(gt, gt.sample(settings.varianceSamples, rng), settings.varianceSamples),
    settings.varianceSamples,
    l,
  );
  const activeDims = Array.from({ length: l }, (_, j) => j).filter((j) => global[j]! > settings.pruneThreshold);
  const base = { activeDims, globalVariances: Array.from(global), chance: 1 / k, settings };
  if (activeDims.length === 0) return { score: 0, trainAccuracy: 0, ...base };
  const trainVotes = await vote(gt, rng, settings.trainVotes, settings.batchSize, perCall, global, activeDims);
  const dims = activeDims.length;
  const classifier = Array.from({ length: dims }, (_, d) => {
    let best = 0;
    for (let f = 1; f < k; f++) if (trainVotes[f * dims + d]! > trainVotes[best * dims + d]!) best = f;
    return best;
  });
  const evalVotes = await vote(gt, rng, settings.evalVotes, settings.batchSize, perCall, global, activeDims);
  return {
    score: accuracy(evalVotes, classifier, dims),
    trainAccuracy: accuracy(trainVotes, classifier, dims),
    ...base,
  };
}
