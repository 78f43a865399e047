import { basename, join, resolve } from 'node:path';
import type { Argv, CommandModule } from 'yargs';
import { getLogger, oneHot } from '@vae/core';
import type { TrainProgress, TrainResult } from '@vae/train';
import type { TrainConfig } from '@vae/train/options';
import { formatParityTable, parseRuntimeList, type ParityReport, type RuntimeName } from '@vae/parity/options';
import { exitOnShutdownSignal } from '../shutdown-signal.js';
import { trainUntilShutdownSignal } from '../training-signal.js';
import { provenanceOf } from './export.js';
import { configFromArgs, trainCommand } from './train.js';

const log = getLogger('pipeline');

/** Runtimes the pipeline checks: the training framework, onnxruntime-node and onnxruntime-web in Node. */
export const PIPELINE_RUNTIMES: readonly RuntimeName[] = Object.freeze([
  'tfjs-cpu',
  'ort-node-cpu',
  'ort-web-wasm',
  'ort-node-webgpu',
  'ort-web-webgpu',
]);
/** Added with `--browser`. */
export const PIPELINE_BROWSER_RUNTIMES: readonly RuntimeName[] = Object.freeze([
  'ort-web-wasm@chromium',
  'ort-web-webgpu@chromium',
]);

/** Base name of the prior-samples figure (`samples.svg` and `samples.png`). */
const SAMPLES_FIGURE = 'samples';

/** File names the pipeline writes into the run folder (besides the trainer's). */
export const PIPELINE_FILES = Object.freeze({
  model: 'model',
  parity: 'parity.json',
  samples: `${SAMPLES_FIGURE}.png`,
});

/** Options of {@link runPipeline}. */
export interface PipelineOptions {
  /** Training configuration (the trainer's defaults fill the rest). */
  readonly train: Partial<TrainConfig>;
  /** Continue the run from its checkpoint. */
  readonly resume?: boolean;
  /** Also run the Chromium runtimes. */
  readonly browser?: boolean;
  /** Parity runtimes instead of {@link PIPELINE_RUNTIMES} (+ browser ones). */
  readonly runtimes?: readonly RuntimeName[];
  /** Prior samples in the grid (default 64) and their seed. */
  readonly samples?: number;
  readonly seed?: number;
}

/** What {@link runPipeline} produced. */
export interface PipelineResult {
  readonly train: TrainResult;
  readonly modelDir: string;
  readonly parity: ParityReport;
  readonly parityJson: string;
  readonly samplesPng: string;
  /** The scatter of the validation set's latent means by label (principal components when L > 2), if drawn. */
  readonly latentScatter: string | null;
  readonly seconds: number;
}

/**
 * The main job: train → export to `<run>/model` → parity of the export on the runtimes available
 * (TensorFlow.js from the checkpoint, onnxruntime-node cpu/webgpu, onnxruntime-web wasm/webgpu in
 * Node, Chromium with `browser`) → a captioned grid of prior samples decoded by the exported decoder
 * through `VaeModel` (`samples.svg`, `samples.png`). Runtimes that cannot start here are skipped with their reason. The run's plots include
 * the latent scatter (`latent-scatter.png`, principal components when L > 2); `report.html` is
 * rewritten at the end with the parity verdict and links to the ONNX files.
 */
export async function runPipeline(o: PipelineOptions): Promise<PipelineResult> {
  const started = performance.now();
  const lib = await loadPipelineLibraries();
  // An unknown runtime name fails here, not after training and export.
  lib.parity.requestedRuntimes(o.runtimes);
  log.info('1/4 train');
  // As in `vae train`: a signal stops training at its next safe point, logs how to resume, exits 130/143.
  const trained = await trainUntilShutdownSignal(lib.train, 'vae pipeline', (signal) =>
    lib.train.train(o.train, { resume: o.resume === true, onProgress: trainProgressLog(), signal }),
  );
  const runDir = resolve(trained.runDir);

  log.info('2/4 export');
  const modelDir = await exportRun(lib, runDir);

  log.info('3/4 parity');
  const runtimes = o.runtimes ?? [...PIPELINE_RUNTIMES, ...(o.browser ? PIPELINE_BROWSER_RUNTIMES : [])];
  // As in `vae parity`: a signal ends the run at once, and the runtimes' processes and browsers with it.
  const parity = await exitOnShutdownSignal(() =>
    lib.parity.runParity({ modelDir, runDir, reference: 'ort-node-cpu', runtimes, skipUnavailable: true }),
  );
  const parityJson = join(runDir, PIPELINE_FILES.parity);
  await lib.dataNode.writeFileAtomic(parityJson, `${JSON.stringify(parity, null, 2)}\n`);

  log.info('4/4 samples');
  const samplesPng = await writePriorSamples(lib, modelDir, runDir, o.samples ?? 64, o.seed ?? 1);
  const latentScatter = trained.plots.find((p) => basename(p) === lib.train.PLOT_FILES.scatter) ?? null;
  // The report again, now with the parity verdict and the exported ONNX files.
  await lib.train.writeRunReport({ runDir, spec: trained.spec, metrics: trained.metrics, training: trained });
  return {
    train: trained,
    modelDir,
    parity,
    parityJson,
    samplesPng,
    latentScatter,
    seconds: (performance.now() - started) / 1000,
  };
}

/** The libraries the pipeline runs, loaded together when it starts (so `vae --help` loads none of them). */
async function loadPipelineLibraries() {
  const [onnx, runtimeNode, train, parity, dataNode] = await Promise.all([
    import('@vae/onnx'),
    import('@vae/runtime-node'),
    import('@vae/train'),
    import('@vae/parity'),
    import('@vae/data/node'),
  ]);
  return { onnx, runtimeNode, train, parity, dataNode };
}

