import { join } from 'node:path';
import {
  Rng,
  latentTraversal,
  modelKindInfo,
  oneHot,
  samplePrior,
  type ModelSpec,
  type ParameterSet,
  type Tensor,
  type VaeModel,
} from '@vae/core';
import { writeFileAtomic } from '@vae/data/node';
import { gatherPixels } from './batches/batch-impl.js';
import type { Binarization } from './config.js';
import type { ImageSplit } from '@vae/data';
import type { EpochMetrics } from './checkpoint/metrics.js';
import type { PngCanvas } from './png-canvas.js';
import { latentScatter } from './latent/latent-views.js';
import { imageGrid, lineChart } from './plots-impl.js';
import { loadOnnxModel } from './eval/onnx-model.js';

/** File names of the run-folder plots. */
export const PLOT_FILES = Object.freeze({
  lossCurve: 'loss-curve.png',
  reconstructions: 'reconstructions.png',
  priorSamples: 'prior-samples.png',
  traversal: 'latent-traversal.png',
  scatter: 'latent-scatter.png',
});

/** Inputs of {@link writeRunPlots}. */
export interface RunPlotInputs {
  readonly runDir: string;
  readonly spec: ModelSpec;
  readonly params: ParameterSet;
  readonly metrics: readonly EpochMetrics[];
  /** Validation split: reconstructions of its first images, the scatter of (up to 2,000 of) its embeddings. */
  readonly val: ImageSplit;
  readonly seed: number;
  readonly binarize: Binarization;
}

/** Pixel means in [0, 1] decoded from `z` (σ of the logits, or the Gaussian mean). */
async function decodePixels(model: VaeModel, z: Tensor, y: Tensor | undefined): Promise<Float32Array> {
  return (await model.decode(z, y)).mean.data;
}

function labelsFor(spec: ModelSpec, labels: ArrayLike<number>): Tensor | undefined {
  return modelKindInfo(spec.kind).conditional ? oneHot(labels, spec.numClasses) : undefined;
}

/**
 * Writes the PNGs of a run folder, computed on onnxruntime-node's CPU EP (the model's graphs built
 * in memory; fast for every architecture), and returns their paths: loss curve
 * (train/val loss per epoch), reconstructions (originals above, reconstructions below), prior
 * samples (variational kinds), latent traversal, and a latent scatter coloured by label (the
 * principal-component plane when the latent space has more than 2 dimensions). Randomness comes from `Rng(seed)` streams of their own.
 */
export async function writeRunPlots(o: RunPlotInputs): Promise<string[]> {
  const { spec, runDir } = o;
  const written: string[] = [];
  const save = async (file: string, canvas: PngCanvas): Promise<void> => {
    const path = join(runDir, file);
    await writeFileAtomic(path, canvas.encode());
    written.push(path);
  };
  if (o.metrics.length > 0) {
    const x = o.metrics.map((m) => m.epoch);
    await save(
      PLOT_FILES.lossCurve,
      lineChart(
        [
          { name: 'train', x, y: o.metrics.map((m) => m.trainLoss), colour: [31, 119, 180] },
          { name: 'val', x, y: o.metrics.map((m) => m.valLoss), colour: [214, 39, 40] },
        ],
        'loss nats per example by epoch',
      ),
    );
  }
  const model = await loadOnnxModel(spec, o.params, { device: 'cpu', location: `${runDir} (plots)` });
  try {
    const d = o.val.images.length / o.val.count;
    const variational = modelKindInfo(spec.kind).variational;
    const n = Math.min(16, o.val.count);
    const rows = Uint32Array.from({ length: n }, (_, i) => i);
    const rng = new Rng(o.seed + 0x9107);
    const x: Tensor = {
      data: gatherPixels(o.val.images, d, rows, o.binarize === 'dynamic' ? 'none' : o.binarize, rng),
      shape: [n, d],
    };
    const y = labelsFor(spec, o.val.labels.subarray(0, n));
    const z = await model.embed(x, y);
    const recon = await decodePixels(model, z, y);
    const both = new Float32Array(2 * n * d);
    both.set(x.data);
    both.set(recon, n * d);
    await save(PLOT_FILES.reconstructions, imageGrid(both, 2 * n, spec.imageShape, n));

    if (variational) {
      const count = 64;
      const prior = samplePrior(rng, count, spec.latentDim);
      const py = labelsFor(
        spec,
        Array.from({ length: count }, (_, i) => i % spec.numClasses),
      );
      await save(PLOT_FILES.priorSamples, imageGrid(await decodePixels(model, prior, py), count, spec.imageShape, 8));
    }

    const scatterN = Math.min(2000, o.val.count);
    const all = Uint32Array.from({ length: scatterN }, (_, i) => i);
    const xs: Tensor = {
      data: gatherPixels(o.val.images, d, all, o.binarize === 'dynamic' ? 'none' : o.binarize, rng),
      shape: [scatterN, d],
    };
    const emb = await model.embed(xs, labelsFor(spec, o.val.labels.subarray(0, scatterN)));
    const dims = Array.from({ length: Math.min(10, spec.latentDim) }, (_, i) => i);
    let values: number[];
    if (variational) values = [-3, -2.25, -1.5, -0.75, 0, 0.75, 1.5, 2.25, 3];
    else {
      let lo = Infinity;
      let hi = -Infinity;
      for (const v of emb.data) {
        lo = Math.min(lo, v);
        hi = Math.max(hi, v);
      }
      values = Array.from({ length: 9 }, (_, i) => lo + ((hi - lo) * i) / 8);
    }
    const base: Tensor = { data: z.data.slice(0, spec.latentDim), shape: [spec.latentDim] };
    const trav = latentTraversal(base, dims, values);
    const ty = labelsFor(spec, new Array<number>(trav.shape[0]!).fill(o.val.labels[0]!));
    await save(
      PLOT_FILES.traversal,
      imageGrid(await decodePixels(model, trav, ty), trav.shape[0]!, spec.imageShape, values.length),
    );

    if (spec.latentDim >= 2) {
      const labels = o.val.labels.subarray(0, scatterN);
      await save(PLOT_FILES.scatter, latentScatter(emb.data, labels, spec.latentDim, variational).canvas);
    }
  } finally {
    await model.release();
  }
  return written;
}
