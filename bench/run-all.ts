/**
 * The benchmark suite: `pnpm bench [--quick] [--only a,b] [--skip a,b] [--model models/mnist-vae]`.
 *
 * Runs the training (tfjs engines; ort engine vs tfjs), encoder, IS-NLL evaluation, this product vs PyTorch
 * (each row with its PyTorch baseline in the same run when /usr/bin/python3 has torch), server and
 * browser benchmarks and the `vae --help` start-up one after the other (child processes, except the IS-NLL and browser latency
 * benchmarks, which run here), and merges their JSON into `bench/results.json` and a markdown table `bench/results.md`.
 * Every figure comes with the baseline measured in the same run where there is one. A
 * sub-benchmark that fails (non-zero exit, timeout, no results file) is recorded as failed with its
 * reason. No pass/fail on time. The IS-NLL benchmark evaluates K=5000 importance samples on 1,000
 * MNIST test images through `VaeModel` on onnxruntime-node's CPU EP (`--quick`: 50 images, K=1000).
 */
import { execFile } from 'node:child_process';
import { existsSync } from 'node:fs';
import { copyFile, mkdir, readFile, rm, stat, symlink } from 'node:fs/promises';
import { cpus, totalmem } from 'node:os';
import { basename, dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { setLogLevel } from '@vae/core';
import { writeFileAtomic } from '@vae/data/node';
import { figuresFor } from './lib/figures.js';
import { browserLatencyBenchmark } from './lib/browser-latency.js';
import { cliStartupBenchmark } from './lib/cli-startup.js';
import { isNllBenchmark, type IsNllOptions } from './lib/is-nll.js';
import { resultsMarkdown, type BenchEntry, type BenchResults } from './lib/markdown.js';
import { SUB_BENCHMARKS, type SubBenchmarkName } from './lib/sub-benchmarks.js';

const root = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const argv = process.argv.slice(2);
const flag = (name: string): boolean => argv.includes(`--${name}`);
function arg(name: string): string | undefined {
  const i = argv.indexOf(`--${name}`);
  return i >= 0 && argv[i + 1] && !argv[i + 1]!.startsWith('--') ? argv[i + 1] : undefined;
}
const ALL = [
  'train',
  'train-ort',
  'train-browser',
  'encoder',
  'is-nll',
  'vs-pytorch',
  'embed',
  'server',
  'embed-queue',
  'browser',
  'cli-startup',
  'images',
  'verify',
] as const;
type Name = (typeof ALL)[number];
const parseList = (v: string | undefined): string[] =>
  (v ?? '')
    .split(',')
    .map((s) => s.trim())
    .filter(Boolean);
const only = parseList(arg('only'));
const skip = parseList(arg('skip'));
for (const n of [...only, ...skip]) {
  if (!(ALL as readonly string[]).includes(n)) {
    process.stderr.write(`error: --only/--skip: expected names among ${ALL.join(',')}, got ${JSON.stringify(n)}\n`);
    process.exit(2);
  }
}
const quick = flag('quick');
const modelDir = resolve(root, arg('model') ?? 'models/mnist-vae');
const selected = ALL.filter((n) => (only.length === 0 || only.includes(n)) && !skip.includes(n));
const log = (s: string): void => {
  process.stderr.write(`[bench] ${s}\n`);
};
setLogLevel('warn');

const tail = (text: string, lines = 25): string => text.trimEnd().split('\n').slice(-lines).join('\n');

/**
 * Scripts run from copies in this scratch folder (a sibling of bench/, so their `../packages/…`
 * imports and `../models/…` defaults still resolve): the JSON each writes next to itself lands here
 * and is merged into bench/results.json, leaving the scripts' own bench/*-results.json untouched.
 */
const scratch = join(root, `.bench-run-${process.pid}`);

function runChild(
  script: string,
  args: readonly string[],
  timeoutSeconds: number,
): Promise<{ code: number | null; signal: string | null; stdout: string; stderr: string }> {
  return new Promise((done) => {
    execFile(
      process.execPath,
      ['--import', 'tsx', script, ...args],
      { cwd: root, timeout: timeoutSeconds * 1000, killSignal: 'SIGKILL', maxBuffer: 256 * 1024 * 1024 },
      (err, stdout, stderr) => {
        const e = err as (Error & { code?: number | string; signal?: string | null }) | null;
        done({
          code: e ? (typeof e.code === 'number' ? e.code : null) : 0,
          signal: e?.signal ?? null,
          stdout: String(stdout),
          stderr: String(stderr),
        });
      },
    );
  });
}

async function runSub(name: Exclude<Name, 'is-nll' | 'browser' | 'cli-startup'>): Promise<BenchEntry> {
  const sub = SUB_BENCHMARKS[name as SubBenchmarkName];
  const args = quick ? sub.quickArgs : sub.args;
  const withModel = ['encoder', 'server', 'embed', 'embed-queue', 'verify'];
  const modelArgs = withModel.includes(name) ? ['--model', modelDir] : [];
  const command = `tsx ${sub.script} ${[...args, ...modelArgs].join(' ')}`.trim();
  const base = { name, description: sub.description, command };
  if (!existsSync(join(root, sub.script)))
    return { ...base, status: 'failed', reason: `script ${sub.script} not found`, seconds: 0, figures: [] };
  await mkdir(scratch, { recursive: true });
  // The copies import their shared helpers as ./lib/…: link the folder beside them.
  if (!existsSync(join(scratch, 'lib'))) await symlink(join(root, 'bench', 'lib'), join(scratch, 'lib'), 'dir');
  const copy = join(scratch, basename(sub.script));
  await copyFile(join(root, sub.script), copy);
  const started = Date.now();
  const r = await runChild(copy, [...args, ...modelArgs], sub.timeoutSeconds);
  const seconds = (Date.now() - started) / 1000;
  if (r.code !== 0) {
    const why = r.signal
      ? `killed by ${r.signal}${seconds >= sub.timeoutSeconds - 1 ? ` after the ${sub.timeoutSeconds} s limit` : ''}`
      : `exit code ${String(r.code)}`;
    const lastErr = tail(r.stderr, 1);
    return {
      ...base,
      status: 'failed',
      reason: `${why}${lastErr ? `: ${lastErr}` : ''}`,
      seconds,
      figures: [],
      outputTail: tail(`${r.stdout}\n${r.stderr}`),
    };
  }
  if (!sub.resultsFile) return { ...base, status: 'ok', seconds, figures: [], outputTail: tail(r.stdout) };
  const file = join(scratch, basename(sub.resultsFile));
  if (!existsSync(file) || (await stat(file)).mtimeMs < started) {
    return {
      ...base,
      status: 'failed',
      reason: `exited 0 but did not write ${sub.resultsFile}`,
      seconds,
      figures: [],
      outputTail: tail(r.stdout),
    };
  }
  const results = JSON.parse(await readFile(file, 'utf8')) as unknown;
  let figures: BenchEntry['figures'] = [];
  try {
    figures = figuresFor(name, results);
  } catch (err) {
    log(`${name}: could not extract figures (${err instanceof Error ? err.message : String(err)}); raw JSON kept`);
  }
  return { ...base, status: 'ok', seconds, figures, results, outputTail: tail(r.stdout, 15) };
}

type EntryBase = Pick<BenchEntry, 'name' | 'description' | 'command'>;

/**
 * Runs an in-process benchmark: `entry` turns its results into the entry (by default ok, with the
 * figures of `base.name`); a thrown error becomes a failed entry.
 */
async function runInProcess<R>(
  base: EntryBase,
  measure: () => Promise<R>,
  entry: (results: R, seconds: number) => BenchEntry = (results, seconds) => ({
    ...base,
    status: 'ok',
    seconds,
    figures: figuresFor(base.name, results),
    results,
  }),
): Promise<BenchEntry> {
  const started = Date.now();
  try {
    const results = await measure();
    return entry(results, (Date.now() - started) / 1000);
  } catch (err) {
    return {
      ...base,
      status: 'failed',
      reason: err instanceof Error ? err.message : String(err),
      seconds: (Date.now() - started) / 1000,
      figures: [],
    };
  }
}

async function runIsNll(): Promise<BenchEntry> {
  const o: IsNllOptions = quick
    ? { modelDir, images: 50, samples: 1000, tuneImages: 10, wasmImages: 5, seed: 1 }
    : { modelDir, images: 1000, samples: 5000, tuneImages: 50, wasmImages: 20, seed: 1 };
  const command = `in-process: isNllBenchmark(${o.images} images, K=${o.samples})`;
  const base = {
    name: 'is-nll',
    description:
      'importance-sampled NLL evaluation through VaeModel (onnxruntime-node cpu), one call with default options, and those defaults against tuned rows per run',
    command,
  };
  return runInProcess(base, () => isNllBenchmark(o));
}

async function runBrowser(): Promise<BenchEntry> {
  const o = quick
    ? { modelDir, batches: [1, 64], reps: 10, warmup: 2 }
    : { modelDir, batches: [1, 64, 256], reps: 50, warmup: 5 };
  const base = {
    name: 'browser',
    description:
      'decoder latency in Chromium (onnxruntime-web wasm / WebGPU through VaeModel), baseline onnxruntime-node cpu',
    command: `in-process: browserLatencyBenchmark(batches ${o.batches.join(',')}, ${o.reps} reps)`,
  };
  return runInProcess(
    base,
    () => browserLatencyBenchmark(o),
    (results, seconds) => {
      const failed = results.failures.map((f) => `${f.runtime}: ${f.reason.split('\n')[0]}`).join('; ');
      if (results.results.length === 0)
        return {
          ...base,
          status: 'failed',
          reason: failed || 'no browser runtime measured',
          seconds,
          figures: [],
          results,
        };
      return {
        ...base,
        status: 'ok',
        seconds,
        figures: figuresFor('browser', results),
        results,
        ...(failed ? { outputTail: `not measured: ${failed}` } : {}),
      };
    },
  );
}

async function runCliStartup(): Promise<BenchEntry> {
  const reps = quick ? 5 : 15;
  const base = {
    name: 'cli-startup',
    description: '`vae --help` start-up, built CLI (what an installed package runs), baseline `node -e 0`',
    command: `in-process: cliStartupBenchmark(${reps} runs per command)`,
  };
  return runInProcess(base, () => cliStartupBenchmark({ root, reps }));
}

const t0 = Date.now();
const entries: BenchEntry[] = [];
try {
  for (const name of selected) {
    log(`${name}: running${quick ? ' (quick)' : ''}`);
    const entry =
      name === 'is-nll'
        ? await runIsNll()
        : name === 'browser'
          ? await runBrowser()
          : name === 'cli-startup'
            ? await runCliStartup()
            : await runSub(name);
    log(
      `${name}: ${entry.status} in ${entry.seconds.toFixed(1)} s${entry.reason ? ` (${entry.reason.split('\n')[0]})` : ''}`,
    );
    entries.push(entry);
  }
} finally {
  await rm(scratch, { recursive: true, force: true });
}
const report: BenchResults = {
  schema: 'vae-everywhere/bench-results',
  version: 1,
  date: new Date().toISOString(),
  quick,
  machine: {
    cpus: cpus().length,
    cpu: cpus()[0]?.model ?? 'unknown',
    memoryGiB: Math.round(totalmem() / 2 ** 30),
    node: process.version,
    platform: `${process.platform}-${process.arch}`,
  },
  totalSeconds: (Date.now() - t0) / 1000,
  benchmarks: entries,
};
await writeFileAtomic(join(root, 'bench/results.json'), `${JSON.stringify(report, null, 2)}\n`);
const md = resultsMarkdown(report);
await writeFileAtomic(join(root, 'bench/results.md'), md);
process.stdout.write(md);
log(
  `wrote bench/results.json and bench/results.md (${report.totalSeconds.toFixed(0)} s; ${entries.filter((e) => e.status === 'failed').length} failed)`,
);
