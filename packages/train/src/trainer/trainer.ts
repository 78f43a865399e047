import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import {
  Rng,
  convPresetFor,
  createModelSpec,
  getLogger,
  initParameters,
  inputSize,
  modelKindInfo,
  type ModelKindInfo,
  type ModelSpec,
  type ParameterSet,
  sizeText,
} from '@vae/core';
import { makeBatch } from '../batches/batches.js';
import {
  neverCheckpointed,
  recoverCheckpoint,
  removeRunTemps,
  saveCheckpoint,
  type CheckpointState,
} from '../checkpoint/checkpoint.js';
import { firstRows, holdOutValidation, type ImageDataset, type ImageSplit, type TrainSplit } from '@vae/data';
import { faultPoint, loadDataset, writeFileAtomic } from '@vae/data/node';
import {
  datasetLoadOptions,
  resolveTrainConfig,
  validationSize,
  type DataRuntimeOptions,
  type TrainConfig,
} from '../config.js';
import { chooseEngine, createEngine, type Engine, type TrainBatch } from '../engines/index.js';
import { epochRows, type EpochRows } from '../batches/epoch-rows.js';
import { readMetrics, writeMetrics, type EpochMetrics } from '../checkpoint/metrics.js';
import { writeRunPlots } from '../plots/run-plots.js';
import { reportTerms, type ReportedTerms } from '../report.js';
import { validate, type ValidationEngine, type ValidationResult } from './validation.js';
import { AbortRace, TrainingStoppedError } from './stop.js';

const log = getLogger('train');

/** File name of the run configuration inside a run folder. */
export const CONFIG_FILE = 'config.json';

/** Progress of a run, reported through {@link TrainOptions.onProgress} (the CLI draws the bar). */
export interface TrainProgress {
  readonly phase: 'train' | 'validate';
  /** 1-based epoch in progress. */
  readonly epoch: number;
  readonly epochs: number;
  /** Steps done in this epoch and its total. */
  readonly epochStep: number;
  readonly epochSteps: number;
  /** Steps done in the whole run. */
  readonly step: number;
  /** Mean training loss of this epoch so far (core's evaluation), nats per example. */
  readonly loss: number;
  readonly elapsedSeconds: number;
  /** Estimated seconds left for the remaining steps, or `null` before the first step. */
  readonly etaSeconds: number | null;
}

/** Options of {@link train} that are not part of the saved configuration. */
export interface TrainOptions {
  /** Continue from `<runDir>/checkpoint` (only `epochs`, `maxMinutes`, `maxSteps`, `backend` may change). */
  readonly resume?: boolean;
  readonly onProgress?: (p: TrainProgress) => void;
  /** Write the figures (SVG + PNG) and `report.html` at the end (default true). */
  readonly plots?: boolean;
  /** Where image folders are cached and how much of a dataset is held in memory (not part of the configuration). */
  readonly data?: DataRuntimeOptions;
  /**
   * Stops the run when aborted, at the next safe point: the step, validation or plots in flight are
   * abandoned, a checkpoint being saved is finished first; `train` then rejects with a
   * {@link TrainingStoppedError} and the last complete checkpoint stays resumable.
   */
  readonly signal?: AbortSignal;
}

/** Why a run ended. */
export type StopReason = 'epochs' | 'max-steps' | 'max-minutes';

/** Outcome of {@link train}. */
export interface TrainResult {
  readonly runDir: string;
  readonly spec: ModelSpec;
  readonly config: TrainConfig;
  /** Epochs completed (including those before a resume). */
  readonly epoch: number;
  readonly step: number;
  readonly engine: string;
  readonly backend: string;
  readonly stoppedBy: StopReason;
  readonly metrics: EpochMetrics[];
  /** Paths of the figures (SVG and PNG) and `report.html` written. */
  readonly plots: string[];
  readonly seconds: number;
}

