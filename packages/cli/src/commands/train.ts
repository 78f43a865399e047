import type { Argv, CommandModule } from 'yargs';
import type cliProgress from 'cli-progress';
import {
  ARCHITECTURES,
  CONV_PRESETS,
  LIKELIHOODS,
  listModelKinds,
  NORMS,
  modelKindInfo,
  type ConvPresetName,
  type KindOption,
  type Norm,
  type ModelKind,
  type ModelSpecOptions,
  type NoiseSpec,
  type SparsitySpec,
} from '@vae/core';
import type { TrainProgress, TrainResult } from '@vae/train';
import { choice, progressAndJsonOptions, startProgressBars } from '../progress.js';
import { trainUntilShutdownSignal, type TrainLib } from '../training-signal.js';
import {
  BINARIZATIONS,
  DEFAULT_TRAIN_CONFIG,
  ENGINE_REQUESTS,
  ORT_TRAIN_DEVICES,
  TFJS_BACKENDS,
  type EngineRequest,
  type TrainConfig,
} from '@vae/train/options';
import { dataOptions, dataRuntime, type DataArgs } from './data-options.js';

interface TrainArgs extends DataArgs {
  kind?: ModelKind;
  arch?: keyof typeof ARCHITECTURES;
  'conv-preset'?: ConvPresetName | 'auto';
  norm?: Norm;
  hidden?: number[];
  activation?: 'relu' | 'leaky-relu' | 'tanh';
  latent?: number;
  likelihood?: keyof typeof LIKELIHOODS;
  sigma?: number;
  beta?: number;
  sparsity?: 'l1' | 'kl';
  'sparsity-weight'?: number;
  rho?: number;
  noise?: NoiseSpec['type'];
  'noise-level'?: number;
  'contractive-weight'?: number;
  binarize?: keyof typeof BINARIZATIONS;
  epochs?: number;
  'batch-size'?: number;
  lr?: number;
  seed?: number;
  'val-fraction'?: number;
  'val-size'?: number;
  'train-size'?: number;
  backend?: TrainConfig['backend'];
  engine?: string;
  'iw-samples'?: number;
  'max-minutes'?: number;
  'max-steps'?: number;
  'run-dir'?: string;
  resume: boolean;
  plots: boolean;
  progress?: boolean;
  json: boolean;
}

/** A yargs coerce function that parses a number and checks it, naming the option in the error. */
function numberOption(
  option: string,
  o: { integer?: boolean; min?: number; max?: number; exclusiveMin?: boolean } = {},
): (v: unknown) => number | undefined {
  return (raw: unknown) => {
    if (raw === undefined) return undefined;
    const text = Array.isArray(raw) ? String(raw[raw.length - 1]) : String(raw);
    const v = Number(text);
    const kind = o.integer ? 'an integer' : 'a number';
    const range = `${o.min !== undefined ? `${o.exclusiveMin ? '>' : '≥'} ${o.min}` : ''}${o.min !== undefined && o.max !== undefined ? ' and ' : ''}${o.max !== undefined ? `≤ ${o.max}` : ''}`;
    const bad =
      text.trim() === '' ||
      !Number.isFinite(v) ||
      (o.integer && !Number.isInteger(v)) ||
      (o.min !== undefined && (o.exclusiveMin ? v <= o.min : v < o.min)) ||
      (o.max !== undefined && v > o.max);
    if (bad)
      throw new RangeError(`--${option}: expected ${kind}${range ? ` ${range}` : ''}, got ${JSON.stringify(text)}`);
    return v;
  };
}

function hiddenOption(raw: unknown): number[] | undefined {
  if (raw === undefined) return undefined;
  const parts = (Array.isArray(raw) ? raw : [raw])
    .flatMap((p) => String(p).split(','))
    .map((p) => p.trim())
    .filter((p) => p !== '');
  const values = parts.map(Number);
  if (values.length === 0 || values.some((v) => !Number.isInteger(v) || v < 1)) {
    throw new RangeError(
      `--hidden: expected positive integers (e.g. 400 or 512,256), got ${JSON.stringify(Array.isArray(raw) ? raw.join(' ') : String(raw))}`,
    );
  }
  return values;
}

/** Every kind's own flags (`ModelKindInfo.options`), registered once whichever kind is chosen. */
function kindOptions(): { kind: string; option: KindOption }[] {
  return listModelKinds().flatMap((kind) => (modelKindInfo(kind).options ?? []).map((option) => ({ kind, option })));
}

