import {
  Rng,
  assertInteger,
  assertNumber,
  createModelSpec,
  initParameters,
  inputSize,
  probeWebGpu,
  setLogLevel,
  type ModelSpec,
  type ParameterSet,
} from '@vae/core';
import { buildModelFiles } from '@vae/onnx/graphs';
import {
  ADAM_DEFAULTS,
  DEFAULT_TRAIN_CONFIG,
  OrtStepRunner,
  firstExamples,
  makeBatch,
  parseIdx,
  splitValidation,
  validate,
  webOrtPlatform,
  withElbo,
  type ImageSplit,
  type OrtBatch,
  type TrainBatch,
} from '@vae/train/web';
import { WEB_RUNTIME_INFO } from '@vae/runtime-web/backend';
import { cachedBytes } from './cached-fetch.js';
import { gunzip } from './gunzip.js';
import { type OrtBuild, loadOrtBuild } from './ort-build.js';
import { decodeOwnData, type OwnSplit } from './own-data.js';
import type { SiteFile, SiteManifest } from './site-types.js';
import {
  MAX_IMAGE_SIZE,
  assertTrainDevice,
  type TrainInfo,
  type TrainMessage,
  type TrainOps,
  type TrainRequest,
  type TrainSettings,
  type TrainStatus,
  type WebTrainDevice,
} from './train-protocol.js';
import {
  deleteCheckpoint,
  deleteOwnData,
  loadCheckpoint,
  loadOwnData,
  saveCheckpoint,
  saveOwnData,
  saveTrainedModel,
} from './train-store.js';

/** The slice of `DedicatedWorkerGlobalScope` used here. */
interface WorkerScope {
  postMessage(message: TrainMessage, transfer?: Transferable[]): void;
  addEventListener(type: 'message', listener: (e: MessageEvent<TrainRequest>) => void): void;
}
const scope = self as unknown as WorkerScope;
setLogLevel('warn');

const download = (path: string, loaded: number, total: number): void =>
  scope.postMessage({ kind: 'download', path, loaded, total });

async function idx(base: URL, file: SiteFile, rank: number): Promise<Uint8Array> {
  const { bytes } = await cachedBytes(base, file, download);
  return parseIdx(await gunzip(bytes), file.path, rank).data;
}

/** MNIST's training split (60,000 images) from the site's gzipped IDX files. */
async function loadTrainSplit(site: SiteManifest, base: URL): Promise<ImageSplit> {
  const d = site.trainingData;
  const [images, labels] = await Promise.all([idx(base, d.trainImages, 3), idx(base, d.trainLabels, 1)]);
  return { images, labels, count: labels.length };
}

/** The onnxruntime-web build for `device`, its binary through the Cache API. */
const loadRuntime = async (site: SiteManifest, base: URL, device: WebTrainDevice): Promise<OrtBuild> =>
  (await loadOrtBuild(site, base, device, download)).ort;

/** Seed offset of the throwaway batch `auto` times devices on. */
const TRIAL_SEED_OFFSET = 0x7a1;
/** Steps timed per device when `auto` measures (after one warm-up step). */
const TRIAL_STEPS = 2;

/** A one-thread ORT training-step runner on `device` with fresh Adam moments. */
function createStepRunner(
  ort: OrtBuild,
  device: WebTrainDevice,
  spec: ModelSpec,
  params: ParameterSet,
  learningRate: number,
): Promise<OrtStepRunner<WebTrainDevice>> {
  return OrtStepRunner.create(
    { spec, params, learningRate, adam: { ...ADAM_DEFAULTS }, device, threads: 1 },
    webOrtPlatform<WebTrainDevice>(ort, WEB_RUNTIME_INFO),
  );
}

/** Seconds per training step on `device`: a throwaway runner on one batch, from `params`. */
async function stepSeconds(
  ort: OrtBuild,
  device: WebTrainDevice,
  spec: ModelSpec,
  params: ParameterSet,
  batch: OrtBatch,
): Promise<number> {
  const runner = await createStepRunner(ort, device, spec, params, 1e-3);
  try {
    await runner.stepTerms(batch);
    const t0 = performance.now();
    for (let i = 0; i < TRIAL_STEPS; i++) await runner.stepTerms(batch);
    return (performance.now() - t0) / 1000 / TRIAL_STEPS;
  } finally {
    await runner.release();
  }
}