type PipelineLibraries = Awaited<ReturnType<typeof loadPipelineLibraries>>;

/** A training progress callback that logs a line at most every 10 s, and at the end of each epoch. */
function trainProgressLog(): (p: TrainProgress) => void {
  let lastReport = 0;
  return (p) => {
    const now = Date.now();
    if (now - lastReport < 10_000 && p.epochStep !== p.epochSteps) return;
    lastReport = now;
    const eta = p.etaSeconds === null ? '' : `, ETA ${Math.round(p.etaSeconds)} s`;
    log.info(
      `  ${p.phase} epoch ${p.epoch}/${p.epochs} step ${p.epochStep}/${p.epochSteps}, loss ${p.loss.toFixed(2)} nats${eta}`,
    );
  };
}

/** Exports the run's checkpoint to `<run>/model` (golden rows from onnxruntime-node); returns that folder. */
async function exportRun(lib: PipelineLibraries, runDir: string): Promise<string> {
  const ckpt = await lib.train.loadCheckpoint(runDir);
  const modelDir = join(runDir, PIPELINE_FILES.model);
  await lib.onnx.exportModel({
    spec: ckpt.spec,
    params: ckpt.params,
    provenance: await provenanceOf(ckpt),
    outDir: modelDir,
    name: basename(runDir),
    golden: { backend: lib.runtimeNode.onnxruntimeNodeBackend },
  });
  return modelDir;
}

/** Decodes `n` prior draws (labels cycling through the classes of a conditional model) with the exported decoder into the captioned `samples` figure; returns its PNG. */
async function writePriorSamples(
  lib: PipelineLibraries,
  modelDir: string,
  runDir: string,
  n: number,
  seed: number,
): Promise<string> {
  const { imageGrid, imageGridSpec, renderFigure, writeFigure } = lib.train;
  const model = await lib.runtimeNode.loadModel(modelDir, { device: 'cpu' });
  let grid: ReturnType<typeof imageGrid>;
  try {
    const k = model.numClasses;
    const y =
      k > 0
        ? oneHot(
            Array.from({ length: n }, (_, i) => i % k),
            k,
          )
        : undefined;
    const means = await model.sample({ n, seed, ...(y ? { y } : {}) });
    grid = imageGrid(means.data, n, model.manifest.imageShape, Math.ceil(Math.sqrt(n)), 2);
  } finally {
    await model.release();
  }
  const figure = await renderFigure(
    imageGridSpec({
      grid,
      title: 'Prior samples',
      subtitle: `${n} draws z ~ N(0, I), seed ${seed}, decoded by the exported decoder.onnx on onnxruntime-node (cpu)`,
    }),
  );
  const [, samplesPng] = await writeFigure(join(runDir, SAMPLES_FIGURE), figure);
  return samplesPng;
}

/** The pipeline's summary: where the files are, the training figures, then the parity table. */
export function formatPipelineSummary(r: PipelineResult): string {
  const t = r.train;
  const last = t.metrics[t.metrics.length - 1];
  const lines = [
    '',
    `Pipeline finished in ${r.seconds.toFixed(1)} s (parity ${r.parity.passed ? 'PASS' : `FAIL, exit ${r.parity.exitCode}`})`,
    `  trained  ${t.spec.kind} for ${t.epoch} epoch(s), ${t.step} steps on ${t.engine}/${t.backend} in ${t.seconds.toFixed(1)} s (stopped by ${t.stoppedBy})` +
      (last
        ? `; val loss ${last.valLoss.toFixed(2)} nats${last.valElbo !== null ? `, val ELBO ${last.valElbo.toFixed(2)} nats` : ''}`
        : ''),
    `  run      ${resolve(t.runDir)}  (checkpoint/, metrics.jsonl, config.json)`,
    ...t.plots.map((p) => `  plot     ${p}`),
    `  model    ${r.modelDir}  (manifest.json, encoder.onnx, decoder.onnx)`,
    `  parity   ${r.parityJson}`,
    `  samples  ${r.samplesPng}`,
    ...(r.latentScatter ? [`  latent   ${r.latentScatter}`] : []),
    '',
  ];
  return `${lines.join('\n')}\n${formatParityTable(r.parity)}`;
}

type TrainArgs = Parameters<typeof configFromArgs>[0];

interface PipelineArgs extends TrainArgs {
  browser: boolean;
  runtimes: RuntimeName[] | undefined;
  'sample-seed': number;
}

/** `vae pipeline` (`pnpm start`): train → export → parity → sample grid, then a summary. */
export const pipelineCommand: CommandModule<object, PipelineArgs> = {
  command: 'pipeline',
  describe: 'Main job: train the default model, export it to ONNX, check parity across runtimes, decode a sample grid',
  builder: (y: Argv) =>
    (trainCommand.builder as (y: Argv) => Argv)(y)
      .option('browser', { type: 'boolean', default: false, describe: 'also check parity in Chromium (wasm, webgpu)' })
      .option('runtimes', {
        type: 'string',
        array: true,
        coerce: (raw: unknown) => parseRuntimeList(raw),
        describe: `parity runtimes (comma-separated; default ${PIPELINE_RUNTIMES.join(',')}; those that cannot start are skipped)`,
      })
      .option('sample-seed', {
        type: 'number',
        default: 1,
        describe: 'seed of the prior samples in samples.png',
      }) as unknown as Argv<PipelineArgs>,
  handler: async (args) => {
    const result = await runPipeline({
      train: configFromArgs(args, 'runs/pipeline-'),
      resume: args.resume,
      browser: args.browser,
      seed: args['sample-seed'],
      ...(args.runtimes ? { runtimes: args.runtimes } : {}),
    });
    process.stdout.write(formatPipelineSummary(result));
    process.exitCode = result.parity.exitCode;
  },
};