/** Sets `o[field][key]` from each kind flag given; a flag of another kind is an error naming it. */
function applyKindOptions(a: TrainArgs, kind: string, o: Record<string, unknown>): void {
  const info = modelKindInfo(kind);
  for (const { kind: owner, option } of kindOptions()) {
    const value = (a as unknown as Record<string, unknown>)[option.flag];
    if (value === undefined) continue;
    if (owner !== kind) throw new RangeError(`--${option.flag}: expected --kind ${owner}, got --kind ${kind}`);
    const base = (o[option.field] ?? info.defaults?.fields?.[option.field] ?? {}) as Record<string, unknown>;
    o[option.field] = { ...base, [option.key]: value };
  }
}

function withKindOptions<A>(y: Argv<A>): Argv<A> {
  let out = y;
  for (const { kind, option } of kindOptions())
    out = out.option(option.flag, {
      type: 'string',
      coerce: numberOption(option.flag, { min: option.min }),
      describe: `${kind}: ${option.describe}`,
    });
  return out;
}

/** Builds the model options from the CLI flags (only the ones given; `createModelSpec` fills the rest). */
export function modelOptionsFromArgs(a: TrainArgs): ModelSpecOptions {
  const kind = a.kind ?? 'vae';
  const o: { -readonly [K in keyof ModelSpecOptions]: ModelSpecOptions[K] } = { kind };
  if (a.arch !== undefined) o.architecture = a.arch;
  if (a['conv-preset'] !== undefined) o.convPreset = a['conv-preset'];
  if (a.norm !== undefined) o.norm = a.norm;
  if (a.hidden !== undefined) o.hidden = a.hidden;
  if (a.activation !== undefined) o.activation = a.activation;
  if (a.latent !== undefined) o.latentDim = a.latent;
  if (a.likelihood !== undefined) o.likelihood = a.likelihood;
  if (a.sigma !== undefined) o.gaussianSigma = a.sigma;
  if (a.beta !== undefined) o.beta = a.beta;
  const info = modelKindInfo(kind);
  const fields = info.defaults?.fields ?? {};
  if (fields.sparsity !== undefined) {
    const weight = a['sparsity-weight'] ?? (a.sparsity === 'l1' ? 1e-3 : 1);
    o.sparsity =
      (a.sparsity ?? 'kl') === 'l1'
        ? ({ type: 'l1', weight } satisfies SparsitySpec)
        : ({ type: 'kl', rho: a.rho ?? 0.05, weight } satisfies SparsitySpec);
  }
  if (info.corruptsInput && (a.noise !== undefined || a['noise-level'] !== undefined)) {
    const type = a.noise ?? 'mask';
    const level = a['noise-level'] ?? (type === 'gaussian' ? 0.3 : 0.3);
    o.noise = type === 'gaussian' ? { type, sigma: level } : { type, fraction: level };
  }
  if (fields.contractiveWeight !== undefined && a['contractive-weight'] !== undefined)
    o.contractiveWeight = a['contractive-weight'];
  applyKindOptions(a, kind, o as Record<string, unknown>);
  return o;
}

/** The training configuration the `vae train` flags describe; `runDirPrefix` names the default run folder `<prefix><kind>-<dataset>`. */
export function configFromArgs(a: TrainArgs, runDirPrefix = 'runs/'): Partial<TrainConfig> {
  const kind = a.kind ?? 'vae';
  const dataset = a.dataset ?? DEFAULT_TRAIN_CONFIG.dataset;
  const c: { -readonly [K in keyof TrainConfig]?: TrainConfig[K] } = {
    model: modelOptionsFromArgs(a),
    dataset,
    runDir: a['run-dir'] ?? `${runDirPrefix}${kind}-${dataset}`,
  };
  if (a.data !== undefined) c.dataDir = a.data;
  if (a['image-size'] !== undefined) c.imageSize = a['image-size'];
  if (a.channels !== undefined) c.channels = a.channels;
  if (a.binarize !== undefined) c.binarize = a.binarize;
  if (a.epochs !== undefined) c.epochs = a.epochs;
  if (a['batch-size'] !== undefined) c.batchSize = a['batch-size'];
  if (a.lr !== undefined) c.learningRate = a.lr;
  if (a.seed !== undefined) c.seed = a.seed;
  if (a['val-fraction'] !== undefined) c.valFraction = a['val-fraction'];
  if (a['val-size'] !== undefined) c.valSize = a['val-size'];
  if (a['train-size'] !== undefined) c.trainSize = a['train-size'];
  if (a.backend !== undefined) c.backend = a.backend;
  if (a.engine !== undefined) c.engine = a.engine;
  if (a['iw-samples'] !== undefined) c.iwSamples = a['iw-samples'];
  if (a['max-minutes'] !== undefined) c.maxMinutes = a['max-minutes'];
  if (a['max-steps'] !== undefined) c.maxSteps = a['max-steps'];
  return c;
}

