import type { TopLevelSpec } from 'vega-lite';
import type { EpochMetrics } from '../checkpoint/metrics.js';
import type { ImageGrid } from './image-grid.js';

/** A Vega-Lite spec as the builders here return it (data inline, no `$schema` needed). */
export type PlotSpec = TopLevelSpec;

const ACTIVE = '#4c78a8';
const INACTIVE = '#bab0ac';
const SCHEMA = 'https://vega.github.io/schema/vega-lite/v6.json';

function spec(s: Record<string, unknown>): PlotSpec {
  return { $schema: SCHEMA, ...s } as PlotSpec;
}

/** A signed tick value with a real minus sign and at most two decimals (−2.25, 0, 1.5). */
export function formatValue(v: number): string {
  const s = Number.parseFloat(v.toFixed(2)).toString();
  return s.startsWith('-') ? `−${s.slice(1)}` : s;
}

/** Long-format rows of the curves: one per epoch, split and term (terms a kind lacks are left out). */
export function lossCurveRows(
  metrics: readonly EpochMetrics[],
): { epoch: number; split: string; term: string; nats: number }[] {
  const elbo = metrics.some((m) => m.valElbo !== null);
  const lossDiffers = elbo && metrics.some((m) => m.valElbo !== null && Math.abs(m.valLoss + m.valElbo) > 1e-3);
  type Get = (m: EpochMetrics, split: 'train' | 'val') => number | null;
  const terms: [string, Get][] = [];
  if (elbo) terms.push(['ELBO', (m, s) => (s === 'train' ? m.trainElbo : m.valElbo)]);
  if (!elbo || lossDiffers) terms.push(['objective', (m, s) => (s === 'train' ? m.trainLoss : m.valLoss)]);
  terms.push(['reconstruction', (m, s) => (s === 'train' ? m.trainReconstruction : m.valReconstruction)]);
  if (elbo) terms.push(['KL', (m, s) => (s === 'train' ? m.trainKl : m.valKl)]);
  return metrics.flatMap((m) =>
    terms.flatMap(([term, get]) =>
      (['train', 'val'] as const).flatMap((split) => {
        const v = get(m, split);
        return v === null || !Number.isFinite(v) ? [] : [{ epoch: m.epoch, split, term, nats: v }];
      }),
    ),
  );
}

/**
 * Training curves: one panel per term (ELBO, the objective when it is not −ELBO, reconstruction,
 * KL), train and validation per epoch, each panel on its own y scale, in nats per example.
 */
export function lossCurveSpec(metrics: readonly EpochMetrics[]): PlotSpec {
  const rows = lossCurveRows(metrics);
  const terms = [...new Set(rows.map((r) => r.term))];
  return spec({
    title: {
      text: 'Training curves',
      subtitle: 'nats per example, mean over each epoch (train) and the validation set',
    },
    data: { values: rows },
    facet: { column: { field: 'term', type: 'nominal', sort: terms, title: null } },
    spec: {
      width: 230,
      height: 180,
      mark: { type: 'line', point: { size: 24 }, strokeWidth: 2 },
      encoding: {
        x: { field: 'epoch', type: 'quantitative', axis: { tickMinStep: 1, format: 'd' }, scale: { nice: false } },
        y: { field: 'nats', type: 'quantitative', scale: { zero: false }, title: 'nats' },
        color: { field: 'split', type: 'nominal', sort: ['train', 'val'], title: null },
      },
    },
    resolve: { scale: { y: 'independent' } },
  });
}

/** Inputs of {@link scatterSpec}. */
export interface ScatterInput {
  /** Points `[n, 2]`, row-major. */
  readonly points: Float32Array;
  /** Label of each point, or null when the data have none. */
  readonly labels: ArrayLike<number> | null;
  /** Names of the label values (default: the values themselves). */
  readonly classNames?: readonly string[];
  readonly title: string;
  readonly subtitle?: string;
  readonly axes: readonly [string, string];
}