/** Thrown when the loss or the parameters stop being finite; the last good checkpoint is kept. */
export class TrainingDivergedError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'TrainingDivergedError';
  }
}

/** The model spec a configuration trains on a dataset (image shape and classes from the data). */
export function specForConfig(
  config: TrainConfig,
  data: Pick<ImageDataset, 'imageShape' | 'numClasses'> & Partial<Pick<ImageDataset, 'classNames' | 'source'>>,
): ModelSpec {
  const conditional = modelKindInfo(config.model.kind ?? 'vae').conditional;
  if (conditional && data.classNames === null)
    throw new RangeError(
      `dataset: expected labelled images for the conditional kind ${config.model.kind}, got none from ${data.source ?? config.dataset} (put each class in its own subfolder)`,
    );
  return createModelSpec({
    ...config.model,
    imageShape: data.imageShape as [number, number, number],
    ...(conditional ? { numClasses: data.numClasses } : {}),
  });
}

const RESUMABLE_OVERRIDES = ['epochs', 'maxMinutes', 'maxSteps', 'backend'] as const;

async function resolveStart(
  partial: Partial<TrainConfig>,
  resume: boolean,
): Promise<{ config: TrainConfig; checkpoint: CheckpointState | null; metrics: EpochMetrics[] }> {
  if (!resume) {
    const config = resolveTrainConfig(partial);
    await removeRunTemps(config.runDir);
    return { config, checkpoint: null, metrics: [] };
  }
  const runDir = partial.runDir;
  if (!runDir) throw new RangeError('runDir: expected the run folder to resume, got none');
  const overrides: Partial<TrainConfig> = {};
  for (const key of RESUMABLE_OVERRIDES)
    if (partial[key] !== undefined) Object.assign(overrides, { [key]: partial[key] });
  const saved = await configOfUncheckpointedRun(runDir);
  if (saved) {
    log.warn(
      `${runDir}: no checkpoint was saved yet (the run stopped during its first epoch or its first save): starting it again from epoch 1 with its ${CONFIG_FILE}`,
    );
    const config = resolveTrainConfig({ ...saved, ...overrides, runDir });
    await removeRunTemps(runDir);
    return { config, checkpoint: null, metrics: [] };
  }
  const checkpoint = await recoverCheckpoint(runDir);
  const config = resolveTrainConfig({ ...checkpoint.config, ...overrides, runDir });
  const metrics = (checkpoint.metrics ?? []).filter((m) => m.epoch <= checkpoint.epoch);
  return { config, checkpoint, metrics };
}

/**
 * The configuration of a run that `vae train` started but never checkpointed (its `config.json`
 * is written before the first epoch), or null when the folder has a checkpoint (or is no run).
 */
async function configOfUncheckpointedRun(runDir: string): Promise<TrainConfig | null> {
  if (!(await neverCheckpointed(runDir))) return null;
  let text: string;
  try {
    text = await readFile(join(runDir, CONFIG_FILE), 'utf8');
  } catch {
    return null;
  }
  try {
    return (JSON.parse(text) as { config: TrainConfig }).config;
  } catch (err) {
    throw new Error(`${join(runDir, CONFIG_FILE)}: could not be read as JSON (${(err as Error).message})`);
  }
}

/**
 * Trains a model as `config` describes and writes the run folder: `config.json`, an atomic
 * `checkpoint/` after every epoch, `metrics.jsonl`, and PNGs at the end. Deterministic for a seed:
 * shuffling, binarization, noise and ε all come from one core `Rng` whose state is checkpointed, so
 * a resumed run reproduces an uninterrupted one. Stops with {@link TrainingDivergedError} on a
 * non-finite loss, leaving the previous checkpoint in place, and with {@link TrainingStoppedError}
 * when `options.signal` aborts.
 */
