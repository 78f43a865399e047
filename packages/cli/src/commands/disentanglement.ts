import { resolve } from 'node:path';
import type { Argv, CommandModule } from 'yargs';
import type { DeviceRequest } from '@vae/core';
import { positiveInt } from './eval.js';
import { locationOf, modelLocationOptions } from './latent.js';

interface DisentanglementArgs {
  run?: string;
  model?: string;
  'mig-samples': number;
  'train-votes': number;
  'eval-votes': number;
  seed: number;
  plot: string | undefined;
  device: DeviceRequest;
  json: boolean;
}

/** `vae disentanglement`: MIG and the FactorVAE metric of a model trained on `shapes`. */
export const disentanglementCommand: CommandModule<object, DisentanglementArgs> = {
  command: 'disentanglement',
  describe: "MIG and FactorVAE metric of a model trained on --dataset shapes (disentanglement_lib's settings)",
  builder: (y: Argv) =>
    modelLocationOptions(y)
      .option('mig-samples', {
        type: 'string',
        default: '10000',
        coerce: positiveInt('mig-samples'),
        describe: 'samples for MIG (20-bin discretisation)',
      })
      .option('train-votes', {
        type: 'string',
        default: '10000',
        coerce: positiveInt('train-votes'),
        describe: 'FactorVAE training votes (batches of 64)',
      })
      .option('eval-votes', {
        type: 'string',
        default: '5000',
        coerce: positiveInt('eval-votes'),
        describe: 'FactorVAE evaluation votes (batches of 64)',
      })
      .option('seed', {
        type: 'number',
        default: 0,
        describe: 'seed of the factor draws',
      })
      .option('plot', {
        type: 'string',
        describe:
          'also write the table as a figure: FILE.svg and FILE.png (normalised MI per factor and dimension, MIG gaps)',
      }) as unknown as Argv<DisentanglementArgs>,
  handler: async (args) => {
    const at = locationOf(args);
    const { evaluateDisentanglement, disentanglementSpec, renderFigure, writeFigure } = await import('@vae/train');
    const r = await evaluateDisentanglement(at, {
      device: args.device,
      seed: args.seed,
      migSamples: args['mig-samples'],
      factorVae: { trainVotes: args['train-votes'], evalVotes: args['eval-votes'] },
    });
    const plot = args.plot
      ? await writeFigure(
          resolve(args.plot.replace(/\.(svg|png)$/, '')),
          await renderFigure(
            disentanglementSpec({
              title: `Disentanglement of ${r.location}`,
              factors: r.factors,
              latentDim: r.latentDim,
              mutualInformation: r.mig.mutualInformation,
              factorEntropy: r.mig.factorEntropy,
              perFactor: r.mig.perFactor,
              mig: r.mig.score,
              factorVae: r.factorVae.score,
            }),
          ),
        )
      : null;
    if (args.json) {
      process.stdout.write(
        `${JSON.stringify({ ...r, mig: { ...r.mig, mutualInformation: Array.from(r.mig.mutualInformation) } }, null, 2)}\n`,
      );
      return;
    }
    const f = r.factorVae;
    process.stdout.write(
      [
        `${r.location}: L = ${r.latentDim}, ${r.seconds.toFixed(1)} s`,
        `  MIG        ${r.mig.score.toFixed(3)}  (${r.mig.samples} samples, ${r.mig.bins} bins; per factor ${r.factors.map((n, i) => `${n} ${r.mig.perFactor[i]!.toFixed(2)}`).join(', ')})`,
        `  FactorVAE  ${f.score.toFixed(3)}  (train accuracy ${f.trainAccuracy.toFixed(3)}, ${f.settings.trainVotes}/${f.settings.evalVotes} votes of ${f.settings.batchSize}, active dims ${f.activeDims.length}/${r.latentDim}, chance ${f.chance.toFixed(2)})`,
        ...(plot ? [`  plot       ${plot.join(', ')}`] : []),
        '',
      ].join('\n'),
    );
  },
};