/** A scatter of 2-D latent points, coloured by label (with a legend) when labels exist. */
export function scatterSpec(o: ScatterInput): PlotSpec {
  const n = o.points.length / 2;
  const name = (k: number): string => o.classNames?.[k] ?? String(k);
  const values = Array.from({ length: n }, (_, i) => ({
    x: o.points[2 * i]!,
    y: o.points[2 * i + 1]!,
    ...(o.labels ? { label: name(o.labels[i]!) } : {}),
  }));
  const present = o.labels ? [...new Set(Array.from(o.labels))].sort((a, b) => a - b).map(name) : [];
  return spec({
    title: { text: o.title, ...(o.subtitle ? { subtitle: o.subtitle } : {}) },
    width: 420,
    height: 420,
    data: { values },
    // Thousands of points: no ARIA label per point (it would triple the SVG); the axes keep theirs.
    mark: { type: 'circle', size: 10, opacity: 0.65, aria: false },
    encoding: {
      x: { field: 'x', type: 'quantitative', title: o.axes[0], scale: { zero: false } },
      y: { field: 'y', type: 'quantitative', title: o.axes[1], scale: { zero: false } },
      ...(o.labels
        ? {
            color: {
              field: 'label',
              type: 'nominal',
              sort: present,
              title: 'label',
              scale: present.length > 10 ? { scheme: 'tableau20' } : {},
            },
          }
        : {}),
    },
  });
}

/** KL per latent dimension as bars, active units in blue and inactive in grey. */
export function klBarsSpec(kl: ArrayLike<number>, active: readonly boolean[]): PlotSpec {
  const values = Array.from(kl, (v, j) => ({ dim: `z${j}`, kl: v, unit: active[j] ? 'active' : 'inactive' }));
  const total = values.reduce((s, v) => s + v.kl, 0);
  const count = active.filter(Boolean).length;
  return spec({
    title: {
      text: 'KL(q(z_j | x) ‖ N(0, 1)) per latent dimension',
      subtitle: `total ${total.toFixed(2)} nats; ${count} of ${values.length} units active (Var μ_j > 0.01)`,
    },
    width: Math.max(240, Math.min(640, 28 * values.length)),
    height: 220,
    data: { values },
    mark: { type: 'bar' },
    encoding: {
      x: { field: 'dim', type: 'ordinal', sort: null, title: 'latent dimension', axis: { labelAngle: 0 } },
      y: { field: 'kl', type: 'quantitative', title: 'KL (nats)' },
      color: {
        field: 'unit',
        type: 'nominal',
        title: null,
        scale: { domain: ['active', 'inactive'], range: [ACTIVE, INACTIVE] },
      },
    },
  });
}

/** μ ± σ per latent dimension of a few examples (σ = 0 for autoencoders), one colour per example. */
export function posteriorSpec(
  series: readonly { readonly mean: ArrayLike<number>; readonly sd: ArrayLike<number> }[],
  title: string,
): PlotSpec {
  const values = series.flatMap((s, i) =>
    Array.from(s.mean, (m, j) => ({ dim: `z${j}`, example: `#${i + 1}`, mean: m, lo: m - s.sd[j]!, hi: m + s.sd[j]! })),
  );
  const dims = series[0]?.mean.length ?? 0;
  const examples = series.map((_, i) => `#${i + 1}`);
  const x = {
    field: 'dim',
    type: 'ordinal',
    sort: null,
    title: 'latent dimension',
    scale: { type: 'band', paddingInner: 0.45 },
    axis: { labelAngle: 0, grid: false },
  };
  const color = { field: 'example', type: 'nominal', sort: examples, title: 'test image' };
  return spec({
    title,
    width: Math.max(300, Math.min(720, 60 * dims)),
    height: 220,
    data: { values },
    encoding: { x, xOffset: { field: 'example', type: 'nominal', sort: examples }, color },
    layer: [
      {
        mark: { type: 'rule', strokeWidth: 1.5 },
        encoding: { y: { field: 'lo', type: 'quantitative', title: 'z' }, y2: { field: 'hi' } },
      },
      { mark: { type: 'point', filled: true, size: 20 }, encoding: { y: { field: 'mean', type: 'quantitative' } } },
    ],
  });
}

