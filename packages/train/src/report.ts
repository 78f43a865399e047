import {
  Rng,
  clampLogvar,
  importanceSampledLogLikelihood,
  mean,
  modelObjective,
  type ModelSpec,
  type ObjectiveTerms,
  type Tensor,
} from '@vae/core';
import type { StepOutputs, TrainBatch } from './engines/engine.js';

/** Terms reported for one batch: core's `ObjectiveTerms`, plus the IWAE bound when S > 1. */
export interface ReportedTerms extends ObjectiveTerms {
  /** Mean importance-weighted bound (nats, ≤ log p(x)) when trained with S > 1 samples, else `null`. */
  readonly iwBound: number | null;
}

function everyNth(t: Tensor, n: number): Tensor {
  if (n === 1) return t;
  const [rows, cols] = t.shape as [number, number];
  const out = new Float32Array((rows / n) * cols);
  for (let r = 0; r < rows / n; r++) out.set(t.data.subarray(r * n * cols, (r * n + 1) * cols), r * cols);
  return { data: out, shape: [rows / n, cols] };
}

/**
 * Evaluates the losses of one batch with `@vae/core` from the engine's forward outputs: the same
 * numbers an engine-independent evaluation of those outputs gives. With S = 1 this is
 * `modelObjective` (what training minimised). With S > 1 the loss is minus the mean IWAE bound from
 * `importanceSampledLogLikelihood`, replaying the batch's ε from `batch.epsRngState` and using the
 * engine's decoded rows; reconstruction, KL and ELBO then describe the first of the S samples.
 */
export async function reportTerms(spec: ModelSpec, batch: TrainBatch, out: StepOutputs): Promise<ReportedTerms> {
  const s = batch.samples;
  const terms = modelObjective(spec, {
    x: batch.target,
    decoded: everyNth(out.decoded, s),
    ...(out.mu ? { mu: out.mu } : {}),
    ...(out.logvar ? { logvar: out.logvar } : {}),
    ...(out.code ? { code: out.code } : {}),
    ...(out.objectiveParams ? { params: out.objectiveParams } : {}),
    ...(s === 1 && batch.eps ? { eps: batch.eps } : {}),
  });
  if (s === 1) return { ...terms, iwBound: null };
  if (!batch.epsRngState || !out.mu || !out.logvar)
    throw new Error('reportTerms: an importance-weighted batch needs epsRngState, mu and logvar');
  const eps = batch.eps!;
  const bound = await importanceSampledLogLikelihood({
    x: batch.target,
    mu: out.mu,
    logvar: out.logvar,
    samples: s,
    chunkSize: s,
    rng: Rng.fromState(batch.epsRngState),
    likelihood: spec.likelihood,
    sigma: spec.gaussianSigma,
    decode: async (z) => {
      // Guard the replay: core must have drawn the very ε the engine used (same order, same stream).
      const [zr, l] = z.shape as [number, number];
      for (let r = 0; r < zr; r += Math.max(1, Math.floor(zr / 7))) {
        const b = Math.floor(r / s);
        const lv = clampLogvar(out.logvar!.data[b * l]!);
        const expected = out.mu!.data[b * l]! + Math.exp(0.5 * lv) * eps.data[r * l]!;
        if (Math.abs(expected - z.data[r * l]!) > 1e-3 * (1 + Math.abs(expected))) {
          throw new Error(
            `reportTerms: replayed ε differs from the batch's at row ${r}; the batch's epsRngState does not match its eps`,
          );
        }
      }
      return out.decoded;
    },
  });
  const iwBound = mean(bound);
  return { ...terms, loss: -iwBound, iwBound };
}
