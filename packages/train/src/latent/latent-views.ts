import { join } from 'node:path';
import {
  ACTIVE_UNIT_THRESHOLD,
  Rng,
  activeUnits,
  assertInteger,
  clampLogvar,
  fitPca,
  klPerDimension,
  normalQuantile,
  oneHot,
  projectPca,
  type Tensor,
} from '@vae/core';
import { writeFileAtomic } from '@vae/data/node';
import { inputsOf, type LatentSource } from './latent-source.js';
import { imageGrid } from '../plots/image-grid.js';
import { renderFigure, writeFigure } from '../plots/render.js';
import {
  formatValue,
  imageGridSpec,
  klBarsSpec,
  posteriorSpec,
  scatterSpec,
  sideBySideSpec,
  stackSpec,
  type PlotSpec,
} from '../plots/specs.js';

/** File names `vae latent` writes into its output folder. */
export const LATENT_FILES = Object.freeze({
  scatter: 'latent-scatter.png',
  manifold: 'latent-manifold.png',
  kl: 'latent-kl.png',
  posteriors: 'latent-posteriors.png',
  summary: 'latent.json',
  compareScatter: 'compare-scatter.png',
  compareManifold: 'compare-manifold.png',
  compareKl: 'compare-kl.png',
});

/**
 * A 2-D view of latent codes `[n, L]`: the codes themselves for L = 2, else their first two
 * principal components (core's `fitPca`, as in the web demo's latent map). `explained` is the
 * share of the total variance on those two axes (1 for L = 2).
 */
export function latentPlane(
  codes: Float32Array,
  n: number,
  dim: number,
): { points: Float32Array; explained: number; axes: string } {
  if (dim === 2) return { points: codes, explained: 1, axes: 'z1 z2' };
  const pca = fitPca(codes, n, dim, Math.min(2, dim));
  const projected = projectPca(pca, codes, n);
  const points = new Float32Array(2 * n);
  for (let i = 0; i < n; i++) {
    points[2 * i] = projected[i * pca.k]!;
    points[2 * i + 1] = pca.k > 1 ? projected[i * pca.k + 1]! : 0;
  }
  const explained = pca.totalVariance > 0 ? (pca.variances[0]! + (pca.variances[1] ?? 0)) / pca.totalVariance : 0;
  return { points, explained, axes: `of L = ${dim}` };
}

/**
 * The scatter of latent codes coloured by label: direct for L = 2, principal components otherwise;
 * the legend names `classNames` (default: the label values). `labels` null: data without labels, one colour.
 */
export function latentScatter(
  codes: Float32Array,
  labels: ArrayLike<number> | null,
  dim: number,
  variational: boolean,
  classNames?: readonly string[],
  count = labels?.length ?? codes.length / dim,
): { spec: PlotSpec; explained: number } {
  const { points, explained, axes } = latentPlane(codes, count, dim);
  const what = variational ? 'posterior means' : 'codes';
  const pct = Math.round(100 * explained);
  return {
    spec: scatterSpec({
      points,
      labels,
      ...(classNames ? { classNames } : {}),
      title:
        dim === 2 ? `Latent ${what}${labels ? ' by label' : ''}` : `Latent ${what}, first two principal components`,
      subtitle:
        dim === 2
          ? `${count.toLocaleString('en')} images`
          : `${count.toLocaleString('en')} images; PC 1 and PC 2 ${axes} hold ${pct} % of the variance`,
      axes: dim === 2 ? ['z1', 'z2'] : ['PC 1', 'PC 2'],
    }),
    explained,
  };
}

/** Encodings of the first `n` test images: μ and log σ² (variational) or the code (autoencoders). */
async function encodeTest(source: LatentSource, n: number, rng: Rng): Promise<{ mu: Tensor; logvar: Tensor | null }> {
  const l = source.model.latentDim;
  const mu = new Float32Array(n * l);
  const logvar = source.model.variational ? new Float32Array(n * l) : null;
  for (let start = 0; start < n; start += 500) {
    const m = Math.min(500, n - start);
    const { x, y } = inputsOf(source, source.test, start, m, rng);
    const e = await source.model.encode(x, y);
    if ('mu' in e) {
      mu.set(e.mu.data, start * l);
      logvar!.set(e.logvar.data, start * l);
    } else mu.set(e.z.data, start * l);
  }
  return { mu: { data: mu, shape: [n, l] }, logvar: logvar && { data: logvar, shape: [n, l] } };
}