/** Inputs of {@link imageGridSpec}. */
export interface ImageGridFigure {
  readonly grid: ImageGrid;
  readonly title: string;
  readonly subtitle?: string;
  /** Labels of the columns (left to right) and rows (top to bottom); omitted axes are not drawn. */
  readonly colLabels?: readonly string[];
  readonly rowLabels?: readonly string[];
  readonly xTitle?: string;
  readonly yTitle?: string;
}

function bandAxis(field: string, labels: readonly string[], pitch: number, gap: number, title: string | undefined) {
  return {
    field,
    type: 'ordinal',
    // Band centres on the cell centres: the step is one cell plus its gap, the outer gap is half a gap each side.
    scale: { domain: labels, paddingInner: 0, paddingOuter: gap / (2 * pitch) },
    axis: { title: title ?? null, labelAngle: 0, grid: false, ticks: false, domain: false, labelOverlap: true },
  };
}

/**
 * Decoded pixels as they are (the grid's PNG embedded in an image mark, pixel for pixel), with the
 * caption and the column/row values as text drawn by the plot library.
 */
export function imageGridSpec(o: ImageGridFigure): PlotSpec {
  const { grid } = o;
  const layers: Record<string, unknown>[] = [
    {
      data: { values: [{ url: grid.dataUrl() }] },
      mark: {
        type: 'image',
        width: grid.width,
        height: grid.height,
        align: 'left',
        baseline: 'top',
        aspect: false,
        smooth: false,
        // No per-item ARIA label: it would repeat the whole data URL.
        aria: false,
      },
      encoding: { url: { field: 'url', type: 'nominal' }, x: { value: 0 }, y: { value: 0 } },
    },
  ];
  if (o.colLabels)
    layers.push({
      data: { values: o.colLabels.map((col) => ({ col })) },
      mark: { type: 'tick', opacity: 0 },
      encoding: { x: bandAxis('col', o.colLabels, grid.cell[0] + grid.gap, grid.gap, o.xTitle) },
    });
  if (o.rowLabels)
    layers.push({
      data: { values: o.rowLabels.map((row) => ({ row })) },
      mark: { type: 'tick', opacity: 0, orient: 'horizontal' },
      encoding: { y: bandAxis('row', o.rowLabels, grid.cell[1] + grid.gap, grid.gap, o.yTitle) },
    });
  return spec({
    title: { text: o.title, ...(o.subtitle ? { subtitle: o.subtitle } : {}) },
    width: grid.width,
    height: grid.height,
    layer: layers,
    config: { view: { stroke: null } },
  });
}

/** Inputs of {@link disentanglementSpec}: `vae disentanglement`'s MIG and FactorVAE results. */
export interface DisentanglementFigure {
  readonly title: string;
  readonly factors: readonly string[];
  readonly latentDim: number;
  /** Mutual information `[L, K]` (code dimension × factor), row-major, nats. */
  readonly mutualInformation: ArrayLike<number>;
  readonly factorEntropy: readonly number[];
  readonly perFactor: readonly number[];
  readonly mig: number;
  readonly factorVae: number;
}

/**
 * The disentanglement table as a figure: normalised mutual information I(z_j; v_k) / H(v_k) for every
 * factor and code dimension, the value printed in each cell, next to the MIG gap of each factor.
 */
export function disentanglementSpec(o: DisentanglementFigure): PlotSpec {
  const y = { field: 'factor', type: 'nominal', sort: o.factors, title: 'factor' };
  return spec({
    title: { text: o.title, subtitle: `MIG ${o.mig.toFixed(3)}, FactorVAE accuracy ${o.factorVae.toFixed(3)}` },
    hconcat: [nmiHeatmapPanel(o, y), migGapPanel(o, y)],
    resolve: { scale: { color: 'independent' } },
  });
}