function formatSeconds(s: number | null): string {
  if (s === null || !Number.isFinite(s)) return '--';
  const m = Math.floor(s / 60);
  return m > 0 ? `${m}m${String(Math.round(s % 60)).padStart(2, '0')}s` : `${Math.round(s)}s`;
}

/** A cli-progress bar on stderr driven by the trainer's progress callback; logs print above it. */
async function progressBar(): Promise<{ onProgress: (p: TrainProgress) => void; stop: () => void }> {
  const { multi, stop } = await startProgressBars(
    'epoch {epoch}/{epochs} [{bar}] {value}/{total} | {phase} loss {loss} | ETA {etaText}',
  );
  let bar: cliProgress.SingleBar | null = null;
  let barEpoch = -1;
  return {
    onProgress(p) {
      const payload = {
        epoch: p.epoch,
        epochs: p.epochs,
        phase: p.phase,
        loss: p.loss.toFixed(2),
        etaText: formatSeconds(p.etaSeconds),
      };
      if (!bar || barEpoch !== p.epoch) {
        bar?.stop();
        bar = multi.create(p.epochSteps, p.epochStep, payload);
        barEpoch = p.epoch;
      } else bar.update(p.epochStep, payload);
    },
    stop,
  };
}

/** `vae train`'s network flags: kind, architecture, layer sizes, likelihood and β. */
function modelOptions(y: Argv): Argv {
  return y
    .option('kind', {
      type: 'string',
      coerce: choice('kind', listModelKinds() as ModelKind[]),
      describe: `model kind: ${listModelKinds().join('|')} (default vae)`,
    })
    .option('arch', {
      type: 'string',
      coerce: choice('arch', Object.keys(ARCHITECTURES) as (keyof typeof ARCHITECTURES)[]),
      describe: `network: mlp|conv (default mlp); conv picks a preset by the data's image size: ${Object.entries(
        CONV_PRESETS,
      )
        .map(([name, what]) => `${name}: ${what}`)
        .join('; ')}`,
    })
    .option('conv-preset', {
      type: 'string',
      coerce: choice('conv-preset', ['auto', ...Object.keys(CONV_PRESETS)] as (ConvPresetName | 'auto')[]),
      describe: `--arch conv's network: auto (by image size, default)|${Object.keys(CONV_PRESETS).join('|')} (an error when the images do not fit it)`,
    })
    .option('norm', {
      type: 'string',
      coerce: choice('norm', Object.keys(NORMS) as Norm[]),
      describe:
        'none|batch (default none; batch for the vanilla-32/64 conv presets): batch normalisation after each hidden dense/conv layer, before its activation (momentum 0.1, ε 1e-5, as PyTorch)',
    })
    .option('hidden', {
      type: 'string',
      coerce: hiddenOption,
      describe: 'MLP hidden sizes, e.g. 400 or 512,256 (default 400)',
    })
    .option('activation', {
      type: 'string',
      coerce: choice('activation', ['relu', 'leaky-relu', 'tanh'] as const),
      describe: 'MLP hidden activation: relu|leaky-relu|tanh (default relu; leaky-relu: slope 0.01, as PyTorch)',
    })
    .option('latent', {
      type: 'string',
      coerce: numberOption('latent', { integer: true, min: 1 }),
      describe: 'latent dimensions (default 20 for VAEs, 32 for AEs; 128 for the vanilla-32/64 conv presets)',
    })
    .option('likelihood', {
      type: 'string',
      coerce: choice('likelihood', Object.keys(LIKELIHOODS) as (keyof typeof LIKELIHOODS)[]),
      describe: 'decoder likelihood: bernoulli|gaussian (default bernoulli)',
    })
    .option('sigma', {
      type: 'string',
      coerce: numberOption('sigma', { min: 0, exclusiveMin: true }),
      describe: 'fixed σ of the Gaussian likelihood (default 0.1)',
    })
    .option('beta', {
      type: 'string',
      coerce: numberOption('beta', { min: 0 }),
      describe: "weight β of the kind's KL-type term (default: the kind's, e.g. 1 for vae, 4 for beta-vae)",
    });
}

