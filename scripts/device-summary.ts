/**
 * The summary of `device-check.sh` (issue 30): reads the raw results of one check (step records,
 * parity reports, training metrics, PyTorch rows) and writes `summary.json` and `summary.md`.
 * Bundled into the device bundle by `scripts/device-bundle.sh`; runs on the bundled Node.
 *
 *   node device-summary.js RAW_DIR OUT_DIR STARTED_EPOCH_SECONDS
 */
import { existsSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

/** One `step` of device-check.sh. */
interface StepRecord {
  readonly name: string;
  readonly status: 'ok' | 'failed' | 'timeout' | 'skipped';
  readonly rc?: number;
  readonly seconds?: number;
  readonly timeout?: number;
  readonly reason?: string;
}

/** The parts of a `vae parity --json` report the summary reads. */
interface ParityReport {
  readonly model: { readonly name: string; readonly precision: string };
  readonly inputs: { readonly batch: number; readonly samples: number };
  readonly runtimes: readonly {
    readonly runtime: string;
    readonly status: string;
    readonly reason?: string;
    readonly detail?: string;
    readonly seconds?: number;
    readonly outputs: readonly { readonly output: string; readonly stats: { readonly maxAbs: number } }[];
  }[];
  readonly exitCode: number;
}

/** A training row of the summary: ours (ort engine on WebGPU) or PyTorch. */
interface TrainRow {
  readonly name: string;
  readonly engine: string;
  readonly device: string;
  readonly model: string;
  readonly batchSize: number;
  readonly status: string;
  readonly epochs: number;
  /** Training images per epoch (null: the whole training split, 55,000 for MNIST). */
  readonly trainImages: number | null;
  readonly secondsPerEpoch: readonly number[];
  /** Optimizer steps of each epoch (ours; fewer in the last one when `--max-minutes` stopped it). */
  readonly stepsPerEpoch: readonly number[] | null;
  readonly trainLoss: number | null;
  readonly valLoss: number | null;
  readonly reason?: string;
}

const [rawDir, outDir, startedText] = process.argv.slice(2);
if (!rawDir || !outDir) throw new Error('usage: device-summary.js RAW_DIR OUT_DIR STARTED_EPOCH_SECONDS');

function readJson<T>(file: string): T | null {
  const path = join(rawDir!, file);
  if (!existsSync(path)) return null;
  try {
    return JSON.parse(readFileSync(path, 'utf8')) as T;
  } catch {
    return null;
  }
}
function readLines<T>(file: string): T[] {
  const path = join(rawDir!, file);
  if (!existsSync(path)) return [];
  return readFileSync(path, 'utf8')
    .split('\n')
    .filter((l) => l.trim() !== '')
    .map((l) => JSON.parse(l) as T);
}
/** The lines of a step's log. */
function logLines(name: string): string[] {
  const path = join(rawDir!, 'logs', `${name}.log`);
  return existsSync(path) ? readFileSync(path, 'utf8').trim().split('\n') : [];
}
/** The last lines of a step's log, for reasons. */
const logTail = (name: string, lines = 3): string => logLines(name).slice(-lines).join(' | ').slice(0, 600);

const steps = readLines<StepRecord>('steps.jsonl');
const stepOf = (name: string): StepRecord | undefined => steps.find((s) => s.name === name);
const failureReason = (name: string): string => {
  const s = stepOf(name);
  if (!s) return 'the step did not run';
  if (s.status === 'skipped') return s.reason ?? 'skipped';
  if (s.status === 'timeout') return `timed out after ${s.timeout} s; ${logTail(name)}`;
  return `exit ${s.rc}: ${logTail(name)}`;
};

function parityRow(name: string, file: string, runtime: string) {
  const report = readJson<ParityReport>(file);
  const r = report?.runtimes.find((x) => x.runtime === runtime);
  if (!report || !r) return { name, runtime, status: 'error', reason: failureReason(`parity-${name}`) };
  return {
    name,
    runtime,
    model: `${report.model.name} (${report.model.precision})`,
    status: r.status,
    ...(r.reason ? { reason: r.reason } : {}),
    inputs: report.inputs,
    seconds: r.seconds ?? null,
    maxAbs: Object.fromEntries(r.outputs.map((o) => [o.output, o.stats.maxAbs])),
  };
}

interface Metrics {
  readonly seconds: number;
  readonly epochSteps: number;
  readonly trainLoss: number;
  readonly valLoss: number;
}
interface TrainConfigFile {
  readonly config?: { readonly trainSize?: number | null };
}

function ourRow(name: string, model: string, batchSize: number): TrainRow {
  const metrics = readLines<Metrics>(`metrics-${name}.jsonl`);
  const last = metrics[metrics.length - 1];
  const step = stepOf(`train-webgpu-${name}`);
  const stoppedBy = readJson<{ stoppedBy?: string }>(`train-${name}.json`)?.stoppedBy;
  const done = step?.status === 'ok' && metrics.length > 0 && stoppedBy === 'epochs';
  return {
    name: `ours-${name}`,
    engine: 'vae (ort engine)',
    device: 'onnxruntime-node webgpu',
    model,
    batchSize,
    status: done ? 'ok' : metrics.length > 0 ? 'partial' : 'failed',
    epochs: metrics.length,
    trainImages: readJson<TrainConfigFile>(`config-${name}.json`)?.config?.trainSize ?? null,
    secondsPerEpoch: metrics.map((m) => m.seconds),
    stepsPerEpoch: metrics.map((m) => m.epochSteps),
    trainLoss: last?.trainLoss ?? null,
    valLoss: last?.valLoss ?? null,
    ...(done
      ? {}
      : {
          reason:
            step?.status === 'ok'
              ? `stopped by ${stoppedBy ?? '?'} (--max-minutes)`
              : failureReason(`train-webgpu-${name}`),
        }),
  };
}

interface TorchResult {
  readonly secondsPerEpoch: readonly number[];
  readonly trainImages: number;
  readonly losses: readonly (readonly [number, number])[];
  readonly device: string;
  readonly torch: string;
  readonly gpu?: string;
}

function torchRow(name: string, model: string, batchSize: number, device: string): TrainRow {
  const r = readJson<TorchResult>(`torch-${name}.json`);
  const last = r?.losses[r.losses.length - 1];
  const base = { name: `pytorch-${name}`, model, batchSize };
  if (!r) {
    const reason = failureReason(`train-torch-${name}`);
    // No PyTorch (or no numpy, which the baseline imports first) on the host: skipped, not failed.
    const skipped = /No module named '(torch|numpy)'|not found|is_available\(\) is False/.test(reason);
    return {
      ...base,
      engine: 'pytorch',
      device,
      status: skipped ? 'skipped' : 'failed',
      epochs: 0,
      trainImages: null,
      secondsPerEpoch: [],
      stepsPerEpoch: null,
      trainLoss: null,
      valLoss: null,
      reason,
    };
  }
  return {
    ...base,
    engine: `pytorch ${r.torch}`,
    device: r.gpu ? `${r.device} (${r.gpu})` : r.device,
    status: 'ok',
    epochs: r.secondsPerEpoch.length,
    trainImages: r.trainImages,
    secondsPerEpoch: r.secondsPerEpoch,
    stepsPerEpoch: null,
    trainLoss: last?.[0] ?? null,
    valLoss: last?.[1] ?? null,
  };
}

function cudaRow() {
  const report = readJson<ParityReport>('parity-cuda.json');
  const r = report?.runtimes.find((x) => x.runtime === 'ort-node-cuda');
  if (!r) return { status: 'error', reason: failureReason('cuda-ep') };
  if (r.status === 'error' || r.status === 'unavailable')
    return { status: 'unavailable', reason: r.reason ?? 'no reason given' };
  return { status: 'available', parity: r.status };
}

const env = readJson<Record<string, unknown>>('env.json') ?? {};
const adapterStep = stepOf('adapter');
let adapter: Record<string, unknown> = { found: false, reason: failureReason('adapter') };
if (adapterStep?.status === 'ok') {
  const line = logLines('adapter')
    .reverse()
    .find((l) => l.startsWith('{'));
  if (line) adapter = JSON.parse(line) as Record<string, unknown>;
}
const torchDevice = String(env.torchDevice ?? 'cuda');
const started = Number(startedText);
const summary = {
  schema: 'vae-everywhere/device-check',
  version: 1,
  createdAt: new Date().toISOString(),
  wallSeconds: Number.isFinite(started) ? Math.round(Date.now() / 1000 - started) : null,
  env,
  bundle: readJson<Record<string, unknown>>('bundle.json'),
  host: logTail('host', 20),
  adapter,
  parity: [
    parityRow('mnist-vae', 'parity-mnist-vae.json', 'ort-node-webgpu'),
    parityRow('conv-vae', 'parity-conv-vae.json', 'ort-node-webgpu'),
  ],
  train: [
    ourRow('mlp', '784-400-20 MLP VAE', 128),
    torchRow('mlp', '784-400-20 MLP VAE', 128, torchDevice),
    ourRow('conv', 'conv-small VAE (28×28×1)', 256),
    torchRow('conv', 'conv-small VAE (28×28×1)', 256, torchDevice),
  ],
  cudaExecutionProvider: cudaRow(),
  steps,
};

const fmt = (v: number | null | undefined, digits = 2): string =>
  v === null || v === undefined || !Number.isFinite(v) ? '–' : v.toFixed(digits);
const clip = (text: string | undefined): string => (text ? `: ${text.replaceAll('\n', ' ').slice(0, 200)}` : '');

function parityLine(p: ReturnType<typeof parityRow>): string {
  const maxAbs = 'maxAbs' in p ? Object.entries(p.maxAbs).map(([k, v]) => `${k} ${v.toExponential(1)}`) : [];
  const seconds = 'seconds' in p ? fmt(p.seconds, 1) : '–';
  return `| ${p.name} | ${p.status}${clip(p.reason)} | ${maxAbs.join(', ') || '–'} | ${seconds} |`;
}

function stepLine(s: StepRecord): string {
  const expected = s.name === 'cuda-ep' && s.rc === 2 ? ' (exit 2 = runtime unavailable: expected)' : '';
  return `| ${s.name} | ${s.status}${s.rc !== undefined ? ` (rc ${s.rc})` : ''}${expected} | ${fmt(s.seconds, 1)} |`;
}

function trainLine(t: TrainRow): string {
  const perEpoch =
    t.secondsPerEpoch
      .map(
        (s, i) =>
          `${fmt(s)}${t.stepsPerEpoch ? ` (${t.stepsPerEpoch[i]} step${t.stepsPerEpoch[i] === 1 ? '' : 's'})` : ''}`,
      )
      .join(', ') || '–';
  return `| ${t.engine} | ${t.device} | ${t.model} | ${t.batchSize} | ${t.trainImages ?? 'all'} | ${perEpoch} | ${fmt(t.trainLoss)} | ${fmt(t.valLoss)} | ${t.status}${clip(t.reason)} |`;
}
const md = [
  `# GPU check (${String(env.scale ?? 'full')} scale), ${summary.createdAt}`,
  '',
  `Host: ${summary.host.replaceAll(' | ', '; ') || 'unknown'}`,
  '',
  `Vulkan: loader ${String(env.vulkanLoader ?? '?')}, ICD ${String(env.icd || 'none')} (${String(env.icdSource ?? '?')})`,
  '',
  `WebGPU adapter (Dawn): ${adapter.found ? `${String(adapter.vendor)} ${String(adapter.architecture)} ${String(adapter.description)}${adapter.isFallbackAdapter ? ' (fallback/software)' : ''}` : `none (${String(adapter.reason ?? 'not found')})`}`,
  '',
  '## Parity (ort-node-webgpu vs ort-node-cpu)',
  '',
  '| model | status | max abs (per output) | seconds |',
  '| --- | --- | --- | --- |',
  ...summary.parity.map(parityLine),
  '',
  '## Training, 2 epochs (s/epoch includes validation)',
  '',
  '| row | device | model | batch | train images | s/epoch | train loss | val loss | status |',
  '| --- | --- | --- | --- | --- | --- | --- | --- | --- |',
  ...summary.train.map(trainLine),
  '',
  `## CUDA execution provider: ${summary.cudaExecutionProvider.status}`,
  '',
  'reason' in summary.cudaExecutionProvider ? String(summary.cudaExecutionProvider.reason).replaceAll('\n', ' ') : '',
  '',
  '## Steps',
  '',
  '| step | status | seconds |',
  '| --- | --- | --- |',
  ...steps.map(stepLine),
  '',
  `Wall time: ${summary.wallSeconds ?? '?'} s`,
  '',
].join('\n');

/** Writes `file` atomically (a temporary file, then a rename). */
function writeAtomic(file: string, text: string): void {
  writeFileSync(`${file}.tmp`, text);
  renameSync(`${file}.tmp`, file);
}
writeAtomic(join(outDir, 'summary.json'), `${JSON.stringify(summary, null, 2)}\n`);
writeAtomic(join(outDir, 'summary.md'), md);
