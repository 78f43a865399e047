import { existsSync } from 'node:fs';
import { resolve } from 'node:path';
import type { Argv, CommandModule } from 'yargs';
import { exitOnShutdownSignal } from '../shutdown-signal.js';
import { integerOption } from './integer-option.js';
import {
  INPUT_SOURCES,
  describeTolerances,
  parseDims,
  parseRuntimeList,
  parseToleranceOverride,
  type InputSource,
  type RuntimeName,
  type ToleranceOverride,
} from '@vae/parity/options';

interface ParityArgs {
  model: string | undefined;
  onnx: string | undefined;
  bisect: boolean;
  dim: Record<string, number>;
  'load-inputs': string | undefined;
  'load-outputs': string | undefined;
  'save-outputs': string | undefined;
  chromium: string | undefined;
  runtimes: RuntimeName[] | undefined;
  reference: RuntimeName | undefined;
  'reference-model': string | undefined;
  run: string | undefined;
  inputs: InputSource;
  batch: number;
  seed: number;
  samples: number;
  tolerance: ToleranceOverride[];
  threads: number | undefined;
  json: string | undefined;
}

/** Options that only `--onnx` takes. */
const ONNX_ONLY = ['dim', 'load-inputs', 'load-outputs', 'save-outputs'] as const;

/** The model under test: `--model` or `--onnx` with its own flags, `--bisect`, `--chromium`. */
function modelOptions(y: Argv): Argv {
  return y
    .option('model', {
      type: 'string',
      describe: 'model directory (manifest.json, encoder.onnx, decoder.onnx); or --onnx FILE',
    })
    .option('onnx', {
      type: 'string',
      describe:
        'any ONNX file instead of a model directory (no manifest): float32 inputs, random with --seed (symbolic dims from --dim, else 1) or from --load-inputs',
    })
    .option('bisect', {
      type: 'boolean',
      default: false,
      describe:
        'find the first node that diverges: every intermediate tensor becomes an output on the reference and on the one other runtime (or model, --against), compared node by node; writes a minimal repro ONNX next to --json',
    })
    .option('dim', {
      type: 'string',
      array: true,
      default: [],
      coerce: (raw: unknown) => parseDims(raw),
      describe: 'with --onnx: size of a symbolic dimension, NAME=N (repeatable, e.g. batch=8); unnamed ones are 1',
    })
    .option('load-inputs', { type: 'string', describe: 'with --onnx: feed the inputs of this golden tensor file' })
    .option('load-outputs', {
      type: 'string',
      describe:
        'with --onnx: compare every runtime with the outputs of this golden tensor file (saved on another machine); its inputs are fed unless --load-inputs',
    })
    .option('save-outputs', {
      type: 'string',
      describe:
        "with --onnx: write the inputs and the reference runtime's outputs to this golden tensor file (JSON, base64 float32)",
    })
    .option('chromium', {
      type: 'string',
      describe: 'Chromium binary of the @chromium runtimes (default $VAE_CHROMIUM, else /usr/bin/chromium)',
    });
}

/** Exactly one of `--model` / `--onnx`, and the `--onnx`-only flags only with `--onnx`. */
function checkModelOrOnnx(argv: Record<string, unknown>): true {
  const a = argv as unknown as Pick<ParityArgs, 'model' | 'onnx' | 'dim' | (typeof ONNX_ONLY)[number]>;
  if (!a.model === !a.onnx)
    throw new RangeError(`--model / --onnx: expected exactly one of them, got ${a.model ? 'both' : 'neither'}`);
  const onnxOnly = ONNX_ONLY.find((k) => a[k] !== undefined && (k !== 'dim' || Object.keys(a.dim).length > 0));
  if (a.model && onnxOnly) throw new RangeError(`--${onnxOnly}: expected it with --onnx FILE, got it with --model`);
  return true;
}

/** Runtimes, reference, inputs and tolerances of the comparison. */
function comparisonOptions(y: Argv): Argv {
  return y
    .option('runtimes', {
      type: 'string',
      array: true,
      coerce: (raw: unknown) => parseRuntimeList(raw),
      describe:
        'runtimes to run (comma-separated or repeated), e.g. ort-node-cpu,ort-web-wasm@firefox; default all: every registered runtime, each reported as pass, fail or skipped with its reason (docs/RUNTIMES.md lists them)',
    })
    .option('reference', {
      type: 'string',
      coerce: (raw: unknown) => parseRuntimeList(Array.isArray(raw) ? raw[raw.length - 1] : raw, '--reference')?.[0],
      describe: 'reference runtime (default ort-node-cpu; tfjs-cpu when --run is given and TensorFlow.js is installed)',
    })
    .option('reference-model', {
      alias: 'against',
      type: 'string',
      describe: 'the reference runtime runs this model directory instead (compare two exports, e.g. int8 vs fp32)',
    })
    .option('run', {
      alias: 'run-dir',
      type: 'string',
      describe:
        "training run folder whose checkpoint the TensorFlow.js runtimes load (default: the model's parent if it has one)",
    })
    .option('inputs', {
      type: 'string',
      choices: Object.keys(INPUT_SOURCES),
      default: 'grey',
      describe: 'seeded grey levels, or the first N MNIST test images',
    })
    .option('batch', { type: 'string', default: '64', coerce: integerOption('batch', 1), describe: 'rows of x and z' })
    .option('seed', {
      type: 'string',
      default: '1',
      coerce: integerOption('seed', 0),
      describe: 'seed of x, y, z (ε seeds are seed+1 for the ELBO, seed+2 for IS)',
    })
    .option('samples', {
      type: 'string',
      default: '64',
      coerce: integerOption('samples', 1),
      describe: 'importance samples K per example for log p(x)',
    })
    .option('tolerance', {
      type: 'string',
      array: true,
      default: [],
      coerce: (raw: unknown) => (Array.isArray(raw) ? raw : [raw]).map((v) => parseToleranceOverride(String(v))),
      describe:
        'override a tolerance: OUTPUT=ABS[,REL] (OUTPUT: mu, logvar, z, x_logits, x_mean, elbo, log_px or *); repeatable',
    })
    .option('threads', {
      type: 'string',
      coerce: (raw: unknown) => (raw === undefined ? undefined : integerOption('threads', 1)(raw)),
      describe: 'intra-op threads for CPU/WASM sessions',
    });
}