/** `vae train`'s flags of the sparse, denoising and contractive autoencoders' own terms. */
function penaltyOptions(y: Argv): Argv {
  return y
    .option('sparsity', {
      type: 'string',
      coerce: choice('sparsity', ['l1', 'kl'] as const),
      describe: 'sparse-ae penalty: l1|kl (default kl)',
    })
    .option('sparsity-weight', {
      type: 'string',
      coerce: numberOption('sparsity-weight', { min: 0 }),
      describe: 'sparse-ae penalty weight (default 1 for kl, 1e-3 for l1)',
    })
    .option('rho', {
      type: 'string',
      coerce: numberOption('rho', { min: 0, max: 1, exclusiveMin: true }),
      describe: 'sparse-ae KL target activation ρ (default 0.05)',
    })
    .option('noise', {
      type: 'string',
      coerce: choice('noise', ['mask', 'gaussian', 'salt-pepper'] as const),
      describe: 'denoising-ae corruption: mask|gaussian|salt-pepper (default mask)',
    })
    .option('noise-level', {
      type: 'string',
      coerce: numberOption('noise-level', { min: 0 }),
      describe: 'masked/salt-pepper fraction or Gaussian σ (default 0.3)',
    })
    .option('contractive-weight', {
      type: 'string',
      coerce: numberOption('contractive-weight', { min: 0 }),
      describe: 'contractive-ae penalty weight λ (default 0.1)',
    });
}

/** `vae train`'s optimisation flags: binarisation, epochs, batch, learning rate, seed and the data split. */
function trainingOptions(y: Argv): Argv {
  return y
    .option('binarize', {
      type: 'string',
      coerce: choice('binarize', Object.keys(BINARIZATIONS) as (keyof typeof BINARIZATIONS)[]),
      describe: 'dynamic|static|none (default dynamic)',
    })
    .option('epochs', {
      type: 'string',
      coerce: numberOption('epochs', { integer: true, min: 1 }),
      describe: `epochs (default ${DEFAULT_TRAIN_CONFIG.epochs})`,
    })
    .option('batch-size', {
      type: 'string',
      coerce: numberOption('batch-size', { integer: true, min: 1 }),
      describe: `batch size (default ${DEFAULT_TRAIN_CONFIG.batchSize})`,
    })
    .option('lr', {
      type: 'string',
      coerce: numberOption('lr', { min: 0, exclusiveMin: true }),
      describe: `Adam learning rate (default ${DEFAULT_TRAIN_CONFIG.learningRate})`,
    })
    .option('seed', {
      type: 'string',
      coerce: numberOption('seed', { integer: true }),
      describe: `random seed (default ${DEFAULT_TRAIN_CONFIG.seed})`,
    })
    .option('val-fraction', {
      type: 'string',
      coerce: numberOption('val-fraction', { min: 0, max: 0.9, exclusiveMin: true }),
      describe:
        'fraction of the training data held out for validation (default 1/12); the validation set of datasets without a test split (images, IDX without t10k files) too',
    })
    .option('val-size', {
      type: 'string',
      coerce: numberOption('val-size', { integer: true, min: 1 }),
      describe: 'validation examples (overrides --val-fraction)',
    })
    .option('train-size', {
      type: 'string',
      coerce: numberOption('train-size', { integer: true, min: 1 }),
      describe: 'use only the first N training examples',
    });
}

/** `vae train`'s flags of where training runs (engine, backend) and of the importance-weighted bound. */
function engineOptions(y: Argv): Argv {
  return y
    .option('engine', {
      type: 'string',
      coerce: choice('engine', Object.keys(ENGINE_REQUESTS) as EngineRequest[]),
      describe: `training engine: ${Object.keys(ENGINE_REQUESTS).join('|')} (default auto: ort when its training graph covers the model, else tfjs)`,
    })
    .option('backend', {
      type: 'string',
      coerce: choice('backend', [
        'auto',
        ...new Set([...Object.keys(TFJS_BACKENDS), ...Object.keys(ORT_TRAIN_DEVICES)]),
      ] as TrainConfig['backend'][]),
      describe: `tfjs backend (${Object.keys(TFJS_BACKENDS).join('|')}) or ort execution provider (${Object.keys(ORT_TRAIN_DEVICES).join('|')}); default auto`,
    })
    .option('iw-samples', {
      type: 'string',
      coerce: numberOption('iw-samples', { integer: true, min: 1, max: 5000 }),
      describe: 'train on the importance-weighted bound with K samples (variational kinds; default 1 = ELBO)',
    });
}