/**
 * The manifold grid of a 2-D latent space (Kingma & Welling 2014, fig. 4): decoder means at
 * `z = (Φ⁻¹(u), Φ⁻¹(v))` for u, v evenly spaced in (0, 1) — evenly spaced in prior mass. An
 * autoencoder has no prior, so its grid spans the 1st–99th percentile of its codes linearly.
 * Rows run from high z2 (top) to low; conditional models decode every point with class 0.
 */
async function manifold(
  source: LatentSource,
  codes: Float32Array,
  n: number,
  side: number,
): Promise<{ spec: PlotSpec; axis: [number[], number[]] }> {
  const u = Array.from({ length: side }, (_, i) => (i + 0.5) / side);
  const axis: [number[], number[]] = source.model.variational
    ? [u.map(normalQuantile), u.map(normalQuantile)]
    : ([0, 1].map((j) => {
        const sorted = Array.from({ length: n }, (_, i) => codes[2 * i + j]!).sort((a, b) => a - b);
        const lo = sorted[Math.floor(0.01 * (n - 1))]!;
        const hi = sorted[Math.ceil(0.99 * (n - 1))]!;
        return u.map((_, i) => lo + ((hi - lo) * i) / (side - 1));
      }) as [number[], number[]]);
  const z = new Float32Array(side * side * 2);
  for (let r = 0; r < side; r++) {
    for (let c = 0; c < side; c++) {
      z[2 * (r * side + c)] = axis[0][c]!;
      z[2 * (r * side + c) + 1] = axis[1][side - 1 - r]!;
    }
  }
  const k = source.model.numClasses;
  const y = k > 0 ? oneHot(new Array<number>(side * side).fill(0), k) : undefined;
  const decoded = await source.model.decode({ data: z, shape: [side * side, 2] }, y);
  const variational = source.model.variational;
  return {
    spec: imageGridSpec({
      grid: imageGrid(decoded.mean.data, side * side, source.model.manifest.imageShape, side, 1),
      title: 'Latent manifold',
      subtitle: variational
        ? `decoder means at z = (Φ⁻¹(u), Φ⁻¹(v)), ${side} × ${side} evenly spaced in prior mass`
        : `decoder outputs on a ${side} × ${side} grid over the 1st–99th percentile of the codes`,
      colLabels: axis[0].map(formatValue),
      rowLabels: [...axis[1]].reverse().map(formatValue),
      xTitle: 'z1',
      yTitle: 'z2',
    }),
    axis,
  };
}

/** μ ± σ of the first `count` test images (σ = 0 for autoencoders), with the images above, numbered as in the legend. */
function posteriorsView(source: LatentSource, enc: { mu: Tensor; logvar: Tensor | null }, count: number): PlotSpec {
  const l = source.model.latentDim;
  const shape = source.model.manifest.imageShape;
  const series = Array.from({ length: count }, (_, i) => {
    const mean = enc.mu.data.subarray(i * l, (i + 1) * l);
    const sd = Float32Array.from({ length: l }, (_, j) =>
      enc.logvar ? Math.exp(0.5 * clampLogvar(enc.logvar.data[i * l + j]!)) : 0,
    );
    return { mean, sd };
  });
  const title = source.model.variational ? 'Posterior mean ± sd per dimension' : 'Code per dimension';
  const d = shape[0] * shape[1] * shape[2];
  const pixels = Float32Array.from(source.test.images.subarray(0, count * d), (v) => v / 255);
  const strip = imageGridSpec({
    grid: imageGrid(pixels, count, shape, count, shape[0] <= 32 ? 2 : 1),
    title: 'Test images',
    colLabels: series.map((_, i) => `#${i + 1}`),
  });
  return stackSpec([strip, posteriorSpec(series, title)]);
}

/** Options of {@link latentViews}. */
export interface LatentViewOptions {
  /** Test images encoded for the scatter and the per-dimension statistics (default 5,000). */
  readonly limit?: number;
  /** Points per side of the manifold grid (default 20). */
  readonly gridSize?: number;
  /** Test images in the μ ± σ view (default 8). */
  readonly posteriors?: number;
  readonly seed?: number;
}

/** Numbers behind the views (written as `latent.json`). */
export interface LatentSummary {
  readonly name: string;
  readonly location: string;
  readonly dataset: string;
  readonly examples: number;
  readonly latentDim: number;
  readonly variational: boolean;
  /** Share of the variance of the codes on the scatter's two axes (1 for L = 2). */
  readonly scatterExplained: number;
  /** KL(q(z_j|x) ‖ N(0, 1)) per dimension, mean over the examples, nats (variational only). */
  readonly klPerDimension: number[] | null;
  /** Var_x(μ_j) per dimension and the units above {@link ACTIVE_UNIT_THRESHOLD}. */
  readonly codeVariance: number[];
  readonly activeUnits: number[];
  /** Manifold grid coordinates (L = 2 only): z1 values left to right, z2 values bottom to top. */
  readonly manifoldAxes: [number[], number[]] | null;
}