/**
 * The device `request` resolves to, and why. `auto` with a WebGPU adapter times a few steps on
 * both devices (a throwaway batch from its own generator: the run's stream is untouched) and keeps
 * the faster; without an adapter it is wasm.
 */
async function chooseDevice(
  request: TrainSettings['device'],
  site: SiteManifest,
  base: URL,
  trial: { spec: ModelSpec; params: ParameterSet; batch: () => OrtBatch },
): Promise<{ device: WebTrainDevice; why: string }> {
  assertTrainDevice(request, 'device'); // also a resumed checkpoint's, which the form did not check
  if (request === 'wasm') return { device: 'wasm', why: 'requested' };
  const gpu = await probeWebGpu();
  if (request !== 'auto') {
    if (request === 'webgpu' && !gpu.available)
      throw new Error(`device: expected a WebGPU adapter for webgpu, got none (${gpu.reason})`);
    return { device: request, why: 'requested' };
  }
  if (!gpu.available) return { device: 'wasm', why: `auto: no WebGPU (${gpu.reason})` };
  const batch = trial.batch();
  const seconds = {} as Record<WebTrainDevice, number>;
  for (const device of ['wasm', 'webgpu'] as const) {
    try {
      seconds[device] = await stepSeconds(
        await loadRuntime(site, base, device),
        device,
        trial.spec,
        trial.params,
        batch,
      );
    } catch (err) {
      if (device === 'wasm') throw err;
      return {
        device: 'wasm',
        why: `auto: WebGPU failed to train (${err instanceof Error ? err.message : String(err)})`,
      };
    }
  }
  const ms = (d: WebTrainDevice): string => `${(seconds[d] * 1000).toFixed(1)} ms/step`;
  const adapter = `${gpu.software ? 'software fallback adapter' : 'adapter'} ${gpu.adapter}`;
  const device: WebTrainDevice = seconds.webgpu < seconds.wasm ? 'webgpu' : 'wasm';
  return {
    device,
    why: `auto: measured ${ms('webgpu')} on WebGPU (${adapter}) vs ${ms('wasm')} on wasm; ${device} is faster`,
  };
}

interface Run {
  readonly settings: TrainSettings;
  readonly spec: ModelSpec;
  readonly device: WebTrainDevice;
  readonly runner: OrtStepRunner<WebTrainDevice>;
  readonly rng: Rng;
  readonly train: ImageSplit;
  readonly val: ImageSplit;
  /** The user's data set's name, or null for MNIST. */
  readonly ownData: string | null;
  perm: Uint32Array | null;
  status: TrainStatus;
}
let run: Run | null = null;
let pauseRequested = false;

function need(): Run {
  if (!run) throw new Error('worker: expected an init request first, got none');
  return run;
}

const toOrt = (b: TrainBatch): OrtBatch => ({ target: b.target, x: b.x, ...(b.eps ? { eps: b.eps } : {}) });

/** Throws a `RangeError` naming the first bad field of `s` (the page's form, or a test). */
function validateSettings(s: TrainSettings): void {
  assertInteger(s.seed, 'seed', 0);
  if (s.trainSize !== null) assertInteger(s.trainSize, 'trainSize', 1);
  if (s.valCount !== null) assertInteger(s.valCount, 'valCount', 1);
  assertInteger(s.batchSize, 'batchSize', 1);
  assertNumber(s.learningRate, 'learningRate', Number.MIN_VALUE);
  assertInteger(s.epochs, 'epochs', 1);
  assertInteger(s.checkpointEvery, 'checkpointEvery', 1);
  assertTrainDevice(s.device, 'device');
  if (s.imageSize !== undefined) assertInteger(s.imageSize, 'imageSize', 4, MAX_IMAGE_SIZE);
  if (s.channels !== undefined && ![1, 3, 'auto'].includes(s.channels))
    throw new RangeError(`channels: expected 1, 3 or auto, got ${JSON.stringify(s.channels)}`);
}