/** `vae train`'s stop conditions and run folder flags: limits, `--run-dir`, `--resume`, `--plots`. */
function runOptions(y: Argv): Argv {
  return y
    .option('max-minutes', {
      type: 'string',
      coerce: numberOption('max-minutes', { min: 0, exclusiveMin: true }),
      describe: 'stop (checkpointed) after this many minutes',
    })
    .option('max-steps', {
      type: 'string',
      coerce: numberOption('max-steps', { integer: true, min: 1 }),
      describe: 'stop (checkpointed) after this many optimizer steps in total',
    })
    .option('run-dir', { alias: 'out', type: 'string', describe: 'run folder (default runs/<kind>-<dataset>)' })
    .option('resume', {
      type: 'boolean',
      default: false,
      describe: 'continue the run in --run-dir from its checkpoint',
    })
    .option('plots', {
      type: 'boolean',
      default: true,
      describe: 'write the figures (SVG + PNG) and report.html at the end (--no-plots skips them)',
    });
}

/** Every `vae train` flag, in the order `vae train --help` lists them (`vae pipeline` adds its own after them). */
function trainOptions(y: Argv): Argv {
  const groups = [modelOptions, penaltyOptions, trainingOptions, engineOptions, runOptions];
  const withData = withKindOptions(
    dataOptions(y, { imageOptions: true, defaultDataset: DEFAULT_TRAIN_CONFIG.dataset }),
  );
  return progressAndJsonOptions(groups.reduce((out, addGroup) => addGroup(out), withData));
}

/**
 * Trains with the flags' configuration, drawing a progress bar when asked (default: on a TTY);
 * `signal` stops the run at its next safe point.
 */
async function trainWithFlags(lib: TrainLib, args: TrainArgs, signal: AbortSignal): Promise<TrainResult> {
  const showBar = args.progress ?? process.stderr.isTTY === true;
  const bar = showBar ? await progressBar() : null;
  try {
    return await lib.train(configFromArgs(args), {
      resume: args.resume,
      plots: args.plots,
      ...(bar ? { onProgress: bar.onProgress } : {}),
      data: dataRuntime(args),
      signal,
    });
  } finally {
    bar?.stop();
  }
}

/** Prints the trained run: as JSON with `--json`, else a summary line, the last validation figures and the plots. */
function writeTrainResult(result: TrainResult, json: boolean): void {
  const last = result.metrics[result.metrics.length - 1];
  if (json) {
    process.stdout.write(
      `${JSON.stringify({ runDir: result.runDir, epoch: result.epoch, step: result.step, engine: result.engine, backend: result.backend, stoppedBy: result.stoppedBy, seconds: result.seconds, last, plots: result.plots }, null, 2)}\n`,
    );
    return;
  }
  process.stdout.write(
    `Trained ${result.spec.kind} for ${result.epoch} epoch(s), ${result.step} steps on ${result.engine}/${result.backend} in ${result.seconds.toFixed(1)} s → ${result.runDir}\n`,
  );
  if (last) {
    process.stdout.write(
      `  val loss ${last.valLoss.toFixed(2)} nats/example${last.valElbo !== null ? `, val ELBO ${last.valElbo.toFixed(2)}, KL ${last.valKl!.toFixed(2)}, active units ${last.activeUnits}` : ''}\n`,
    );
  }
  for (const p of result.plots) process.stdout.write(`  ${p}\n`);
}

/** `vae train`: trains a model into a run folder (see `@vae/train`'s `train`). */
export const trainCommand: CommandModule<object, TrainArgs> = {
  command: 'train',
  describe: 'Train a model (default: the 784-400-20 Bernoulli VAE on MNIST) into a run folder',
  builder: (y: Argv) => trainOptions(y) as unknown as Argv<TrainArgs>,
  handler: async (args) => {
    const lib = await import('@vae/train');
    const result = await trainUntilShutdownSignal(lib, 'vae train', (signal) => trainWithFlags(lib, args, signal));
    writeTrainResult(result, args.json);
  },
};