/** Vega-Lite specs of one source's views (a missing view is null) and the summary. */
export interface LatentViews {
  readonly scatter: PlotSpec;
  readonly manifold: PlotSpec | null;
  readonly kl: PlotSpec | null;
  readonly posteriors: PlotSpec;
  readonly summary: LatentSummary;
}

/** Computes the latent views of a model on its dataset's test split (see {@link writeLatentViews}). */
export async function latentViews(source: LatentSource, o: LatentViewOptions = {}): Promise<LatentViews> {
  const n = Math.min(assertInteger(o.limit ?? 5000, 'limit', 2), source.test.count);
  const side = assertInteger(o.gridSize ?? 20, 'gridSize', 2, 100);
  const rng = new Rng(o.seed ?? 1);
  const l = source.model.latentDim;
  const enc = await encodeTest(source, n, rng);
  const labels = source.test.labels.subarray(0, n);
  const labelled = source.classNames.length > 1;
  const sc = latentScatter(enc.mu.data, labelled ? labels : null, l, source.model.variational, source.classNames, n);
  const variance = activeUnits(enc.mu).variances;
  const active = Array.from(variance, (v) => v > ACTIVE_UNIT_THRESHOLD);
  const kl = enc.logvar ? klPerDimension(enc.mu, enc.logvar) : null;
  const klChart = kl ? klBarsSpec(kl, active) : null;
  const grid = l === 2 ? await manifold(source, enc.mu.data, n, side) : null;
  return {
    scatter: sc.spec,
    manifold: grid?.spec ?? null,
    kl: klChart,
    posteriors: posteriorsView(source, enc, Math.min(assertInteger(o.posteriors ?? 8, 'posteriors', 1, 10), n)),
    summary: {
      name: source.name,
      location: source.location,
      dataset: source.dataset,
      examples: n,
      latentDim: l,
      variational: source.model.variational,
      scatterExplained: sc.explained,
      klPerDimension: kl ? Array.from(kl) : null,
      codeVariance: Array.from(variance),
      activeUnits: active.flatMap((a, j) => (a ? [j] : [])),
      manifoldAxes: grid?.axis ?? null,
    },
  };
}

/**
 * Writes the latent views of `source` into `outDir`: the scatter of the test set's μ by label
 * (principal components when L > 2), the manifold grid (L = 2), the KL per dimension with active
 * units marked (variational), μ ± σ of a few test images, each as SVG + PNG, and `latent.json`. With
 * `compare`, also `compare-*.{svg,png}`: the two models' scatters (and manifolds, KL charts when both
 * have them) side by side. Returns the paths written and the summaries.
 */
export async function writeLatentViews(
  source: LatentSource,
  outDir: string,
  o: LatentViewOptions & { readonly compare?: LatentSource } = {},
): Promise<{ files: string[]; summary: LatentSummary; compare: LatentSummary | null }> {
  const files: string[] = [];
  const save = async (file: string, spec: PlotSpec | null): Promise<void> => {
    if (spec) files.push(...(await writeFigure(join(outDir, file.replace(/\.png$/, '')), await renderFigure(spec))));
  };
  const a = await latentViews(source, o);
  await save(LATENT_FILES.scatter, a.scatter);
  await save(LATENT_FILES.manifold, a.manifold);
  await save(LATENT_FILES.kl, a.kl);
  await save(LATENT_FILES.posteriors, a.posteriors);
  let b: LatentViews | null = null;
  if (o.compare) {
    b = await latentViews(o.compare, o);
    const pair = (p: PlotSpec | null, q: PlotSpec | null): PlotSpec | null =>
      p && q
        ? sideBySideSpec([
            { spec: p, caption: source.name },
            { spec: q, caption: o.compare!.name },
          ])
        : null;
    await save(LATENT_FILES.compareScatter, pair(a.scatter, b.scatter));
    await save(LATENT_FILES.compareManifold, pair(a.manifold, b.manifold));
    await save(LATENT_FILES.compareKl, pair(a.kl, b.kl));
  }
  const summary = { ...a.summary, compare: b?.summary ?? null, files };
  const summaryPath = join(outDir, LATENT_FILES.summary);
  files.push(summaryPath);
  await writeFileAtomic(summaryPath, `${JSON.stringify(summary, null, 2)}\n`);
  return { files, summary: a.summary, compare: b?.summary ?? null };
}