/** MNIST's shape: the page's data when the user chose none. */
const MNIST_SHAPE = [28, 28, 1] as const;

/** Validation examples held out of `count` (the Node trainer's fraction). */
const valSizeOf = (count: number): number => Math.max(1, Math.round(count * DEFAULT_TRAIN_CONFIG.valFraction));

/** Throws naming `data` when, after the validation split, it has fewer training images than one batch. */
function assertBatchFits(data: string, count: number, batchSize: number): void {
  if (count - valSizeOf(count) >= batchSize) return;
  let least = batchSize + 1;
  while (least - valSizeOf(least) < batchSize) least++;
  throw new Error(
    `${data}: expected at least ${least} images (a batch of ${batchSize} after holding out ${DEFAULT_TRAIN_CONFIG.valFraction.toFixed(3)} for validation), got ${count}`,
  );
}

/** The user's data of this run: decoded from `args.data` (and stored), the resumed run's, or null (MNIST). */
async function ownData(args: TrainOps['init']['args'], resumed: boolean): Promise<OwnSplit | null> {
  if (args.data) {
    const own = await decodeOwnData(args.data, {
      imageSize: args.settings.imageSize ?? MNIST_SHAPE[0],
      channels: args.settings.channels ?? 'auto',
    });
    assertBatchFits(own.name, own.count, args.settings.batchSize);
    await saveOwnData(own);
    return own;
  }
  if (resumed) return loadOwnData();
  await deleteOwnData();
  return null;
}

/** The run's model spec and its training and validation examples (the user's data, or MNIST). */
async function runData(
  site: SiteManifest,
  base: URL,
  settings: TrainSettings,
  own: OwnSplit | null,
): Promise<{ spec: ModelSpec; train: ImageSplit; val: ImageSplit }> {
  // The Node trainer's default model (784-400-20 MLP VAE for MNIST) at the data's shape; data stored
  // before the page read other sizes has none and is MNIST-shaped.
  const spec = createModelSpec({ ...DEFAULT_TRAIN_CONFIG.model, imageShape: [...(own?.imageShape ?? MNIST_SHAPE)] });
  const d = inputSize(spec);
  const all = own ?? (await loadTrainSplit(site, base));
  const split = splitValidation(all, d, valSizeOf(all.count));
  const train = firstExamples(split.train, d, settings.trainSize);
  const val = firstExamples(split.val, d, settings.valCount);
  return { spec, train, val };
}

/** The throwaway batch `auto` times devices on, drawn from its own generator (the run's stream is untouched). */
function trialBatch(settings: TrainSettings, spec: ModelSpec, train: ImageSplit): OrtBatch {
  const trialRng = new Rng(settings.seed + TRIAL_SEED_OFFSET);
  const indices = trialRng.permutation(train.count).subarray(0, Math.min(train.count, settings.batchSize));
  const b = makeBatch(train, indices, trialRng, { spec, binarize: DEFAULT_TRAIN_CONFIG.binarize, samples: 1 });
  return toOrt(b);
}

/** The status of a run that has not taken a step. */
function freshStatus(epochSteps: number): TrainStatus {
  return {
    step: 0,
    epoch: 0,
    epochStep: 0,
    epochSteps,
    losses: [],
    valElbo: [],
    done: false,
    trainSeconds: 0,
    validationSeconds: 0,
    checkpointSeconds: 0,
  };
}

async function init(args: TrainOps['init']['args'], base: URL): Promise<TrainInfo> {
  validateSettings(args.settings);
  await run?.runner.release();
  run = null;
  const stored = args.resume ? await loadCheckpoint() : null;
  const settings = stored?.settings ?? args.settings;
  const own = await ownData(args, stored !== null);
  const { spec, train, val } = await runData(args.site, base, settings, own);
  const rng = stored ? Rng.fromState(stored.rng) : new Rng(settings.seed);
  const params = stored ? stored.params : initParameters(spec, rng);
  const { device, why } = await chooseDevice(settings.device, args.site, base, {
    spec,
    params,
    batch: () => trialBatch(settings, spec, train),
  });
  const ort = await loadRuntime(args.site, base, device);
  const runner = await createStepRunner(ort, device, spec, params, settings.learningRate);
  if (stored) runner.setOptimizerState(stored.optimizer);
  const epochSteps = Math.ceil(train.count / settings.batchSize);
  const status: TrainStatus = stored?.status ?? freshStatus(epochSteps);
  const ownName = own?.name ?? null;
  run = { settings, spec, device, runner, rng, train, val, ownData: ownName, perm: stored?.perm ?? null, status };
  return {
    device,
    why,
    resumed: stored !== null,
    trainCount: train.count,
    valCount: val.count,
    dataset: ownName ?? 'MNIST',
    imageShape: spec.imageShape,
    status,
    settings,
  };
}

