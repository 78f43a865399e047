import { existsSync } from 'node:fs';
import { readFile, stat } from 'node:fs/promises';
import { basename, join } from 'node:path';
import type { ModelSpec } from '@vae/core';
import { writeFileAtomic } from '@vae/data/node';
import type { TrainConfig } from '../config.js';
import type { EpochMetrics } from '../checkpoint/metrics.js';
import { plotFont } from './fonts.js';

/** File name of the run report inside a run folder. */
export const RUN_REPORT_FILE = 'report.html';

/** Figures the report shows, in order, by their run-folder base name, with a caption each. */
const REPORT_FIGURES: readonly (readonly [string, string])[] = [
  ['loss-curve', 'Training curves'],
  ['reconstructions', 'Reconstructions'],
  ['prior-samples', 'Samples from the prior'],
  ['latent-traversal', 'Latent traversal'],
  ['latent-scatter', 'Latent space'],
  ['latent-kl', 'KL per latent dimension'],
];

/** How a run went, as the trainer knows it at the end. */
export interface RunTraining {
  readonly config: TrainConfig;
  readonly engine: string;
  readonly backend: string;
  readonly epoch: number;
  readonly step: number;
  readonly stoppedBy: string;
  /** Wall time of the whole `train` call (plots excluded). */
  readonly seconds: number;
}

/** Inputs of {@link writeRunReport}; figures, `parity.json` and `model/` are read from the run folder. */
export interface RunReportInputs {
  readonly runDir: string;
  readonly spec: ModelSpec;
  readonly metrics: readonly EpochMetrics[];
  readonly training: RunTraining;
}

/** The fields of `parity.json` (`vae parity --json`, the pipeline's) the report shows. */
interface ParitySummary {
  readonly passed: boolean;
  readonly reference: string;
  readonly runtimes: readonly { runtime: string; device: string; status: string; seconds?: number; reason?: string }[];
}

