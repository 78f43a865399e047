import { createHash } from 'node:crypto';
import { existsSync } from 'node:fs';
import { mkdir } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { writeFileAtomic } from '@vae/data/node';
import type { TopLevelSpec } from 'vega-lite';
import { PLOT_FONT, plotFont, type PlotFont } from './fonts.js';

/** A rendered figure: the SVG text (fonts named, text as text) and the PNG rasterised from it. */
export interface Figure {
  readonly svg: string;
  readonly png: Uint8Array;
  /** PNG size in pixels (the SVG's size × `scale`). */
  readonly width: number;
  readonly height: number;
}

/** Options of {@link renderFigure}. */
export interface RenderOptions {
  /** Pixels per SVG unit in the PNG (default 2: sharp on high-density screens and in papers). */
  readonly scale?: number;
}

/** The look every figure shares: DejaVu Sans, matplotlib-sized text, Tableau 10 colours, white background. */
export const PLOT_CONFIG = Object.freeze({
  font: PLOT_FONT,
  background: 'white',
  padding: 8,
  title: { fontSize: 14, anchor: 'start', offset: 8 },
  axis: { labelFontSize: 11, titleFontSize: 12, titleFontWeight: 'normal', grid: true, gridColor: '#e6e6e6' },
  legend: { labelFontSize: 11, titleFontSize: 11 },
  header: { labelFontSize: 12, titleFontSize: 12 },
  range: { category: { scheme: 'tableau10' } },
  view: { stroke: '#bbbbbb' },
});

interface Toolkit {
  readonly vega: typeof import('vega');
  readonly compile: typeof import('vega-lite').compile;
  readonly Resvg: typeof import('@resvg/resvg-js').Resvg;
  readonly fontFiles: string[];
}

let toolkit: Promise<Toolkit> | null = null;

/** The TrueType file of `font` in a per-user cache folder named by its hash (resvg-js loads fonts from files). */
async function fontFile(font: PlotFont, weight: number): Promise<string> {
  const hash = createHash('sha256').update(font.ttf).digest('hex').slice(0, 16);
  const dir = join(tmpdir(), 'vae-plot-fonts');
  const path = join(dir, `dejavu-sans-${weight}-${hash}.ttf`);
  if (!existsSync(path)) {
    await mkdir(dir, { recursive: true });
    await writeFileAtomic(path, font.ttf);
  }
  return path;
}

/**
 * Loads vega, vega-lite and resvg on first use (the CLI's other commands never pay for them) and
 * points vega's text measurement at DejaVu Sans' advance widths, so that layout (axis title offsets,
 * legend columns, truncation) matches the glyphs resvg draws.
 */
function loadToolkit(): Promise<Toolkit> {
  toolkit ??= (async () => {
    const [vega, vl, resvg, regular, bold] = await Promise.all([
      import('vega'),
      import('vega-lite'),
      import('@resvg/resvg-js'),
      plotFont(400),
      plotFont(700),
    ]);
    const metrics = (vega as unknown as { textMetrics: { width: (item: TextItem, text?: unknown) => number } })
      .textMetrics;
    metrics.width = (item, text) => {
      const value = text == null ? '' : String(text).trim();
      const size = item.fontSize != null ? Number(item.fontSize) || 0 : 11;
      const heavy = item.fontWeight === 'bold' || Number(item.fontWeight) >= 600;
      return (heavy ? bold : regular).width(value, size);
    };
    const fontFiles = await Promise.all([fontFile(regular, 400), fontFile(bold, 700)]);
    return { vega, compile: vl.compile, Resvg: resvg.Resvg, fontFiles };
  })();
  return toolkit;
}

/** Starts loading vega, vega-lite, resvg and the font (e.g. while a model loads); `renderFigure` awaits the same load. */
export async function preloadPlotting(): Promise<void> {
  await loadToolkit();
}

interface TextItem {
  readonly fontSize?: number | string;
  readonly fontWeight?: number | string;
}

/**
 * Renders a Vega-Lite spec headless: vega-lite compiles it, a vega View with no renderer produces
 * the SVG (text as `<text>` in DejaVu Sans), resvg rasterises that SVG to PNG with the font shipped
 * in `@fontsource/dejavu-sans` only (system fonts are not consulted: a machine without fonts draws the
 * same text). Data URLs in image marks (decoded pixel grids) are embedded in both outputs.
 */
export async function renderFigure(spec: TopLevelSpec, o: RenderOptions = {}): Promise<Figure> {
  const { vega, compile, Resvg, fontFiles } = await loadToolkit();
  const compiled = compile({ ...spec, config: { ...PLOT_CONFIG, ...spec.config } } as TopLevelSpec).spec;
  const view = new vega.View(vega.parse(compiled), { renderer: 'none' });
  try {
    const svg = await view.toSVG();
    const image = new Resvg(svg, {
      font: { loadSystemFonts: false, fontFiles, defaultFontFamily: PLOT_FONT, sansSerifFamily: PLOT_FONT },
      fitTo: { mode: 'zoom', value: o.scale ?? 2 },
      background: 'white',
    }).render();
    return { svg, png: new Uint8Array(image.asPng()), width: image.width, height: image.height };
  } finally {
    view.finalize();
  }
}

/** Writes `<base>.svg` and `<base>.png` of `figure` atomically and returns both paths. */
export async function writeFigure(base: string, figure: Figure): Promise<[string, string]> {
  const svg = `${base}.svg`;
  const png = `${base}.png`;
  await writeFileAtomic(svg, figure.svg);
  await writeFileAtomic(png, figure.png);
  return [svg, png];
}
