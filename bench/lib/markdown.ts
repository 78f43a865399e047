import type { Figure } from './figures.js';

/** One benchmark's entry in `bench/results.json`. */
export interface BenchEntry {
  readonly name: string;
  readonly description: string;
  /** The command line that ran it (or `in-process`). */
  readonly command: string;
  readonly status: 'ok' | 'failed';
  readonly reason?: string;
  readonly seconds: number;
  readonly figures: readonly Figure[];
  /** The benchmark's own JSON, verbatim. */
  readonly results?: unknown;
  /** Last lines of its stdout (scripts that only print, and failures). */
  readonly outputTail?: string;
}

/** `bench/results.json`. */
export interface BenchResults {
  readonly schema: 'vae-everywhere/bench-results';
  readonly version: 1;
  readonly date: string;
  readonly quick: boolean;
  readonly machine: {
    readonly cpus: number;
    readonly cpu: string;
    readonly memoryGiB: number;
    readonly node: string;
    readonly platform: string;
  };
  readonly totalSeconds: number;
  readonly benchmarks: readonly BenchEntry[];
}

function fmt(v: number): string {
  const a = Math.abs(v);
  if (a === 0) return '0';
  if (a >= 1000) return v.toLocaleString('en-US', { maximumFractionDigits: 0 });
  if (a >= 1) return v.toFixed(2);
  return v.toPrecision(3);
}

const cell = (s: string): string => s.replace(/\|/g, '\\|').replace(/\n/g, ' ');

/** A benchmark's `notes` (strings under its table: how a baseline was made fair, what a figure means). */
function notesOf(results: unknown): string[] {
  const notes = (results as { notes?: unknown } | null | undefined)?.notes;
  return Array.isArray(notes) ? notes.filter((n): n is string => typeof n === 'string') : [];
}

/** `bench/results.md`: one table per benchmark (figure, value, baseline, ratio), failures with reasons. */
export function resultsMarkdown(r: BenchResults): string {
  const lines = [
    `# Benchmark results${r.quick ? ' (--quick)' : ''}`,
    '',
    `${r.date} · ${r.machine.cpus} × ${r.machine.cpu}, ${r.machine.memoryGiB} GiB · Node ${r.machine.node} (${r.machine.platform}) · total ${r.totalSeconds.toFixed(0)} s`,
    '',
    'Every baseline was measured in the same run. Times are wall-clock on a shared machine; no pass/fail on time.',
    '',
    '| benchmark | status | seconds |',
    '| --- | --- | ---: |',
    ...r.benchmarks.map(
      (b) =>
        `| ${b.name} | ${b.status === 'ok' ? 'ok' : `**failed**: ${cell((b.reason ?? '').slice(0, 160))}`} | ${b.seconds.toFixed(1)} |`,
    ),
  ];
  for (const b of r.benchmarks) {
    lines.push('', `## ${b.name}`, '', `${b.description}. \`${b.command}\``, '');
    if (b.status === 'failed') {
      lines.push(`**Failed**: ${cell(b.reason ?? 'unknown reason')}`, '');
      if (b.outputTail) lines.push('```', b.outputTail, '```');
      continue;
    }
    if (b.figures.length > 0) {
      lines.push('| figure | value | unit | baseline | ratio |', '| --- | ---: | --- | --- | ---: |');
      for (const f of b.figures) {
        const base = f.baseline ? `${cell(f.baseline.label)}: ${fmt(f.baseline.value)}` : '–';
        const ratio = f.baseline && f.baseline.value !== 0 ? `${fmt(f.value / f.baseline.value)}×` : '–';
        lines.push(`| ${cell(f.metric)} | ${fmt(f.value)} | ${f.unit} | ${base} | ${ratio} |`);
      }
    } else if (b.outputTail) {
      lines.push('```', b.outputTail, '```');
    }
    const notes = notesOf(b.results);
    if (notes.length > 0) lines.push('', ...notes.map((n) => `- ${cell(n)}`));
  }
  return `${lines.join('\n')}\n`;
}
