import { oneHot, type Rng } from '@vae/core';
import { openLatentSource, type LatentSource, type ModelLocation, type OpenLatentOptions } from '../latent-source.js';
import { SHAPES_FACTORS, SHAPES_SIZE, renderShapes, sampleShapesFactors } from '../shapes.js';
import { factorVaeScore, type FactorVaeOptions, type FactorVaeResult } from './factor-vae.js';
import type { GroundTruthCodes } from './ground-truth.js';
import { MIG_DEFAULTS, mutualInformationGap, type MigResult } from './mig.js';

/** Rows per encoder run when encoding generated sprites. */
const ENCODE_ROWS = 1024;

/**
 * The `shapes` factor grid seen through a model: factors are sampled uniformly per factor, the
 * sprites rendered, and the representation is the encoder's μ (variational) or code (autoencoders),
 * as disentanglement_lib uses the mean representation.
 */
export function shapesGroundTruth(source: Pick<LatentSource, 'model'>): GroundTruthCodes {
  const { model } = source;
  const px = SHAPES_SIZE * SHAPES_SIZE;
  if (model.inputSize !== px)
    throw new RangeError(
      `model: expected a model of 64×64×1 images for the shapes factor grid, got ${model.manifest.imageShape.join('×')}`,
    );
  const k = SHAPES_FACTORS.sizes.length;
  return {
    ...SHAPES_FACTORS,
    latentDim: model.latentDim,
    sample: (count: number, rng: Rng) => sampleShapesFactors(count, rng),
    async codes(factors, count) {
      const out = new Float32Array(count * model.latentDim);
      for (let start = 0; start < count; start += ENCODE_ROWS) {
        const m = Math.min(ENCODE_ROWS, count - start);
        const rows = factors.subarray(start * k, (start + m) * k);
        const bytes = renderShapes(rows, m);
        const x = { data: Float32Array.from(bytes, (v) => v / 255), shape: [m, px] };
        const y =
          model.numClasses > 0
            ? oneHot(
                Array.from({ length: m }, (_, i) => rows[i * k]!),
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
 * MIG and the FactorVAE metric of a model trained on `shapes` (a run folder or an exported model
 * directory), on freshly rendered sprites of the full factor grid.
 */
export async function evaluateDisentanglement(
  at: ModelLocation,
  o: DisentanglementOptions = {},
): Promise<DisentanglementResult> {
  const started = performance.now();
  const source = await openLatentSource(at, o);
  try {
    if (source.dataset !== 'shapes')
      throw new RangeError(
        `dataset: expected a model trained on shapes (the only dataset with ground-truth factors), got ${JSON.stringify(source.dataset)} for ${source.location}`,
      );
    const gt = shapesGroundTruth(source);
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