export async function train(partial: Partial<TrainConfig> = {}, options: TrainOptions = {}): Promise<TrainResult> {
  const started = Date.now();
  const { config, checkpoint, metrics } = await resolveStart(partial, options.resume === true);
  const position: RunPosition = { epoch: checkpoint?.epoch ?? 0, step: checkpoint?.step ?? 0, stoppedBy: 'epochs' };
  // A resumed folder can be resumed again; a new run once its config.json is written.
  const folder = { resumable: options.resume === true };
  try {
    return await trainFrom({ config, checkpoint, metrics, options, started }, position, folder);
  } catch (err) {
    if (!options.signal?.aborted) throw err;
    throw new TrainingStoppedError(
      { runDir: config.runDir, ...position, resumable: folder.resumable },
      options.signal.reason,
    );
  }
}

/** {@link train} after its start is resolved: sets up the data and the engine, trains, plots. */
async function trainFrom(
  start: Pick<Run, 'config' | 'metrics' | 'options' | 'started'> & { readonly checkpoint: CheckpointState | null },
  position: RunPosition,
  folder: { resumable: boolean },
): Promise<TrainResult> {
  const { config, checkpoint, options } = start;
  options.signal?.throwIfAborted();
  const setup = await prepareData(config, checkpoint, options);
  const { spec } = setup;
  const rng = checkpoint ? Rng.fromState(checkpoint.rng) : new Rng(config.seed);
  const initial = checkpoint ? checkpoint.params : initParameters(spec, rng);
  options.signal?.throwIfAborted();
  const engine = await openEngine(config, spec);
  const run: Run = { ...setup, ...start, rng, engine, race: new AbortRace(options.signal) };
  try {
    await beginRun(run, initial, checkpoint);
    folder.resumable = true;
    await runEpochs(run, position);
    const plots = options.plots !== false ? await run.race.race(plotRun(run, position)) : [];
    const { epoch, step, stoppedBy } = position;
    if (stoppedBy !== 'epochs')
      log.info(`stopped by --${stoppedBy} after ${step} steps (epoch ${epoch}); resume with --resume`);
    return {
      runDir: config.runDir,
      spec,
      config,
      epoch,
      step,
      engine: engine.name,
      backend: engine.backend,
      stoppedBy,
      metrics: run.metrics,
      plots,
      seconds: (Date.now() - run.started) / 1000,
    };
  } finally {
    await run.race.settled();
    engine.dispose();
  }
}

/** What a run trains on: the dataset, the model spec, and the training and validation rows. */
interface RunData {
  readonly data: ImageDataset;
  readonly spec: ModelSpec;
  readonly info: ModelKindInfo;
  readonly val: ImageSplit;
  readonly trainSet: TrainSplit;
  readonly order: EpochRows;
}

/** Everything a run's steps share; `metrics` grows by one record per epoch. */
interface Run extends RunData {
  readonly config: TrainConfig;
  readonly options: TrainOptions;
  /** `Date.now()` when {@link train} was called. */
  readonly started: number;
  readonly rng: Rng;
  readonly engine: Engine;
  readonly metrics: EpochMetrics[];
  /** Races the engine's work against `options.signal`. */
  readonly race: AbortRace;
}

/** Where a run stands: epochs completed, steps done, and why it stops (`epochs` while it goes on). */
interface RunPosition {
  epoch: number;
  step: number;
  stoppedBy: StopReason;
}