async function checkpoint(r: Run): Promise<void> {
  await saveCheckpoint({
    settings: r.settings,
    params: r.runner.getParams(),
    optimizer: r.runner.getOptimizerState(),
    rng: r.rng.getState(),
    perm: r.perm,
    status: r.status,
    savedAt: new Date().toISOString(),
  });
}

async function validation(r: Run) {
  const engine = {
    forward: () => Promise.reject(new Error('worker: validation uses forwardTerms')),
    forwardTerms: async (b: TrainBatch) => {
      const out = await r.runner.forwardTerms(toOrt(b));
      return { terms: withElbo(out.terms), embedding: out.embedding };
    },
  };
  return validate(engine, r.spec, r.val, {
    binarize: DEFAULT_TRAIN_CONFIG.binarize,
    batchSize: Math.max(r.settings.batchSize, 256),
    seed: r.settings.seed,
  });
}

/** The counters and histories `train` advances, published to `Run.status` by {@link publish}. */
interface Progress {
  step: number;
  epoch: number;
  epochStep: number;
  trainSeconds: number;
  validationSeconds: number;
  checkpointSeconds: number;
  readonly losses: number[];
  readonly valElbo: number[];
}

/** Sets `r.status` from `p` and returns it. */
function publish(r: Run, p: Progress, done: boolean): TrainStatus {
  r.status = {
    step: p.step,
    epoch: p.epoch,
    epochStep: p.epochStep,
    epochSteps: r.status.epochSteps,
    losses: p.losses,
    valElbo: p.valElbo,
    done,
    trainSeconds: p.trainSeconds,
    validationSeconds: p.validationSeconds,
    checkpointSeconds: p.checkpointSeconds,
  };
  return r.status;
}

/** Stores a checkpoint of `r` and counts the time it took. */
async function timedCheckpoint(r: Run, p: Progress): Promise<void> {
  const t0 = performance.now();
  await checkpoint(r);
  p.checkpointSeconds += (performance.now() - t0) / 1000;
  publish(r, p, r.status.done);
}

/** One `stepTerms` on the epoch's next batch (drawing the epoch's permutation first); returns its loss. */
async function trainStep(r: Run, p: Progress): Promise<number> {
  const { batchSize } = r.settings;
  r.perm ??= r.rng.permutation(r.train.count);
  const start = p.epochStep * batchSize;
  const indices = r.perm.subarray(start, Math.min(r.train.count, start + batchSize));
  const batch = makeBatch(r.train, indices, r.rng, {
    spec: r.spec,
    binarize: DEFAULT_TRAIN_CONFIG.binarize,
    samples: 1,
  });
  const t0 = performance.now();
  const terms = await r.runner.stepTerms(toOrt(batch));
  p.trainSeconds += (performance.now() - t0) / 1000;
  if (!Number.isFinite(terms.loss))
    throw new Error(`training diverged at step ${p.step + 1}: the loss is ${terms.loss}`);
  p.losses.push(terms.loss);
  p.step++;
  p.epochStep++;
  return terms.loss;
}

/** Closes an epoch: validation (its ELBO posted to the page), then a checkpoint. */
async function endEpoch(r: Run, p: Progress): Promise<void> {
  p.epoch++;
  p.epochStep = 0;
  r.perm = null;
  const t0 = performance.now();
  const val = await validation(r);
  p.validationSeconds += (performance.now() - t0) / 1000;
  p.valElbo.push(val.elbo ?? Number.NaN);
  scope.postMessage({ kind: 'epoch', epoch: p.epoch, valElbo: val.elbo ?? Number.NaN });
  publish(r, p, p.epoch >= r.settings.epochs);
  await timedCheckpoint(r, p);
}

