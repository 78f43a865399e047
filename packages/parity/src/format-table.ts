import type { BisectResult } from './bisect.js';
import type { OnnxParityReport } from './onnx-parity.js';
import type { ParityReport, RuntimeResult } from './parity-report.js';

const num = (v: number): string => (Number.isFinite(v) ? (v === 0 ? '0' : v.toExponential(2)) : String(v));

function pad(cells: readonly string[], widths: readonly number[]): string {
  return cells
    .map((c, i) => c.padEnd(widths[i]!))
    .join('  ')
    .trimEnd();
}

/** `text` on one line (list items joined), shortened to `max` characters. */
function firstLine(text: string | undefined, max = 160): string {
  const line = (text ?? '').replace(/:?\s*\n\s*(?:-\s*)?/g, ': ').trim();
  return line.length > max ? `${line.slice(0, max - 1)}…` : line;
}

function statusLabel(r: RuntimeResult): string {
  switch (r.status) {
    case 'pass':
      return 'ok';
    case 'fail':
      return 'FAIL';
    case 'reference':
      return 'reference';
    case 'skipped':
      return 'skipped';
    case 'error':
      return 'ERROR';
  }
}

/** Aligned rows (header, rule, body) of a table. */
function alignedTable(header: readonly string[], rows: readonly string[][]): string[] {
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((row) => row[i]!.length)));
  const rule = widths.map((w) => '-'.repeat(w));
  return [pad(header, widths), pad(rule, widths), ...rows.map((row) => pad(row, widths))];
}

/** One row per runtime × output, and one note per runtime. */
function runtimeTable(runtimes: readonly RuntimeResult[]): { table: string[]; notes: string[] } {
  const header = ['runtime', 'output', 'max abs', 'max rel', 'mean abs', 'p99 abs', 'tol abs', 'tol rel', 'result'];
  const rows: string[][] = [];
  const notes: string[] = [];
  for (const r of runtimes) {
    if (r.outputs.length === 0) {
      rows.push([r.runtime, '', '', '', '', '', '', '', statusLabel(r)]);
      if (r.status === 'reference') notes.push(`${r.runtime}: reference (${r.detail ?? ''})`);
      else notes.push(`${r.runtime}: ${r.status}: ${firstLine(r.reason)}`);
      continue;
    }
    for (const [i, c] of r.outputs.entries()) {
      rows.push([
        i === 0 ? r.runtime : '',
        c.output,
        num(c.stats.maxAbs),
        num(c.stats.maxRel),
        num(c.stats.meanAbs),
        num(c.stats.p99Abs),
        num(c.tolerance.abs),
        num(c.tolerance.rel),
        c.pass ? 'ok' : `FAIL (${c.violations})`,
      ]);
    }
    notes.push(`${r.runtime}: ${r.detail ?? ''}${r.seconds === undefined ? '' : `, ${r.seconds.toFixed(1)} s`}`);
  }
  return { table: alignedTable(header, rows), notes };
}

/** Compared nodes shown before the divergent one (the rest are counted). */
const TRACE_ROWS = 12;

/** The bisect section: per-graph summary, the last compared nodes, the divergent node with its inputs, the repro. */
export function formatBisect(b: BisectResult): string[] {
  const sides =
    b.runtime === b.reference
      ? `the model under test against the reference model, both on ${b.runtime}`
      : `${b.runtime} against ${b.reference}`;
  const lines = [`Bisect: ${sides}, node by node in graph order`];
  for (const g of b.graphs)
    lines.push(
      `  ${g.graph}: ${g.compared} of ${g.nodes} nodes compared, ${g.firstDivergent ? `first out of tolerance: ${g.firstDivergent}` : 'all within tolerance'}`,
    );
  const shown = b.trace.slice(-TRACE_ROWS);
  if (b.trace.length > shown.length) lines.push(`  (${b.trace.length - shown.length} earlier nodes within tolerance)`);
  const rows = shown.map((t) => [t.graph, t.node, t.op, num(t.maxAbs), num(t.maxRel), t.pass ? 'ok' : 'FAIL']);
  lines.push('', ...alignedTable(['graph', 'node', 'op', 'max abs', 'max rel', 'result'], rows), '');
  if (!b.node) return [...lines, 'every compared node is within tolerance'];
  lines.push(
    `First divergent node: ${b.graph} / ${b.node} (${b.op}), max abs ${num(b.maxAbs ?? 0)}, max rel ${num(b.maxRel ?? 0)}`,
  );
  for (const i of b.inputs)
    lines.push(
      `  input ${i.name} (${i.role}): ${i.stats ? `max abs ${num(i.stats.maxAbs)}, max rel ${num(i.stats.maxRel)}` : i.note}`,
    );
  return [...lines, `  repro: ${b.repro}`, `  golden: ${b.reproGolden}`, `  reproduce: ${b.reproduce}`];
}

/** The verdict and one line per problem. */
function verdict(passed: boolean, exitCode: number, problems: readonly string[]): string[] {
  return [passed ? 'PASS' : `FAIL (exit ${exitCode})`, ...problems.map((p) => `  - ${firstLine(p, 240)}`)];
}

/** The body shared by both reports under their two `head` lines: the table, notes, bisect, verdict. */
function reportText(
  head: readonly string[],
  r: Pick<ParityReport, 'runtimes' | 'bisect' | 'passed' | 'exitCode' | 'problems'>,
): string {
  const { table, notes } = runtimeTable(r.runtimes);
  const lines = [
    ...head,
    '',
    ...table,
    '',
    ...notes.map((n) => `  ${n}`),
    '',
    ...(r.bisect ? [...formatBisect(r.bisect), ''] : []),
    ...verdict(r.passed, r.exitCode, r.problems),
  ];
  return `${lines.join('\n')}\n`;
}

/** Why the reference is what it is, for the first line of the table. */
function referenceLabel(report: ParityReport): string {
  return report.reference.startsWith('tfjs') && report.runDir
    ? `${report.reference} (the training checkpoint of ${report.runDir})`
    : report.reference;
}

/**
 * The parity report as a plain-text table: the reference runtime on the first line; one row per
 * runtime × output with max abs, max rel, mean abs and p99 errors against the reference and the
 * tolerance; skipped runtimes with their reason; the bisect section (`--bisect`); then the verdict.
 */
export function formatParityTable(report: ParityReport): string {
  const ref = report.referenceModel;
  return reportText(
    [
      `Parity of ${report.model.name} (${report.model.precision}) ${report.model.dir} against reference ${referenceLabel(report)}`,
      `reference model: ${ref.dir === report.model.dir ? 'the same model' : `${ref.name} (${ref.precision}) ${ref.dir}`}; ` +
        `inputs: ${report.inputs.source}, batch ${report.inputs.batch}, seed ${report.inputs.seed}, IS K=${report.inputs.samples}`,
    ],
    report,
  );
}

/** The `--onnx` parity report as a plain-text table (the layout of {@link formatParityTable}). */
export function formatOnnxParityTable(report: OnnxParityReport): string {
  const shapes = report.model.inputs.map((i) => `${i.name} [${i.shape.join(', ')}]`).join(', ');
  const source =
    report.inputs.source === 'file'
      ? `from ${report.inputs.file}`
      : `random uniform [0, 1), seed ${report.inputs.seed}`;
  return reportText(
    [
      `Parity of ${report.model.file} against reference ${report.reference}`,
      `inputs: ${shapes}, ${source}; outputs: ${report.model.outputs.join(', ')}`,
    ],
    report,
  );
}