/** Loads the dataset, checks it and the configuration against the model spec, and holds out the validation rows. */
async function prepareData(
  config: TrainConfig,
  checkpoint: CheckpointState | null,
  options: TrainOptions,
): Promise<RunData> {
  const data = await loadDataset(config.dataset, datasetLoadOptions(config, options.data));
  const spec = checkpoint ? checkpoint.spec : specForConfig(config, data);
  const d = inputSize(spec);
  if (d !== data.imageShape[0] * data.imageShape[1] * data.imageShape[2]) {
    throw new RangeError(
      `dataset: expected images of ${sizeText(...spec.imageShape)} for this model, got ${sizeText(...data.imageShape)} from ${data.source}`,
    );
  }
  const info = modelKindInfo(spec.kind);
  if (config.iwSamples > 1 && !info.variational)
    throw new RangeError(`iwSamples: expected 1 for the non-variational kind ${spec.kind}, got ${config.iwSamples}`);
  if (config.iwSamples > 1 && spec.beta !== 1)
    throw new RangeError(
      `iwSamples: expected 1 with beta ≠ 1 (the IWAE bound has no β), got ${config.iwSamples} with beta ${spec.beta}`,
    );
  const split = await holdOutValidation(data.train, d, validationSize(config, data.train.count));
  const trainSet = firstRows(split.train, d, config.trainSize);
  const order = epochRows(
    trainSet,
    options.data?.shuffleBufferBytes ? { bufferBytes: options.data.shuffleBufferBytes } : {},
  );
  return { data, spec, info, val: split.val, trainSet, order };
}

/** Creates the configured engine (or the one `auto` chooses, saying why, and naming it if it fails). */
async function openEngine(config: TrainConfig, spec: ModelSpec): Promise<Engine> {
  const choice = chooseEngine(config.engine, spec, { backend: config.backend });
  if (config.engine === 'auto') log.info(`engine auto → ${choice.engine}: ${choice.reason}`);
  return createEngine(choice.engine).catch((err: unknown) => {
    if (config.engine !== 'auto') throw err;
    throw new Error(`--engine auto chose ${choice.engine} (${choice.reason}): ${(err as Error).message}`, {
      cause: err,
    });
  });
}

/** Initialises the engine (and its optimizer on a resume), writes `metrics.jsonl` and `config.json`, and logs the run. */
async function beginRun(run: Run, initial: ParameterSet, checkpoint: CheckpointState | null): Promise<void> {
  const { config, spec, engine, trainSet, val } = run;
  const runDir = config.runDir;
  await engine.init(spec, initial, config);
  if (checkpoint?.optimizer) await engine.setOptimizerState(checkpoint.optimizer);
  await writeMetrics(runDir, run.metrics);
  await writeFileAtomic(join(runDir, CONFIG_FILE), `${JSON.stringify({ config, spec }, null, 2)}\n`);
  const preset =
    config.model.architecture === 'conv'
      ? ` (conv preset ${convPresetFor(spec.imageShape, config.model.convPreset)})`
      : '';
  log.info(
    `${spec.kind}${preset} ${sizeText(...spec.imageShape)} on ${config.dataset} (${trainSet.count} train / ${val.count} val), ${engine.name}/${engine.backend}, ` +
      `batch ${config.batchSize}, ${checkpoint ? `resuming after epoch ${checkpoint.epoch}` : 'from scratch'} → ${runDir}`,
  );
}

/** Step timing of this run (not of the epochs before a resume), for the time left. */
interface StepClock {
  readonly stepsPerEpoch: number;
  readonly totalSteps: number;
  readonly stepStart: number;
  stepsThisRun: number;
}

/** Sums over an epoch's examples of the reported terms, and the number of examples. */
interface EpochSums {
  loss: number;
  reconstruction: number;
  kl: number;
  elbo: number;
  iw: number;
  n: number;
}

/** The epoch in progress: its 1-based number, its steps done, its sums. */
interface EpochState {
  readonly epochNo: number;
  readonly started: number;
  epochStep: number;
  readonly sums: EpochSums;
}

/**
 * Trains epoch after epoch until `config.epochs`, `maxSteps` or `maxMinutes` stops the run: the
 * steps, the validation, then the metrics and the checkpoint of each epoch. Advances `position`.
 */
