import { availableParallelism } from 'node:os';
import {
  Rng,
  assertDeviceRequest,
  defaultTrainingThreads,
  assertInteger,
  getLogger,
  inputSize,
  modelKindInfo,
  modelObjective,
  oneHot,
  samplePosterior,
  type DeviceRequest,
  type ModelKindInfo,
  type ModelSpec,
  type ParameterSet,
  type Tensor,
  type VaeModel,
} from '@vae/core';
import { gatherPixels } from '../batches/batch-impl.js';
import { loadCheckpoint } from '../checkpoint/checkpoint.js';
import { holdOutValidation, type ImageSplit } from '@vae/data';
import { loadDataset } from '@vae/data/node';
import {
  datasetLoadOptions,
  resolveTrainConfig,
  validationSize,
  type Binarization,
  type DataRuntimeOptions,
  type TrainConfig,
} from '../config.js';
import { loadOnnxModel } from './onnx-model.js';
import { VALIDATION_SEED_OFFSET } from '../trainer/validation.js';
import { EVAL_SPLITS, type EvalSplit } from '../vocabularies.js';

const log = getLogger('train:eval');

/** Options of {@link evaluateRun}. */
export interface EvaluateOptions {
  /** Importance samples K per example (default 100). */
  readonly samples?: number;
  /** Evaluate the first `limit` examples of the split (default 1,000). */
  readonly limit?: number;
  readonly split?: EvalSplit;
  /** onnxruntime-node execution device (default `cpu`). */
  readonly device?: DeviceRequest;
  /** Examples per encoder batch (default 100). */
  readonly batchSize?: number;
  /** Read the data from here instead of the run's `dataDir` (`--data`; e.g. a moved folder). */
  readonly dataDir?: string;
  /** Image cache and memory options (as for training). */
  readonly data?: DataRuntimeOptions;
  /**
   * Intra-op threads of the graphs (default: core's `defaultTrainingThreads` for this machine, as
   * training: an evaluation is a batch job, whose scorer runs are large enough to gain from threads).
   */
  readonly threads?: number;
}

/** Result of {@link evaluateRun}; all values in nats per example, means over the evaluated examples. */
export interface EvaluationResult {
  readonly runDir: string;
  readonly epoch: number;
  readonly split: EvalSplit;
  readonly examples: number;
  /** Where the graphs ran, e.g. `onnxruntime-node/cpu`. */
  readonly backend: string;
  /** Single-sample ELBO estimate (variational kinds; `null` otherwise). */
  readonly elbo: number | null;
  readonly kl: number | null;
  readonly reconstruction: number;
  /** The training objective of the kind (for autoencoders the only number). */
  readonly loss: number;
  /** −(importance-sampled log p(x)) with `samples` samples (variational kinds; `null` otherwise). */
  readonly nll: number | null;
  /**
   * Importance samples K per example behind `nll` (variational kinds); `null` for autoencoders, where
   * nothing is sampled (their code is deterministic and they have no likelihood bound).
   */
  readonly samples: number | null;
  /** How inputs were binarized, so the number can be compared with published ones. */
  readonly protocol: string;
  readonly seconds: number;
}

/**
 * Evaluates a run folder's checkpoint on onnxruntime-node: the mean ELBO (one posterior sample;
 * core's `modelObjective`) and the importance-sampled NLL (`VaeModel.logLikelihood`, the scorer
 * graph, with K samples), on the run's validation split or the test set. Dynamic binarization is replaced by one
 * seeded stochastic binarization of the evaluated images (the usual protocol), static and none are kept.
 */
export async function evaluateRun(runDir: string, o: EvaluateOptions = {}): Promise<EvaluationResult> {
  const started = Date.now();
  // Every option is checked before the checkpoint and the dataset are loaded.
  const samples = assertInteger(o.samples ?? 100, 'samples', 1, 100_000);
  const batchSize = assertInteger(o.batchSize ?? 100, 'batchSize', 1);
  const splitName = evalSplit(o.split);
  const limit = assertInteger(o.limit ?? 1000, 'limit', 1);
  const device = o.device ?? 'cpu';
  assertDeviceRequest(device, 'device');
  const threads = assertInteger(o.threads ?? defaultTrainingThreads(availableParallelism()), 'threads', 1, 1024);
  const ckpt = await loadCheckpoint(runDir);
  const config = resolveTrainConfig(ckpt.config);
  const { spec } = ckpt;
  const d = inputSize(spec);
  const source = await evaluatedSplit(config, d, splitName, o);
  const n = Math.min(limit, source.count);
  const info = modelKindInfo(spec.kind);
  const rng = new Rng(config.seed + VALIDATION_SEED_OFFSET);
  const model = await loadOnnxModel(spec, ckpt.params, { device, location: `${runDir} (checkpoint)`, threads });
  const scoring: Scoring = {
    model,
    spec,
    params: ckpt.params,
    info,
    source,
    d,
    binarize: config.binarize,
    rng,
    samples,
  };
  let sums: EvaluationSums;
  try {
    sums = await scoreExamples(scoring, n, batchSize);
  } finally {
    await model.release();
  }
  return {
    runDir,
    epoch: ckpt.epoch,
    split: splitName,
    examples: n,
    backend: `${model.backend}/${model.device}`,
    elbo: info.variational ? sums.elbo / n : null,
    kl: info.variational ? sums.kl / n : null,
    reconstruction: sums.reconstruction / n,
    loss: sums.loss / n,
    nll: info.variational ? -sums.ll / n : null,
    samples: info.variational ? samples : null,
    protocol: binarizationProtocol(config.binarize),
    seconds: (Date.now() - started) / 1000,
  };
}

