import type { Argv, CommandModule } from 'yargs';
import {
  INPUT_SOURCES,
  describeTolerances,
  parseRuntimeList,
  parseToleranceOverride,
  type InputSource,
  type RuntimeName,
  type ToleranceOverride,
} from '@vae/parity/options';

interface ParityArgs {
  model: string;
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

function integer(option: string, min: number): (raw: unknown) => number {
  return (raw) => {
    const text = String(Array.isArray(raw) ? raw[raw.length - 1] : raw);
    const v = Number(text);
    if (!Number.isInteger(v) || v < min)
      throw new RangeError(`--${option}: expected an integer ≥ ${min}, got ${JSON.stringify(text)}`);
    return v;
  };
}

/** `vae parity`: runs a model on every runtime with identical inputs and compares the outputs. */
export const parityCommand: CommandModule<object, ParityArgs> = {
  command: 'parity',
  describe:
    'Compare a model across runtimes (TensorFlow.js, onnxruntime-node and onnxruntime-web in Node, Deno, Bun and browsers); exit 0 pass, 1 violation, 2 runtime unavailable',
  builder: (y: Argv) =>
    y
      .option('model', {
        type: 'string',
        demandOption: true,
        describe: 'model directory (manifest.json, encoder.onnx, decoder.onnx)',
      })
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
        describe:
          'reference runtime (default ort-node-cpu; tfjs-cpu when --run is given and TensorFlow.js is installed)',
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
      .option('batch', { type: 'string', default: '64', coerce: integer('batch', 1), describe: 'rows of x and z' })
      .option('seed', {
        type: 'string',
        default: '1',
        coerce: integer('seed', 0),
        describe: 'seed of x, y, z (ε seeds are seed+1 for the ELBO, seed+2 for IS)',
      })
      .option('samples', {
        type: 'string',
        default: '64',
        coerce: integer('samples', 1),
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
        coerce: (raw: unknown) => (raw === undefined ? undefined : integer('threads', 1)(raw)),
        describe: 'intra-op threads for CPU/WASM sessions',
      })
      .option('json', { type: 'string', describe: 'write the JSON report to this file (atomically)' })
      .epilog(
        [
          'Default tolerances, allclose |a − r| ≤ abs + rel·|r|, by device arithmetic × precision (the looser of candidate and',
          'reference; precision fp32 whenever both sides run the same weights):',
          ...describeTolerances(),
        ].join('\n'),
      ) as unknown as Argv<ParityArgs>,
  handler: async (args) => {
    const [{ formatParityTable, runParity }, { writeFileAtomic }] = await Promise.all([
      import('@vae/parity'),
      import('@vae/data/node'),
    ]);
    const report = await runParity({
      modelDir: args.model,
      referenceModelDir: args['reference-model'] ?? null,
      runDir: args.run ?? null,
      ...(args.runtimes ? { runtimes: args.runtimes } : {}),
      ...(args.reference ? { reference: args.reference } : {}),
      inputs: args.inputs,
      batch: args.batch,
      seed: args.seed,
      samples: args.samples,
      tolerances: args.tolerance,
      ...(args.threads === undefined ? {} : { threads: args.threads }),
    });
    process.stdout.write(formatParityTable(report));
    if (args.json) await writeFileAtomic(args.json, `${JSON.stringify(report, null, 2)}\n`);
    process.exitCode = report.exitCode;
  },
};
