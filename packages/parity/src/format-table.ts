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

/**
 * The parity report as a plain-text table: one row per runtime × output with max abs, max rel,
 * mean abs and p99 errors against the reference and the tolerance; skipped runtimes with their reason;
 * then the verdict.
 */
export function formatParityTable(report: ParityReport): string {
  const header = ['runtime', 'output', 'max abs', 'max rel', 'mean abs', 'p99 abs', 'tol abs', 'tol rel', 'result'];
  const rows: string[][] = [];
  const notes: string[] = [];
  for (const r of report.runtimes) {
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
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((row) => row[i]!.length)));
  const lines = [
    `Parity of ${report.model.name} (${report.model.precision}) ${report.model.dir}`,
    `reference: ${report.reference} on ${report.referenceModel.dir === report.model.dir ? 'the same model' : `${report.referenceModel.name} (${report.referenceModel.precision}) ${report.referenceModel.dir}`}; ` +
      `inputs: ${report.inputs.source}, batch ${report.inputs.batch}, seed ${report.inputs.seed}, IS K=${report.inputs.samples}`,
    '',
    pad(header, widths),
    pad(
      widths.map((w) => '-'.repeat(w)),
      widths,
    ),
    ...rows.map((row) => pad(row, widths)),
    '',
    ...notes.map((n) => `  ${n}`),
    '',
    report.passed ? 'PASS' : `FAIL (exit ${report.exitCode})`,
    ...report.problems.map((p) => `  - ${firstLine(p, 240)}`),
  ];
  return `${lines.join('\n')}\n`;
}
