import { join } from 'node:path';
import {
  ACTIVE_UNIT_THRESHOLD,
  Rng,
  activeUnits,
  getLogger,
  klPerDimension,
  latentTraversal,
  modelKindInfo,
  oneHot,
  samplePrior,
  type EncodeResult,
  type ModelSpec,
  type ParameterSet,
  type Tensor,
  type VaeModel,
} from '@vae/core';
import { gatherPixels } from '../batches/batch-impl.js';
import type { Binarization } from '../config.js';
import type { ImageSplit } from '@vae/data';
import type { EpochMetrics } from '../checkpoint/metrics.js';
import { latentScatter } from '../latent/latent-views.js';
import { loadOnnxModel } from '../eval/onnx-model.js';
import { imageGrid } from './image-grid.js';
import { preloadPlotting, renderFigure, writeFigure } from './render.js';
import { writeRunReport, type RunTraining } from './report-html.js';
import { formatValue, imageGridSpec, klBarsSpec, lossCurveSpec, type PlotSpec } from './specs.js';

const log = getLogger('plots');

/** File names of the run-folder plots (each also written as `.svg` beside the `.png`). */
export const PLOT_FILES = Object.freeze({
  lossCurve: 'loss-curve.png',
  reconstructions: 'reconstructions.png',
  priorSamples: 'prior-samples.png',
  traversal: 'latent-traversal.png',
  scatter: 'latent-scatter.png',
  kl: 'latent-kl.png',
});

/** Inputs of {@link writeRunPlots}. */
export interface RunPlotInputs {
  readonly runDir: string;
  readonly spec: ModelSpec;
  readonly params: ParameterSet;
  readonly metrics: readonly EpochMetrics[];
  /** Validation split: reconstructions of its first images, the scatter of (up to 2,000 of) its embeddings. */
  readonly val: ImageSplit;
  /** Class names in label order (the scatter's legend); null: unlabelled data, one colour; absent: label values. */
  readonly classNames?: readonly string[] | null;
  readonly seed: number;
  readonly binarize: Binarization;
  /** How the run went (engine, timings, stop reason), shown in `report.html`; no report without it. */
  readonly training?: RunTraining;
}

/** Pixel means in [0, 1] decoded from `z` (σ of the logits, or the Gaussian mean). */
async function decodePixels(model: VaeModel, z: Tensor, y: Tensor | undefined): Promise<Float32Array> {
  return (await model.decode(z, y)).mean.data;
}

function labelsFor(spec: ModelSpec, labels: ArrayLike<number>): Tensor | undefined {
  return modelKindInfo(spec.kind).conditional ? oneHot(labels, spec.numClasses) : undefined;
}

/** Traversal values: ±3 prior standard deviations (variational), else the codes' range, 9 columns. */
function traversalValues(variational: boolean, codes: Float32Array): number[] {
  if (variational) return [-3, -2.25, -1.5, -0.75, 0, 0.75, 1.5, 2.25, 3];
  let lo = Infinity;
  let hi = -Infinity;
  for (const v of codes) {
    lo = Math.min(lo, v);
    hi = Math.max(hi, v);
  }
  return Array.from({ length: 9 }, (_, i) => lo + ((hi - lo) * i) / 8);
}

/**
 * Writes the figures of a run folder as SVG + PNG (Vega-Lite, rendered headless; see `render.ts`),
 * computed on onnxruntime-node's CPU EP (the model's graphs built in memory; fast for every
 * architecture): training curves (ELBO, objective, reconstruction, KL per epoch, train and val),
 * reconstructions (originals above, reconstructions below), prior samples (variational kinds), latent
 * traversal, the latent scatter by label (principal components when L > 2) and the KL per dimension
 * (variational kinds); then `report.html` when `training` is given. Returns the paths written.
 * Randomness comes from `Rng(seed)` streams of their own.
 */
export async function writeRunPlots(o: RunPlotInputs): Promise<string[]> {
  const { spec, runDir } = o;
  const started = performance.now();
  const written: string[] = [];
  const save = async (file: string, figure: PlotSpec): Promise<void> => {
    written.push(...(await writeFigure(join(runDir, file.replace(/\.png$/, '')), await renderFigure(figure))));
  };
  // The plotting libraries load while onnxruntime builds the model's graphs (a failed load is
  // reported by the first renderFigure, which awaits the same promise).
  preloadPlotting().catch(() => undefined);
  const model = await loadOnnxModel(spec, o.params, { device: 'cpu', location: `${runDir} (plots)` });
  try {
    await plotFigures(o, model, save);
  } finally {
    await model.release();
  }
  if (o.training) written.push(await writeRunReport({ runDir, spec, metrics: o.metrics, training: o.training }));
  log.info(
    `${written.length} files (figures as SVG + PNG${o.training ? ', report.html' : ''}) in ${((performance.now() - started) / 1000).toFixed(1)} s`,
  );
  return written;
}

/** What the figures of a run share: its inputs, the loaded model, one seeded `Rng` and the saving step. */
interface PlotContext {
  readonly o: RunPlotInputs;
  readonly spec: ModelSpec;
  readonly model: VaeModel;
  /** Values per image. */
  readonly d: number;
  readonly variational: boolean;
  /** Dynamic binarization is shown as the intensities; static and none are kept. */
  readonly binarize: Binarization;
  readonly rng: Rng;
  readonly save: (file: string, figure: PlotSpec) => Promise<void>;
}

