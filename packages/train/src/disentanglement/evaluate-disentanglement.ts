import { oneHot, sizeText, type Rng } from '@vae/core';
import { pixelsToUnit, type FactorSet } from '@vae/data';
import { datasetInfo, listDatasets } from '@vae/data/node';
import {
  openLatentSource,
  type LatentSource,
  type ModelLocation,
  type OpenLatentOptions,
} from '../latent/latent-source.js';
import { factorVaeScore, type FactorVaeOptions, type FactorVaeResult } from './factor-vae.js';
import type { GroundTruthCodes } from './ground-truth.js';
import { MIG_DEFAULTS, mutualInformationGap, type MigResult } from './mig.js';

/** Rows per encoder run when encoding generated images. */
const ENCODE_ROWS = 1024;

/**
 * A dataset's factor grid seen through a model: factors are sampled uniformly per factor, the
 * images rendered, and the representation is the encoder's μ (variational) or code (autoencoders),
 * as disentanglement_lib uses the mean representation.
 */
export function factorGroundTruth(set: FactorSet, source: Pick<LatentSource, 'model'>): GroundTruthCodes {
  const { model } = source;
  const [h, w, c] = set.imageShape;
  const px = h * w * c;
  if (model.inputSize !== px)
    throw new RangeError(
      `model: expected a model of ${sizeText(...set.imageShape)} images for the factor grid, got ${sizeText(...model.manifest.imageShape)}`,
    );
  return {
    names: set.names,
    sizes: set.sizes,
    latentDim: model.latentDim,
    sample: (count: number, rng: Rng) => set.sample(count, rng),
    async codes(factors, count) {
      const k = set.sizes.length;
      const out = new Float32Array(count * model.latentDim);
      for (let start = 0; start < count; start += ENCODE_ROWS) {
        const m = Math.min(ENCODE_ROWS, count - start);
        const rows = factors.subarray(start * k, (start + m) * k);
        const x = { data: pixelsToUnit(set.render(rows, m)), shape: [m, px] };
        const y =
          model.numClasses > 0
            ? oneHot(
                Array.from({ length: m }, (_, i) => set.labelOf(rows, i)),
                model.numClasses,
              )
            : undefined;
        out.set((await model.embed(x, y)).data, start * model.latentDim);
      }
      return out;
    },
  };
}

/** Options of {@link evaluateDisentanglement}. */
export interface DisentanglementOptions extends OpenLatentOptions {
  /** MIG samples (default 10,000) and bins (default 20). */
  readonly migSamples?: number;
  readonly migBins?: number;
  /** FactorVAE settings (defaults: disentanglement_lib's). */
  readonly factorVae?: FactorVaeOptions;
  /** Seed of the factor draws (default 0). */
  readonly seed?: number;
}

/** Result of {@link evaluateDisentanglement}. */
export interface DisentanglementResult {
  readonly location: string;
  readonly latentDim: number;
  readonly variational: boolean;
  readonly factors: readonly string[];
  readonly mig: MigResult;
  readonly factorVae: FactorVaeResult;
  readonly seconds: number;
}

/**
 * MIG and the FactorVAE metric of a model trained on a dataset with ground-truth factors (`shapes`, `color-shapes`) (a run folder or an exported model
 * directory), on freshly rendered sprites of the full factor grid.
 */
export async function evaluateDisentanglement(
  at: ModelLocation,
  o: DisentanglementOptions = {},
): Promise<DisentanglementResult> {
  const started = performance.now();
  const source = await openLatentSource(at, o);
  try {
    const set = datasetInfo(source.dataset).factors;
    if (!set)
      throw new RangeError(
        `dataset: expected a model trained on a dataset with ground-truth factors (${withFactors().join('|')}), got ${JSON.stringify(source.dataset)} for ${source.location}`,
      );
    const gt = factorGroundTruth(set, source);
    const seed = o.seed ?? 0;
    const mig = await mutualInformationGap(gt, {
      samples: o.migSamples ?? MIG_DEFAULTS.samples,
      bins: o.migBins ?? MIG_DEFAULTS.bins,
      seed,
    });
    const factorVae = await factorVaeScore(gt, { seed: seed + 1, ...o.factorVae });
    return {
      location: source.location,
      latentDim: gt.latentDim,
      variational: source.model.variational,
      factors: gt.names,
      mig,
      factorVae,
      seconds: (performance.now() - started) / 1000,
    };
  } finally {
    await source.release();
  }
}

/** Registered datasets with ground-truth factors. */
function withFactors(): string[] {
  return listDatasets()
    .filter((d) => d.factors)
    .map((d) => d.name);
}
