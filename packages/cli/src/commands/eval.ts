import type { Argv, CommandModule } from 'yargs';
import { integerOption } from './integer-option.js';
import type { DeviceRequest } from '@vae/core';
import { NODE_DEVICES } from '@vae/runtime-node/options';
import { EVAL_SPLITS, type EvalSplit } from '@vae/train/options';

/** Devices `vae eval` can run its graphs on: those of the onnxruntime-node runtime. */
export const EVAL_DEVICES: readonly DeviceRequest[] = Object.freeze(['auto', ...NODE_DEVICES]);

interface EvalArgs {
  run: string;
  samples: number;
  limit: number;
  split: EvalSplit;
  device: DeviceRequest;
  data?: string;
  json: boolean;
}

/** A positive-integer option parser that names the option in its error. */
export function positiveInt(option: string): (raw: unknown) => number {
  return integerOption(option, 1, Number.POSITIVE_INFINITY, 'a positive integer');
}

/** `vae eval`: validation ELBO and importance-sampled NLL of a trained run. */
export const evalCommand: CommandModule<object, EvalArgs> = {
  command: 'eval',
  describe: 'Evaluate a run folder: ELBO and importance-sampled NLL (nats per example)',
  builder: (y: Argv) =>
    y
      .option('run', {
        alias: 'run-dir',
        type: 'string',
        demandOption: true,
        describe: 'run folder written by `vae train`',
      })
      .option('samples', {
        alias: ['iw-samples', 'k'],
        type: 'string',
        default: '100',
        coerce: positiveInt('samples'),
        describe: 'importance samples K per example (variational kinds; an autoencoder samples nothing)',
      })
      .option('limit', {
        type: 'string',
        default: '1000',
        coerce: positiveInt('limit'),
        describe: 'evaluate the first N examples of the split',
      })
      .option('split', {
        type: 'string',
        default: 'val',
        choices: Object.keys(EVAL_SPLITS),
        describe: 'val (held out by the run) or test',
      })
      .option('device', {
        alias: 'backend',
        type: 'string',
        default: 'cpu',
        choices: EVAL_DEVICES,
        describe: 'onnxruntime-node execution device of the encoder, decoder and scorer graphs',
      })
      .option('data', {
        alias: 'data-dir',
        type: 'string',
        describe: 'read the dataset from here instead of where the run read it (e.g. a moved image folder)',
      })
      .option('json', {
        type: 'boolean',
        default: false,
        describe: 'print the result as JSON',
      }) as unknown as Argv<EvalArgs>,
  handler: async (args) => {
    const { evaluateRun } = await import('@vae/train');
    const r = await evaluateRun(args.run, {
      samples: args.samples,
      limit: args.limit,
      split: args.split,
      device: args.device,
      ...(args.data === undefined ? {} : { dataDir: args.data }),
    });
    if (args.json) {
      process.stdout.write(`${JSON.stringify(r, null, 2)}\n`);
      return;
    }
    process.stdout.write(
      `${r.runDir} (epoch ${r.epoch}), ${r.examples} ${r.split} examples, ${r.protocol}, ${r.backend}, ${r.seconds.toFixed(1)} s\n`,
    );
    if (r.elbo !== null) {
      process.stdout.write(
        `  ELBO            ${r.elbo.toFixed(2)} nats (reconstruction ${r.reconstruction.toFixed(2)}, KL ${r.kl!.toFixed(2)})\n`,
      );
      process.stdout.write(`  NLL (IS, K=${r.samples}) ${r.nll!.toFixed(2)} nats\n`);
    } else {
      process.stdout.write(
        `  loss ${r.loss.toFixed(2)} nats (reconstruction ${r.reconstruction.toFixed(2)}); no likelihood bound for an autoencoder\n`,
      );
    }
  },
};