/** The epilog of `vae parity --help`: the default tolerances and how to bisect. */
function parityEpilog(): string {
  return [
    'Default tolerances, allclose |a − r| ≤ abs + rel·|r|, by device arithmetic × precision (the looser of candidate and',
    'reference; precision fp32 whenever both sides run the same weights):',
    ...describeTolerances(),
    '',
    'Finding the node that diverges: --bisect with --against DIR, or with --runtimes REF,OTHER; any ONNX file: --onnx FILE',
    '[--dim NAME=N] [--load-inputs F] [--save-outputs F | --load-outputs F]. See docs/RUNTIMES.md.',
  ].join('\n');
}

/** `vae parity`: runs a model on every runtime with identical inputs and compares the outputs. */
export const parityCommand: CommandModule<object, ParityArgs> = {
  command: 'parity',
  describe:
    'Compare a model across runtimes (TensorFlow.js, onnxruntime-node and onnxruntime-web in Node, Deno, Bun and browsers); exit 0 pass, 1 violation, 2 runtime unavailable',
  builder: (y: Argv) =>
    comparisonOptions(modelOptions(y).check(checkModelOrOnnx))
      .option('json', { type: 'string', describe: 'write the JSON report to this file (atomically)' })
      .epilog(parityEpilog()) as unknown as Argv<ParityArgs>,
  handler: async (args) => {
    if (args.chromium !== undefined) useChromium(args.chromium);
    // A signal ends the run at once: its runtimes' processes and browsers end with it.
    const report = await exitOnShutdownSignal(() => (args.onnx ? onnxParity(args) : modelParity(args)));
    process.exitCode = report.exitCode;
  },
};

/** `--chromium PATH`: checked, then handed to the browser driver through `VAE_CHROMIUM` (its one source). */
function useChromium(path: string): void {
  const full = resolve(path);
  if (!existsSync(full))
    throw new RangeError(`--chromium: expected the path of a Chromium binary, got ${full} (no such file)`);
  process.env.VAE_CHROMIUM = full;
}

/** Where `--bisect` writes its repro files: next to `--json` (`<name>.bisect.onnx`), else a temp folder. */
const reproPrefix = (json: string | undefined) =>
  json ? { reproPrefix: `${json.replace(/\.json$/i, '')}.bisect` } : {};

/** Runtimes, reference, tolerances and threads, shared by both modes. */
const common = (args: ParityArgs) => ({
  ...(args.runtimes ? { runtimes: args.runtimes } : {}),
  ...(args.reference ? { reference: args.reference } : {}),
  seed: args.seed,
  tolerances: args.tolerance,
  bisect: args.bisect,
  ...reproPrefix(args.json),
  ...(args.threads === undefined ? {} : { threads: args.threads }),
});

async function writeJson(path: string | undefined, report: unknown): Promise<void> {
  if (!path) return;
  const { writeFileAtomic } = await import('@vae/data/node');
  await writeFileAtomic(path, `${JSON.stringify(report, null, 2)}\n`);
}

async function modelParity(args: ParityArgs): Promise<{ exitCode: number }> {
  const { formatParityTable, runParity } = await import('@vae/parity');
  const report = await runParity({
    modelDir: args.model!,
    referenceModelDir: args['reference-model'] ?? null,
    runDir: args.run ?? null,
    inputs: args.inputs,
    batch: args.batch,
    samples: args.samples,
    ...common(args),
  });
  process.stdout.write(formatParityTable(report));
  await writeJson(args.json, report);
  return report;
}

async function onnxParity(args: ParityArgs): Promise<{ exitCode: number }> {
  const { formatOnnxParityTable, runOnnxParity } = await import('@vae/parity');
  const report = await runOnnxParity({
    file: args.onnx!,
    dims: args.dim,
    ...(args['load-inputs'] ? { loadInputs: args['load-inputs'] } : {}),
    ...(args['load-outputs'] ? { loadOutputs: args['load-outputs'] } : {}),
    ...(args['save-outputs'] ? { saveOutputs: args['save-outputs'] } : {}),
    ...common(args),
  });
  process.stdout.write(formatOnnxParityTable(report));
  await writeJson(args.json, report);
  return report;
}