async function runEpochs(run: Run, position: RunPosition): Promise<void> {
  const { config, trainSet } = run;
  const stepsPerEpoch = Math.ceil(trainSet.count / config.batchSize);
  const clock: StepClock = {
    stepsPerEpoch,
    totalSteps: Math.min(config.maxSteps ?? Infinity, config.epochs * stepsPerEpoch),
    stepStart: Date.now(),
    stepsThisRun: 0,
  };
  while (position.epoch < config.epochs) {
    run.options.signal?.throwIfAborted();
    if (config.maxSteps !== null && position.step >= config.maxSteps) {
      position.stoppedBy = 'max-steps';
      break;
    }
    const epoch: EpochState = {
      epochNo: position.epoch + 1,
      started: Date.now(),
      epochStep: 0,
      sums: { loss: 0, reconstruction: 0, kl: 0, elbo: 0, iw: 0, n: 0 },
    };
    await trainEpoch(run, position, epoch, clock);
    reportProgress(run, position, epoch, clock, 'validate', null);
    const val = await validateEpoch(run, position, epoch);
    const record = epochRecord(run, position, epoch, val);
    await commitEpoch(run, position, record);
    logEpoch(run, record);
    if (position.stoppedBy !== 'epochs') break;
  }
}

/** Reports where the run stands: the phase, and the time left (null while validating). */
function reportProgress(
  run: Run,
  position: RunPosition,
  epoch: EpochState,
  clock: StepClock,
  phase: TrainProgress['phase'],
  etaSeconds: number | null,
): void {
  run.options.onProgress?.({
    phase,
    epoch: epoch.epochNo,
    epochs: run.config.epochs,
    epochStep: epoch.epochStep,
    epochSteps: clock.stepsPerEpoch,
    step: position.step,
    loss: epoch.sums.loss / epoch.sums.n,
    elapsedSeconds: (Date.now() - run.started) / 1000,
    etaSeconds,
  });
}

/** The batch at position `start` of the epoch's order (binarization and noise drawn from the run's `Rng`). */
async function batchAt(run: Run, start: number): Promise<{ indices: Uint32Array; batch: TrainBatch }> {
  const { config, trainSet, spec } = run;
  const { split: rows, indices } = await run.order.rows(start, Math.min(trainSet.count, start + config.batchSize));
  return {
    indices,
    batch: makeBatch(rows, indices, run.rng, { spec, binarize: config.binarize, samples: config.iwSamples }),
  };
}

/** The steps of one epoch, until its rows are done or `maxSteps`/`maxMinutes` stops the run. */
async function trainEpoch(run: Run, position: RunPosition, epoch: EpochState, clock: StepClock): Promise<void> {
  const { config, trainSet } = run;
  run.order.start(run.rng);
  let current = await run.race.race(batchAt(run, 0));
  for (let start = 0; start < trainSet.count; start += config.batchSize) {
    await run.race.safePoint();
    const { indices, batch } = current;
    const terms = await finiteStep(run, position, epoch, batch);
    addTerms(epoch.sums, terms, indices.length);
    position.step++;
    epoch.epochStep++;
    clock.stepsThisRun++;
    const elapsed = (Date.now() - clock.stepStart) / 1000;
    const remaining = Math.max(0, clock.totalSteps - position.step);
    reportProgress(run, position, epoch, clock, 'train', (elapsed / clock.stepsThisRun) * remaining);
    position.stoppedBy = stopAfterStep(run, position.step);
    if (position.stoppedBy !== 'epochs') break;
    // The next batch is drawn once this step has replied: the ort engine's worker applies Adam
    // meanwhile. Drawing it during the step would share the cores with onnxruntime's intra-op
    // threads while the run lasts.
    if (start + config.batchSize < trainSet.count)
      current = await run.race.race(batchAt(run, start + config.batchSize));
  }
}

/**
 * One training step; throws {@link TrainingDivergedError} when its loss is not finite, and the
 * abort's reason when `run.options.signal` aborts while it runs (the step is abandoned). Fault point
 * `train:step-running`: the step has been handed to the engine.
 */