/** One row per (factor, code dimension): I(z_j; v_k) / H(v_k), 0 where the factor's entropy is 0. */
function normalisedMiCells(o: DisentanglementFigure): { factor: string; dim: string; nmi: number }[] {
  const k = o.factors.length;
  return o.factors.flatMap((factor, f) =>
    Array.from({ length: o.latentDim }, (_, j) => {
      const h = o.factorEntropy[f]!;
      return { factor, dim: `z${j}`, nmi: h > 0 ? o.mutualInformation[j * k + f]! / h : 0 };
    }),
  );
}

/** The left panel of {@link disentanglementSpec}: the normalised MI heatmap with each cell's value. */
function nmiHeatmapPanel(o: DisentanglementFigure, y: Record<string, unknown>): Record<string, unknown> {
  return {
    title: { text: 'I(z_j; v_k) / H(v_k)', fontSize: 12 },
    data: { values: normalisedMiCells(o) },
    width: Math.max(200, 34 * o.latentDim),
    height: 26 * o.factors.length,
    encoding: {
      x: {
        field: 'dim',
        type: 'ordinal',
        sort: null,
        title: 'latent dimension',
        axis: { labelAngle: 0, grid: false },
      },
      y: { ...y, axis: { grid: false } },
    },
    layer: [
      {
        mark: 'rect',
        encoding: {
          color: {
            field: 'nmi',
            type: 'quantitative',
            scale: { scheme: 'blues', domain: [0, 1] },
            title: 'normalised MI',
          },
        },
      },
      {
        mark: { type: 'text', fontSize: 10 },
        encoding: {
          text: { field: 'nmi', type: 'quantitative', format: '.2f' },
          color: { condition: { test: 'datum.nmi > 0.5', value: 'white' }, value: 'black' },
        },
      },
    ],
  };
}

/** The right panel of {@link disentanglementSpec}: each factor's MIG gap as a bar. */
function migGapPanel(o: DisentanglementFigure, y: Record<string, unknown>): Record<string, unknown> {
  return {
    title: { text: 'MIG per factor', fontSize: 12 },
    data: { values: o.factors.map((factor, f) => ({ factor, gap: o.perFactor[f]! })) },
    width: 160,
    height: 26 * o.factors.length,
    mark: { type: 'bar', color: ACTIVE },
    encoding: {
      y: { ...y, axis: null },
      x: { field: 'gap', type: 'quantitative', title: 'normalised gap', scale: { domain: [0, 1] } },
    },
  };
}

/** A spec's parts without `$schema` and `config` (to nest it in a composition). */
function nested(s: PlotSpec): Record<string, unknown> {
  const { $schema: _, config: __, ...rest } = s as unknown as Record<string, unknown>;
  return rest;
}

/** Two figures side by side, each captioned (e.g. two runs' scatters compared). */
export function sideBySideSpec(panels: readonly { spec: PlotSpec; caption: string }[]): PlotSpec {
  return spec({
    hconcat: panels.map(({ spec: s, caption }) => {
      const rest = nested(s);
      const title = rest.title as { text: string; subtitle?: string } | string | undefined;
      const inner = typeof title === 'string' ? title : title?.text;
      return { ...rest, title: { text: caption, ...(inner ? { subtitle: inner } : {}) } };
    }),
    resolve: { scale: { color: 'independent' }, legend: { color: 'independent' } },
    config: { view: { stroke: null } },
  });
}

/** Figures one above the other (e.g. test images above their posteriors), each keeping its title. */
export function stackSpec(panels: readonly PlotSpec[]): PlotSpec {
  return spec({ vconcat: panels.map(nested), config: { view: { stroke: null } } });
}
