import { existsSync } from 'node:fs';
import { join, resolve } from 'node:path';
import type { Argv, CommandModule } from 'yargs';
import type { DeviceRequest } from '@vae/core';
import type { ModelLocation } from '@vae/train';
import { dataOptions, dataRuntime, type DataArgs } from './data-options.js';
import { EVAL_DEVICES, positiveInt } from './eval.js';

interface LatentArgs extends DataArgs {
  run?: string;
  model?: string;
  compare?: string;
  out: string;
  limit: number;
  grid: number;
  device: DeviceRequest;
  json: boolean;
}

/** `--run DIR` or `--model DIR` (exactly one), as a model location. */
export function locationOf(a: { run?: string; model?: string }): ModelLocation {
  if ((a.run === undefined) === (a.model === undefined))
    throw new RangeError(
      `--run/--model: expected exactly one of a run folder (--run) or a model directory (--model), got ${a.run === undefined ? 'neither' : 'both'}`,
    );
  return a.run !== undefined ? { run: a.run } : { model: a.model! };
}

/** The options every command reading one model shares: `--run` | `--model`, `--device`, `--json`. */
export function modelLocationOptions(y: Argv): Argv {
  return y
    .option('run', { alias: 'run-dir', type: 'string', describe: 'run folder written by `vae train`' })
    .option('model', { type: 'string', describe: 'exported model directory (manifest.json …)' })
    .option('device', {
      type: 'string',
      default: 'cpu',
      choices: EVAL_DEVICES,
      describe: 'onnxruntime-node execution device',
    })
    .option('json', { type: 'boolean', default: false, describe: 'print the result as JSON' });
}

/** A directory given to `--compare`: a run folder when it has a checkpoint, else a model directory. */
function compareLocation(dir: string): ModelLocation {
  return existsSync(join(dir, 'checkpoint')) ? { run: dir } : { model: dir };
}

/** `vae latent`: scatter, manifold grid, KL per dimension and μ ± σ views of a model's latent space. */
export const latentCommand: CommandModule<object, LatentArgs> = {
  command: 'latent',
  describe:
    'Draw latent-space views: test-set scatter by label (PCA when L > 2), manifold grid (L = 2), KL per dimension, μ ± σ',
  builder: (y: Argv) =>
    dataOptions(modelLocationOptions(y), {
      imageOptions: false,
      cacheOption: true,
      datasetNote: 'default: the one recorded with the model',
    })
      .option('compare', {
        type: 'string',
        describe: 'a second run folder or model directory drawn side by side (compare-*.png)',
      })
      .option('out', { type: 'string', demandOption: true, describe: 'output folder for the PNGs and latent.json' })
      .option('limit', {
        type: 'string',
        default: '5000',
        coerce: positiveInt('limit'),
        describe: 'test images encoded for the scatter and per-dimension statistics',
      })
      .option('grid', {
        type: 'string',
        default: '20',
        coerce: positiveInt('grid'),
        describe: 'points per side of the manifold grid',
      }) as unknown as Argv<LatentArgs>,
  handler: async (args) => {
    const at = locationOf(args);
    const { openLatentSource, writeLatentViews } = await import('@vae/train');
    const open = {
      device: args.device,
      ...(args.dataset ? { dataset: args.dataset } : {}),
      ...(args.data ? { dataDir: args.data } : {}),
      ...dataRuntime(args),
    };
    const source = await openLatentSource(at, open);
    try {
      const compare = args.compare ? await openLatentSource(compareLocation(args.compare), open) : undefined;
      try {
        const r = await writeLatentViews(source, resolve(args.out), {
          limit: args.limit,
          gridSize: args.grid,
          ...(compare ? { compare } : {}),
        });
        if (args.json) {
          process.stdout.write(`${JSON.stringify(r, null, 2)}\n`);
          return;
        }
        for (const s of [r.summary, ...(r.compare ? [r.compare] : [])]) {
          process.stdout.write(
            `${s.location}: L = ${s.latentDim}, ${s.examples} ${s.dataset} test images, active units ${s.activeUnits.length}/${s.latentDim}` +
              (s.klPerDimension ? `, KL ${s.klPerDimension.reduce((a, b) => a + b, 0).toFixed(2)} nats` : '') +
              (s.latentDim > 2 ? `, PCA plane holds ${(100 * s.scatterExplained).toFixed(0)}% of the variance` : '') +
              '\n',
          );
        }
        for (const f of r.files) process.stdout.write(`  ${f}\n`);
      } finally {
        await compare?.release();
      }
    } finally {
      await source.release();
    }
  },
};