async function finiteStep(
  run: Run,
  position: RunPosition,
  epoch: EpochState,
  batch: TrainBatch,
): Promise<ReportedTerms> {
  const running = run.race.track(stepAndReport(run.engine, run.spec, batch));
  faultPoint('train:step-running');
  const { terms, loss } = await run.race.race(running);
  if (!terms || !Number.isFinite(terms.loss) || !Number.isFinite(loss)) {
    throw new TrainingDivergedError(
      `training diverged at epoch ${epoch.epochNo}, step ${position.step + 1}: the loss became ${!Number.isFinite(loss) || !terms ? loss : terms.loss}. ` +
        `The last good checkpoint (${checkpointNote(position.epoch)}) is kept in ${join(run.config.runDir, 'checkpoint')}; lower --lr (now ${run.config.learningRate}) and resume or restart.`,
    );
  }
  return terms;
}

/** Adds a step's terms, weighted by its `w` examples, to the epoch's sums. */
function addTerms(sums: EpochSums, terms: ReportedTerms, w: number): void {
  sums.loss += terms.loss * w;
  sums.reconstruction += terms.reconstruction * w;
  sums.kl += (terms.kl ?? 0) * w;
  sums.elbo += (terms.elbo ?? 0) * w;
  sums.iw += (terms.iwBound ?? 0) * w;
  sums.n += w;
}

/** Why the run stops after its `step`-th step, or `epochs` when it goes on. */
function stopAfterStep(run: Run, step: number): StopReason {
  const { maxSteps, maxMinutes } = run.config;
  if (maxSteps !== null && step >= maxSteps) return 'max-steps';
  if (maxMinutes !== null && (Date.now() - run.started) / 60000 >= maxMinutes) return 'max-minutes';
  return 'epochs';
}

/** Validates the epoch's model; throws {@link TrainingDivergedError} when the validation loss is not finite. */
async function validateEpoch(run: Run, position: RunPosition, epoch: EpochState): Promise<ValidationResult> {
  const { config } = run;
  const val = await run.race.race(
    validate(safeEngine(run), run.spec, run.val, {
      binarize: config.binarize,
      batchSize: Math.max(config.batchSize, 256),
      seed: config.seed,
    }),
  );
  if (!Number.isFinite(val.loss)) {
    throw new TrainingDivergedError(
      `training diverged at epoch ${epoch.epochNo}: the validation loss is ${val.loss}. The last good checkpoint (${checkpointNote(position.epoch)}) is kept in ${join(config.runDir, 'checkpoint')}.`,
    );
  }
  return val;
}

/** `run.engine`'s validation calls, each after a safe point and tracked (see {@link AbortRace}). */
function safeEngine(run: Run): ValidationEngine {
  const { engine, race } = run;
  const call =
    <T>(method: (batch: TrainBatch) => Promise<T>) =>
    async (batch: TrainBatch): Promise<T> => {
      await race.safePoint();
      return race.track(method.call(engine, batch));
    };
  return {
    forward: call(engine.forward),
    ...(engine.forwardTerms ? { forwardTerms: call(engine.forwardTerms) } : {}),
  };
}

/** The metrics record of a finished epoch. */
function epochRecord(run: Run, position: RunPosition, epoch: EpochState, val: ValidationResult): EpochMetrics {
  const { sums } = epoch;
  const variational = run.info.variational;
  return {
    epoch: epoch.epochNo,
    step: position.step,
    epochSteps: epoch.epochStep,
    seconds: (Date.now() - epoch.started) / 1000,
    trainLoss: sums.loss / sums.n,
    trainReconstruction: sums.reconstruction / sums.n,
    trainKl: variational ? sums.kl / sums.n : null,
    trainElbo: variational ? sums.elbo / sums.n : null,
    trainIwBound: run.config.iwSamples > 1 ? sums.iw / sums.n : null,
    valLoss: val.loss,
    valReconstruction: val.reconstruction,
    valKl: val.kl,
    valElbo: val.elbo,
    activeUnits: val.activeUnits,
  };
}