/** Renders and saves every figure in order (the `Rng` draws follow it: reconstructions, prior, scatter). */
async function plotFigures(
  o: RunPlotInputs,
  model: VaeModel,
  save: (file: string, figure: PlotSpec) => Promise<void>,
): Promise<void> {
  const { spec } = o;
  if (o.metrics.length > 0) await save(PLOT_FILES.lossCurve, lossCurveSpec(o.metrics));
  const p: PlotContext = {
    o,
    spec,
    model,
    d: o.val.images.length / o.val.count,
    variational: modelKindInfo(spec.kind).variational,
    binarize: o.binarize === 'dynamic' ? 'none' : o.binarize,
    rng: new Rng(o.seed + 0x9107),
    save,
  };
  const z = await plotReconstructions(p);
  if (p.variational) await plotPriorSamples(p);
  const scatter = await encodeScatterRows(p);
  await plotTraversal(p, z, scatter.embeddings);
  if (spec.latentDim >= 2) await plotScatter(p, scatter);
  if ('mu' in scatter.encoded) await plotKl(p, scatter.encoded);
}

/** Saves the first 16 validation images above their reconstructions; returns their embeddings. */
async function plotReconstructions(p: PlotContext): Promise<Tensor> {
  const { o, spec, model, d } = p;
  const n = Math.min(16, o.val.count);
  const rows = Uint32Array.from({ length: n }, (_, i) => i);
  const x: Tensor = { data: gatherPixels(o.val.images, d, rows, p.binarize, p.rng), shape: [n, d] };
  const y = labelsFor(spec, o.val.labels.subarray(0, n));
  const z = await model.embed(x, y);
  const both = new Float32Array(2 * n * d);
  both.set(x.data);
  both.set(await decodePixels(model, z, y), n * d);
  await p.save(
    PLOT_FILES.reconstructions,
    imageGridSpec({
      grid: imageGrid(both, 2 * n, spec.imageShape, n),
      title: 'Reconstructions',
      subtitle: `first ${n} validation images (top) and the decoder's mean at their ${p.variational ? 'posterior mean' : 'code'} (bottom)`,
      rowLabels: ['input', 'output'],
    }),
  );
  return z;
}

/** Saves the decoder's means at 64 draws from the prior (classes in turn for conditional kinds). */
async function plotPriorSamples(p: PlotContext): Promise<void> {
  const { spec } = p;
  const count = 64;
  const prior = samplePrior(p.rng, count, spec.latentDim);
  const py = labelsFor(
    spec,
    Array.from({ length: count }, (_, i) => i % spec.numClasses),
  );
  await p.save(
    PLOT_FILES.priorSamples,
    imageGridSpec({
      grid: imageGrid(await decodePixels(p.model, prior, py), count, spec.imageShape, 8),
      title: 'Samples from the prior',
      subtitle: `decoder means at ${count} draws z ~ N(0, I)${py ? ', classes in turn' : ''}`,
    }),
  );
}

/** The first (up to 2,000) validation images encoded: their encodings, embeddings (μ or code) and count. */
interface ScatterRows {
  readonly encoded: EncodeResult;
  readonly embeddings: Tensor;
  readonly count: number;
}

/** Encodes the first (up to 2,000) validation images for the scatter, the traversal's range and the KL. */
async function encodeScatterRows(p: PlotContext): Promise<ScatterRows> {
  const { o, spec, d } = p;
  const count = Math.min(2000, o.val.count);
  const all = Uint32Array.from({ length: count }, (_, i) => i);
  const xs: Tensor = { data: gatherPixels(o.val.images, d, all, p.binarize, p.rng), shape: [count, d] };
  const ys = labelsFor(spec, o.val.labels.subarray(0, count));
  const encoded = await p.model.encode(xs, ys);
  return { encoded, embeddings: 'mu' in encoded ? encoded.mu : encoded.z, count };
}

/** Saves the latent traversal around the first validation image's embedding (the first row of `z`). */
async function plotTraversal(p: PlotContext, z: Tensor, embeddings: Tensor): Promise<void> {
  const { o, spec, variational } = p;
  const dims = Array.from({ length: Math.min(10, spec.latentDim) }, (_, i) => i);
  const values = traversalValues(variational, embeddings.data);
  const base: Tensor = { data: z.data.slice(0, spec.latentDim), shape: [spec.latentDim] };
  const trav = latentTraversal(base, dims, values);
  const ty = labelsFor(spec, new Array<number>(trav.shape[0]!).fill(o.val.labels[0]!));
  await p.save(
    PLOT_FILES.traversal,
    imageGridSpec({
      grid: imageGrid(await decodePixels(p.model, trav, ty), trav.shape[0]!, spec.imageShape, values.length),
      title: 'Latent traversal',
      subtitle: `each row sets one dimension to the column's value, the others at the first validation image's ${variational ? 'μ' : 'code'}`,
      colLabels: values.map(formatValue),
      rowLabels: dims.map((j) => `z${j}`),
      xTitle: variational ? 'z_j (prior standard deviations)' : 'z_j (range of the codes)',
      yTitle: 'dimension',
    }),
  );
}

/** Saves the scatter of the embeddings by label (principal components when L > 2). */
async function plotScatter(p: PlotContext, scatter: ScatterRows): Promise<void> {
  const { o, spec } = p;
  const labels = o.classNames === null ? null : o.val.labels.subarray(0, scatter.count);
  const names = o.classNames ?? undefined;
  await p.save(
    PLOT_FILES.scatter,
    latentScatter(scatter.embeddings.data, labels, spec.latentDim, p.variational, names, scatter.count).spec,
  );
}

/** Saves the KL per latent dimension, active units marked. */
async function plotKl(p: PlotContext, encoded: { readonly mu: Tensor; readonly logvar: Tensor }): Promise<void> {
  const active = Array.from(activeUnits(encoded.mu).variances, (v) => v > ACTIVE_UNIT_THRESHOLD);
  await p.save(PLOT_FILES.kl, klBarsSpec(klPerDimension(encoded.mu, encoded.logvar), active));
}