const escapeHtml = (s: string): string =>
  s.replace(/[&<>"']/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[c]!);

const nats = (v: number | null | undefined): string => (v === null || v === undefined ? '—' : v.toFixed(2));

/** An HTML table of cells that are already HTML; `head` null: no header row. */
function table(head: readonly string[] | null, rows: readonly (readonly string[])[]): string {
  const tr = (cells: readonly string[], tag: string): string =>
    `<tr>${cells.map((c) => `<${tag}>${c}</${tag}>`).join('')}</tr>`;
  const thead = head ? `<thead>${tr(head, 'th')}</thead>` : '';
  return `<table>${thead}<tbody>${rows.map((r) => tr(r, 'td')).join('')}</tbody></table>`;
}

function metricsSection(metrics: readonly EpochMetrics[]): string {
  const last = metrics[metrics.length - 1];
  if (!last) return '<p>No epoch finished.</p>';
  const final = table(
    ['', 'ELBO', 'reconstruction', 'KL', 'objective'],
    [
      ['train', nats(last.trainElbo), nats(last.trainReconstruction), nats(last.trainKl), nats(last.trainLoss)],
      ['validation', nats(last.valElbo), nats(last.valReconstruction), nats(last.valKl), nats(last.valLoss)],
    ],
  );
  const perEpoch = table(
    ['epoch', 'steps', 'seconds', 'train objective', 'val objective', 'val ELBO', 'val KL', 'active units'],
    metrics.map((m) => [
      String(m.epoch),
      String(m.epochSteps),
      m.seconds.toFixed(1),
      nats(m.trainLoss),
      nats(m.valLoss),
      nats(m.valElbo),
      nats(m.valKl),
      m.activeUnits === null ? '—' : String(m.activeUnits),
    ]),
  );
  return `<h2>Final metrics (epoch ${last.epoch}, nats per example)</h2>${final}
<details><summary>Every epoch</summary>${perEpoch}</details>`;
}

function runSection(spec: ModelSpec, t: RunTraining, metrics: readonly EpochMetrics[]): string {
  const epochSeconds = metrics.reduce((s, m) => s + m.seconds, 0) / Math.max(1, metrics.length);
  const rows: [string, string][] = [
    [
      'model',
      `${spec.kind}, latent ${spec.latentDim}, ${spec.likelihood} likelihood, images ${spec.imageShape.join('×')}`,
    ],
    [
      'data',
      `${t.config.dataset}${t.config.dataDir ? ` (${t.config.dataDir})` : ''}, binarisation ${t.config.binarize}`,
    ],
    ['engine', `${t.engine}/${t.backend}`],
    ['training', `${t.epoch} epoch(s), ${t.step} steps, batch ${t.config.batchSize}, stopped by ${t.stoppedBy}`],
    ['time', `${t.seconds.toFixed(1)} s in all, ${epochSeconds.toFixed(1)} s per epoch on average`],
  ];
  return `<h2>Run</h2>${table(
    null,
    rows.map(([k, v]) => [k, escapeHtml(v)]),
  )}`;
}

async function paritySection(runDir: string): Promise<string> {
  const path = join(runDir, 'parity.json');
  if (!existsSync(path))
    return `<h2>Parity</h2><p>Not checked yet: <code>vae export --run ${escapeHtml(runDir)}</code>, then <code>vae parity</code> (the pipeline, <code>pnpm start</code>, does both).</p>`;
  const p = JSON.parse(await readFile(path, 'utf8')) as ParitySummary;
  const rows = p.runtimes.map((r) => [
    escapeHtml(r.runtime),
    escapeHtml(r.device),
    `<span class="${r.status === 'pass' ? 'pass' : r.status === 'fail' || r.status === 'error' ? 'fail' : ''}">${escapeHtml(r.status)}</span>`,
    r.seconds === undefined ? '—' : r.seconds.toFixed(2),
    escapeHtml(r.reason ?? ''),
  ]);
  return `<h2>Parity: <span class="${p.passed ? 'pass' : 'fail'}">${p.passed ? 'PASS' : 'FAIL'}</span></h2>
<p>Reference ${escapeHtml(p.reference)}; the full report is <a href="parity.json">parity.json</a>.</p>
${table(['runtime', 'device', 'status', 'seconds', 'note'], rows)}`;
}

async function modelSection(runDir: string): Promise<string> {
  const files = ['manifest.json', 'encoder.onnx', 'decoder.onnx'];
  const present = files.filter((f) => existsSync(join(runDir, 'model', f)));
  if (present.length === 0) return `<h2>Model</h2><p>Not exported yet (<code>vae export</code>).</p>`;
  const items = await Promise.all(
    present.map(async (f) => {
      const kb = (await stat(join(runDir, 'model', f))).size / 1024;
      return `<li><a href="model/${f}">model/${f}</a> (${kb.toFixed(0)} KiB)</li>`;
    }),
  );
  return `<h2>Model</h2><ul>${items.join('')}</ul>`;
}

async function figuresSection(runDir: string): Promise<string> {
  const figures = await Promise.all(
    REPORT_FIGURES.map(async ([base, caption]) => {
      const svg = join(runDir, `${base}.svg`);
      if (!existsSync(svg)) return '';
      const text = (await readFile(svg, 'utf8')).replace(/^<\?xml[^>]*>\s*/, '');
      return `<figure id="${base}">${text}<figcaption>${escapeHtml(caption)} — <a href="${base}.svg">SVG</a>, <a href="${base}.png">PNG</a></figcaption></figure>`;
    }),
  );
  return `<h2>Figures</h2>${figures.join('\n')}`;
}

/**
 * Writes `<runDir>/report.html`: run summary, final metrics, timings, parity (from `parity.json`
 * when present), links to the exported ONNX files (`model/` when present), every figure inline as
 * SVG and the configuration. Self-contained: the SVGs are inline, decoded pixels are data URLs, and
 * DejaVu Sans is embedded as WOFF2, so it renders the same with no network and no system fonts.
 * Returns its path.
 */
export async function writeRunReport(o: RunReportInputs): Promise<string> {
  const font = await plotFont(400);
  const name = basename(o.runDir);
  const sections = await Promise.all([paritySection(o.runDir), modelSection(o.runDir), figuresSection(o.runDir)]);
  const html = `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
<title>${escapeHtml(name)}: training run report</title>
<style>
@font-face { font-family: 'DejaVu Sans'; src: url(data:font/woff2;base64,${Buffer.from(font.woff2).toString('base64')}) format('woff2'); }
body { font-family: 'DejaVu Sans', sans-serif; margin: 24px auto; max-width: 1280px; padding: 0 16px; color: #222; }
h1 { font-size: 22px; } h2 { font-size: 17px; margin-top: 28px; }
table { border-collapse: collapse; font-size: 13px; } td, th { padding: 3px 10px; border-bottom: 1px solid #ddd; text-align: right; }
td:first-child, th:first-child { text-align: left; } figure { margin: 16px 0; } figure svg { max-width: 100%; height: auto; }
figcaption { font-size: 12px; color: #555; } .pass { color: #2a7d2a; } .fail { color: #b22; } pre { font-size: 12px; background: #f6f6f6; padding: 8px; overflow: auto; }
</style></head>
<body>
<h1>Training run ${escapeHtml(name)}</h1>
<p>${escapeHtml(o.runDir)} — written ${new Date().toISOString()}</p>
${runSection(o.spec, o.training, o.metrics)}
${metricsSection(o.metrics)}
${sections.join('\n')}
<h2>Configuration</h2><details><summary>config.json</summary><pre>${escapeHtml(JSON.stringify(o.training.config, null, 2))}</pre></details>
</body></html>
`;
  const path = join(o.runDir, RUN_REPORT_FILE);
  await writeFileAtomic(path, html);
  return path;
}