/**
 * The crash-safe end of an epoch: `metrics.jsonl` with `record` first (fault point
 * `metrics:written`), then the checkpoint. Non-finite parameters take the record back out and
 * throw {@link TrainingDivergedError}, keeping the previous checkpoint.
 */
async function commitEpoch(run: Run, position: RunPosition, record: EpochMetrics): Promise<void> {
  const { config, engine, metrics, spec } = run;
  const runDir = config.runDir;
  metrics.push(record);
  await writeMetrics(runDir, metrics);
  faultPoint('metrics:written');
  const params = await engine.getParams();
  const optimizer = await engine.getOptimizerState();
  position.epoch = record.epoch;
  const { epoch, step } = position;
  try {
    await saveCheckpoint(runDir, {
      spec,
      params,
      config,
      epoch,
      step,
      rng: run.rng.getState(),
      optimizer,
      metrics,
      engine: engine.name,
      backend: engine.backend,
    });
  } catch (err) {
    if (err instanceof RangeError && /finite/.test(err.message)) {
      metrics.pop();
      await writeMetrics(runDir, metrics);
      throw new TrainingDivergedError(
        `training diverged at epoch ${record.epoch}: ${err.message}. The previous checkpoint is kept.`,
      );
    }
    throw err;
  }
}

/** Logs an epoch's losses (and for variational kinds its ELBO, KL and active units). */
function logEpoch(run: Run, record: EpochMetrics): void {
  const { config, spec } = run;
  log.info(
    `epoch ${record.epoch}/${config.epochs}: train loss ${record.trainLoss.toFixed(2)}, val loss ${record.valLoss.toFixed(2)}` +
      `${record.valElbo !== null ? `, val ELBO ${record.valElbo.toFixed(2)}, KL ${record.valKl!.toFixed(2)} nats, active units ${record.activeUnits}/${spec.latentDim}` : ' nats'} (${record.seconds.toFixed(1)} s)`,
  );
}

/** Writes the run's figures and `report.html` from the engine's final parameters; returns the paths. */
async function plotRun(run: Run, position: RunPosition): Promise<string[]> {
  const { config, engine, spec } = run;
  const runDir = config.runDir;
  const params = await run.race.race(run.race.track(engine.getParams()));
  return writeRunPlots({
    runDir,
    spec,
    params,
    metrics: await readMetrics(runDir),
    val: run.val,
    classNames: run.data.classNames,
    seed: config.seed,
    binarize: config.binarize,
    training: {
      config,
      engine: engine.name,
      backend: engine.backend,
      epoch: position.epoch,
      step: position.step,
      stoppedBy: position.stoppedBy,
      seconds: (Date.now() - run.started) / 1000,
    },
  });
}

/**
 * One training step and the terms reported for it: the engine's own in-graph terms when it has them
 * (one posterior sample), else core's evaluation of the step's forward outputs. `terms` is null when
 * the outputs were not finite (the caller stops with a divergence message).
 */
async function stepAndReport(
  engine: Engine,
  spec: ModelSpec,
  batch: TrainBatch,
): Promise<{ terms: ReportedTerms | null; loss: number }> {
  if (engine.stepTerms && batch.samples === 1) {
    // The batch is not read after the step: the engine may move its buffers instead of copying them.
    const t = await engine.stepTerms(batch, true);
    return { terms: { ...t, iwBound: null }, loss: t.loss };
  }
  const out = await engine.step(batch);
  const terms = await reportTerms(spec, batch, out).catch((err: unknown) => {
    if (!Number.isFinite(out.loss)) return null;
    throw err;
  });
  return { terms, loss: out.loss };
}

function checkpointNote(epoch: number): string {
  return epoch === 0 ? 'none yet: no epoch had finished' : `after epoch ${epoch}`;
}
