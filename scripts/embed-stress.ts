/**
 * Repeats the `vae embed` configuration that crashed with SIGSEGV (issue 28: 3 of 16 runs of
 * `vae embed --dataset mnist --split all --chunk-size 200 --index none`) and counts the runs that
 * end on a signal. Each run writes a fresh table in a temp folder. Not part of the test suite (30
 * runs take 5–15 minutes on 2 cores).
 *
 *   tsx scripts/embed-stress.ts [--runs 30] [--chunk-size 200] [--parallel 1] [--model models/mnist-vae]
 *                               [--cli packages/cli/bin/vae.js] [--json out.json]
 *
 * `--cli` runs another checkout's CLI (e.g. the code before the fix) under the same conditions.
 * Exits 1 when any run crashed or failed. Set `ulimit -c unlimited` beforehand to keep core dumps.
 */
import { spawn } from 'node:child_process';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir, loadavg } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const argv = process.argv.slice(2);
function arg(name: string, fallback: string): string {
  const i = argv.indexOf(`--${name}`);
  return i >= 0 && argv[i + 1] !== undefined ? argv[i + 1]! : fallback;
}
function count(name: string, fallback: number): number {
  const v = Number(arg(name, String(fallback)));
  if (!Number.isInteger(v) || v < 1) throw new RangeError(`--${name}: expected an integer ≥ 1, got ${arg(name, '')}`);
  return v;
}

const runs = count('runs', 30);
const chunkSize = count('chunk-size', 200);
const parallel = count('parallel', 1);
const model = resolve(ROOT, arg('model', 'models/mnist-vae'));
const cli = resolve(ROOT, arg('cli', 'packages/cli/bin/vae.js'));
const jsonOut = arg('json', '');

/** One run's outcome. */
interface Run {
  readonly run: number;
  readonly code: number | null;
  readonly signal: NodeJS.Signals | null;
  readonly seconds: number;
  readonly rows: number | null;
  readonly tail: string;
}

async function once(run: number, dir: string): Promise<Run> {
  const out = join(dir, `run-${run}.lance`);
  const args = ['embed', '--model', model, '--dataset', 'mnist', '--split', 'all'];
  args.push('--chunk-size', String(chunkSize), '--index', 'none', '--out', out, '--json');
  const t0 = performance.now();
  const child = spawn(process.execPath, [cli, ...args], { cwd: dirname(dirname(dirname(dirname(cli)))) });
  let stdout = '';
  let stderr = '';
  child.stdout.on('data', (d: Buffer) => {
    stdout += d.toString();
  });
  child.stderr.on('data', (d: Buffer) => {
    stderr = (stderr + d.toString()).slice(-2000);
  });
  const [code, signal] = await new Promise<[number | null, NodeJS.Signals | null]>((r) =>
    child.once('exit', (c, s) => r([c, s])),
  );
  let rows: number | null = null;
  try {
    rows = (JSON.parse(stdout) as { rows: number }).rows;
  } catch {
    // a crashed or failed run prints no summary
  }
  await rm(out, { recursive: true, force: true });
  await rm(`${out}.lock`, { force: true });
  const seconds = (performance.now() - t0) / 1000;
  return { run, code, signal, seconds, rows, tail: code === 0 ? '' : stderr.trim().split('\n').slice(-6).join('\n') };
}

const dir = await mkdtemp(join(tmpdir(), 'vae-embed-stress-'));
const results: Run[] = [];
let next = 0;
const load0 = loadavg()[0]!;
const t0 = performance.now();
try {
  await Promise.all(
    Array.from({ length: parallel }, async () => {
      while (next < runs) {
        const r = await once(next++, dir);
        results.push(r);
        const what = r.signal ? `killed by ${r.signal}` : `exit ${r.code}`;
        process.stderr.write(`run ${r.run + 1}/${runs}: ${what}, ${r.rows ?? '?'} rows, ${r.seconds.toFixed(1)} s\n`);
        if (r.tail) process.stderr.write(`${r.tail}\n`);
      }
    }),
  );
} finally {
  await rm(dir, { recursive: true, force: true });
}
const crashed = results.filter((r) => r.signal !== null);
const failed = results.filter((r) => r.signal === null && r.code !== 0);
const summary = {
  command: `vae embed --dataset mnist --split all --chunk-size ${chunkSize} --index none`,
  cli,
  runs,
  parallel,
  ok: results.filter((r) => r.code === 0 && r.rows === 70_000).length,
  crashed: crashed.length,
  signals: crashed.map((r) => r.signal),
  failed: failed.length,
  seconds: (performance.now() - t0) / 1000,
  loadAverage: { start: load0, end: loadavg()[0]! },
  results: results.sort((a, b) => a.run - b.run),
};
if (jsonOut) await writeFile(resolve(jsonOut), `${JSON.stringify(summary, null, 2)}\n`);
process.stdout.write(
  `${summary.command}: ${summary.ok}/${runs} ok, ${summary.crashed} crashed${crashed.length ? ` (${summary.signals.join(', ')})` : ''}, ${summary.failed} failed, ${summary.seconds.toFixed(0)} s (load ${load0.toFixed(1)} → ${summary.loadAverage.end.toFixed(1)})\n`,
);
process.exit(crashed.length || failed.length ? 1 : 0);