/** The split `--split` names (default `val`); a RangeError lists the known ones otherwise. */
function evalSplit(split: EvalSplit | undefined): EvalSplit {
  const splitName = split ?? 'val';
  if (!(splitName in EVAL_SPLITS))
    throw new RangeError(
      `split: expected one of ${Object.keys(EVAL_SPLITS).join('|')}, got ${JSON.stringify(splitName)}`,
    );
  return splitName;
}

/** The evaluated images: the dataset's test set, or the validation rows the run held out. */
async function evaluatedSplit(
  config: TrainConfig,
  pixels: number,
  splitName: EvalSplit,
  o: EvaluateOptions,
): Promise<ImageSplit> {
  const data = await loadDataset(
    config.dataset,
    datasetLoadOptions({ ...config, dataDir: o.dataDir ?? config.dataDir }, o.data),
  );
  if (splitName === 'test' && !data.test)
    throw new RangeError(
      `split: expected val for dataset ${config.dataset} (${data.source} has no test split; the run validated on rows it held out), got test`,
    );
  return splitName === 'test' && data.test
    ? data.test
    : (await holdOutValidation(data.train, pixels, validationSize(config, data.train.count))).val;
}

/** What scoring the evaluated examples needs: the loaded model, its checkpoint, the images and the seeded `Rng`. */
interface Scoring {
  readonly model: VaeModel;
  readonly spec: ModelSpec;
  readonly params: ParameterSet;
  readonly info: ModelKindInfo;
  readonly source: ImageSplit;
  /** Values per image. */
  readonly d: number;
  readonly binarize: Binarization;
  readonly rng: Rng;
  /** Importance samples K per example. */
  readonly samples: number;
}

/** Sums over the evaluated examples (nats); `ll` sums the importance-sampled log p(x). */
interface EvaluationSums {
  elbo: number;
  kl: number;
  reconstruction: number;
  loss: number;
  ll: number;
}

/** Scores the first `n` examples of the split, `batchSize` at a time, and returns the sums. */
async function scoreExamples(s: Scoring, n: number, batchSize: number): Promise<EvaluationSums> {
  const sums: EvaluationSums = { elbo: 0, kl: 0, reconstruction: 0, loss: 0, ll: 0 };
  const { d } = s;
  for (let start = 0; start < n; start += batchSize) {
    const end = Math.min(n, start + batchSize);
    const rows = Uint32Array.from({ length: end - start }, (_, i) => start + i);
    const x: Tensor = { data: gatherPixels(s.source.images, d, rows, s.binarize, s.rng), shape: [rows.length, d] };
    const y = s.info.conditional ? oneHot(s.source.labels.subarray(start, end), s.spec.numClasses) : undefined;
    const enc = await s.model.encode(x, y);
    if ('mu' in enc) await scoreVariational(s, x, y, enc, sums);
    else await scoreAutoencoder(s, x, y, enc.z, sums);
    log.debug(`evaluated ${end}/${n}`);
  }
  return sums;
}

/** Adds a variational batch's one-sample ELBO terms and its importance-sampled log p(x) to `sums`. */
async function scoreVariational(
  s: Scoring,
  x: Tensor,
  y: Tensor | undefined,
  enc: { readonly mu: Tensor; readonly logvar: Tensor },
  sums: EvaluationSums,
): Promise<void> {
  const { spec, model, rng } = s;
  const w = x.shape[0]!;
  const { z, eps } = samplePosterior(enc.mu, enc.logvar, rng);
  const dec = await model.decode(z, y);
  const terms = modelObjective(spec, {
    x,
    decoded: spec.likelihood === 'bernoulli' ? dec.logits : dec.mean,
    mu: enc.mu,
    logvar: enc.logvar,
    eps,
  });
  sums.elbo += terms.elbo! * w;
  sums.kl += terms.kl! * w;
  sums.reconstruction += terms.reconstruction * w;
  sums.loss += terms.loss * w;
  const seed = rng.nextUint32();
  // Default options: core splits the samples into runs of its measured best size.
  const ll = await model.logLikelihood(x, { samples: s.samples, seed, ...(y ? { y } : {}) });
  for (const v of ll) sums.ll += v;
}

/** Adds an autoencoder batch's reconstruction and objective (decoded from its code `z`) to `sums`. */
async function scoreAutoencoder(
  s: Scoring,
  x: Tensor,
  y: Tensor | undefined,
  code: Tensor,
  sums: EvaluationSums,
): Promise<void> {
  const { spec } = s;
  const w = x.shape[0]!;
  const dec = await s.model.decode(code, y);
  const terms = modelObjective(spec, {
    x,
    decoded: spec.likelihood === 'bernoulli' ? dec.logits : dec.mean,
    code,
    params: s.params,
  });
  sums.reconstruction += terms.reconstruction * w;
  sums.loss += terms.loss * w;
}

/** How the evaluated inputs were binarized, in words (so the number can be compared with published ones). */
function binarizationProtocol(binarize: Binarization): string {
  return binarize === 'dynamic'
    ? 'one seeded stochastic binarization of the evaluated images'
    : binarize === 'static'
      ? 'static binarization at 0.5'
      : 'intensities in [0, 1], not binarized';
}
