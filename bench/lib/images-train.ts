/**
 * One training run of `bench/images.ts` in its own process (so that its peak RSS is its own):
 * `tsx bench/lib/images-train.ts --data DIR --cache DIR --run DIR --memory-mb N --epochs E`.
 * Prints one JSON line: seconds from process start to the first step, training seconds of each
 * epoch (first step to the start of validation), peak RSS, and where the rows were read from.
 */
import { setLogLevel } from '@vae/core';
import { train } from '@vae/train';
import { benchArg } from './bench-arg.js';

/** Seconds from process start to here: Node, tsx and the modules of @vae/train (TensorFlow.js, onnxruntime). */
const modulesLoaded = process.uptime();
setLogLevel('warn');
const memoryMb = Number(benchArg('memory-mb', '1024'));
const epochs = Number(benchArg('epochs', '1'));
/** `--first-step-only`: print the start-up figures and exit at the first training step. */
const firstStepOnly = process.argv.includes('--first-step-only');
let firstStep: number | null = null;
const epochStart = new Map<number, number>();
const epochTrain = new Map<number, number>();
const result = await train(
  {
    dataset: 'images',
    dataDir: benchArg('data', ''),
    model: { kind: 'vae', architecture: 'mlp', hidden: [64], latentDim: 8, likelihood: 'bernoulli' },
    binarize: 'none',
    epochs,
    batchSize: 256,
    seed: 1,
    runDir: benchArg('run', ''),
  },
  {
    plots: false,
    data: { cacheDir: benchArg('cache', ''), memoryBytes: memoryMb * 2 ** 20 },
    onProgress(p) {
      const now = performance.now();
      if (p.phase === 'train' && firstStep === null) {
        firstStep = process.uptime();
        if (firstStepOnly) {
          process.stdout.write(
            `${JSON.stringify({ memoryMb, modulesLoadedSeconds: modulesLoaded, firstStepSeconds: firstStep })}\n`,
          );
          process.exit(0);
        }
      }
      if (p.phase === 'train' && p.epochStep === 1) epochStart.set(p.epoch, now);
      if (p.phase === 'validate' && !epochTrain.has(p.epoch))
        epochTrain.set(p.epoch, (now - epochStart.get(p.epoch)!) / 1000);
    },
  },
);
process.stdout.write(
  `${JSON.stringify({
    memoryMb,
    modulesLoadedSeconds: modulesLoaded,
    firstStepSeconds: firstStep,
    epochTrainSeconds: [...epochTrain.values()],
    steps: result.step,
    engine: `${result.engine}/${result.backend}`,
    peakRssMb: process.resourceUsage().maxRSS / 1024,
    valElbo: result.metrics.at(-1)?.valElbo ?? null,
  })}\n`,
);