/**
 * The training loop: the Node trainer's order of random draws (one permutation per epoch, then per
 * batch binarization and ε via `makeBatch`), one `stepTerms` per batch; validation and a checkpoint
 * after each epoch, a checkpoint on pause.
 */
async function train(untilStep: number | null): Promise<TrainStatus> {
  const r = need();
  pauseRequested = false;
  const { epochs } = r.settings;
  const { step, epoch, epochStep, trainSeconds, validationSeconds, checkpointSeconds } = r.status;
  const p: Progress = {
    step,
    epoch,
    epochStep,
    trainSeconds,
    validationSeconds,
    checkpointSeconds,
    losses: [...r.status.losses],
    valElbo: [...r.status.valElbo],
  };
  while (p.epoch < epochs && !pauseRequested && (untilStep === null || p.step < untilStep)) {
    const loss = await trainStep(r, p);
    if (p.epochStep >= r.status.epochSteps) await endEpoch(r, p);
    const s = publish(r, p, p.epoch >= epochs);
    if (p.epochStep > 0 && p.step % r.settings.checkpointEvery === 0) await timedCheckpoint(r, p);
    const { losses: _l, valElbo: _v, ...progress } = s;
    scope.postMessage({ kind: 'step', status: progress, loss });
  }
  publish(r, p, p.epoch >= epochs);
  if (pauseRequested || (untilStep !== null && p.step >= untilStep)) await timedCheckpoint(r, p);
  return r.status;
}

/** The manifest's `dataset`: MNIST or the user's data, and how many training images of it. */
function datasetProvenance(r: Run): string {
  const name = r.ownData === null ? 'mnist' : `own data: ${r.ownData}`;
  const all = r.settings.trainSize === null || r.settings.trainSize > r.train.count;
  return all ? name : `${name} (first ${r.train.count} training images)`;
}

async function exportModel(name: string) {
  const r = need();
  const { files } = await buildModelFiles({
    spec: r.spec,
    params: r.runner.getParams(),
    precision: 'fp32',
    name,
    provenance: {
      dataset: datasetProvenance(r),
      epochs: r.status.epoch,
      seed: r.settings.seed,
      valElbo: r.status.valElbo.at(-1) ?? null,
      engine: 'ort-web',
      backend: r.device,
      commit: null,
      trainedIn: { platform: 'browser', agent: navigator.userAgent, device: `onnxruntime-web ${r.device}` },
    },
  });
  return { name, files };
}

async function handle(req: TrainRequest): Promise<{ result: unknown; transfer: Transferable[] }> {
  const base = new URL(req.base);
  switch (req.op) {
    case 'init':
      return { result: await init(req.args as TrainOps['init']['args'], base), transfer: [] };
    case 'run':
      return { result: await train((req.args as TrainOps['run']['args']).untilStep), transfer: [] };
    case 'pause':
      pauseRequested = true;
      return { result: null, transfer: [] };
    case 'validate': {
      const v = await validation(need());
      return { result: { loss: v.loss, elbo: v.elbo, activeUnits: v.activeUnits }, transfer: [] };
    }
    case 'export': {
      const m = await exportModel((req.args as TrainOps['export']['args']).name);
      await saveTrainedModel(m.name, m.files);
      return { result: m, transfer: Object.values(m.files).map((b) => b.buffer as ArrayBuffer) };
    }
    case 'forget':
      await deleteCheckpoint();
      return { result: null, transfer: [] };
    default:
      throw new Error(`worker: expected an operation of TrainOps, got ${JSON.stringify(req.op)}`);
  }
}

scope.addEventListener('message', (e) => {
  const req = e.data;
  handle(req).then(
    ({ result, transfer }) => scope.postMessage({ kind: 'result', id: req.id, result }, transfer),
    (err: unknown) =>
      scope.postMessage({ kind: 'error', id: req.id, message: err instanceof Error ? err.message : String(err) }),
  );
});
