import {
  Rng,
  assertInteger,
  getLogger,
  importanceSampledLogLikelihood,
  inputSize,
  modelKindInfo,
  modelObjective,
  oneHot,
  samplePosterior,
  type Tensor,
} from '@vae/core';
import { selectBackend } from './backends.js';
import { gatherPixels } from './batch-impl.js';
import { loadCheckpoint } from './checkpoint.js';
import { resolveTrainConfig } from './config.js';
import { loadDataset, splitValidation } from './datasets.js';
import { createTfjsModel } from './tfjs-model.js';
import { validationSize } from './trainer.js';
import { VALIDATION_SEED_OFFSET } from './validation.js';
import { EVAL_SPLITS, type BackendRequest, type EvalSplit } from './vocabularies.js';

const log = getLogger('train:eval');

/** Options of {@link evaluateRun}. */
export interface EvaluateOptions {
  /** Importance samples K per example (default 100). */
  readonly samples?: number;
  /** Evaluate the first `limit` examples of the split (default 1,000). */
  readonly limit?: number;
  readonly split?: EvalSplit;
  readonly backend?: BackendRequest;
  /** Examples per encoder batch (default 100). */
  readonly batchSize?: number;
}

/** Result of {@link evaluateRun}; all values in nats per example, means over the evaluated examples. */
export interface EvaluationResult {
  readonly runDir: string;
  readonly epoch: number;
  readonly split: EvalSplit;
  readonly examples: number;
  readonly backend: string;
  /** Single-sample ELBO estimate (variational kinds; `null` otherwise). */
  readonly elbo: number | null;
  readonly kl: number | null;
  readonly reconstruction: number;
  /** The training objective of the kind (for autoencoders the only number). */
  readonly loss: number;
  /** −(importance-sampled log p(x)) with `samples` samples (variational kinds; `null` otherwise). */
  readonly nll: number | null;
  readonly samples: number;
  /** How inputs were binarized, so the number can be compared with published ones. */
  readonly protocol: string;
  readonly seconds: number;
}

/**
 * Evaluates a run folder's checkpoint: the mean ELBO (one posterior sample; core's
 * `modelObjective`) and the importance-sampled NLL (core's `importanceSampledLogLikelihood` with K
 * samples), on the run's validation split or the test set. Dynamic binarization is replaced by one
 * seeded stochastic binarization of the evaluated images (the usual protocol), static and none are kept.
 */
export async function evaluateRun(runDir: string, o: EvaluateOptions = {}): Promise<EvaluationResult> {
  const started = Date.now();
  const samples = assertInteger(o.samples ?? 100, 'samples', 1, 100_000);
  const batchSize = assertInteger(o.batchSize ?? 100, 'batchSize', 1);
  const splitName = o.split ?? 'val';
  if (!(splitName in EVAL_SPLITS)) throw new RangeError(`split: expected one of ${Object.keys(EVAL_SPLITS).join('|')}, got ${JSON.stringify(splitName)}`);
  const ckpt = await loadCheckpoint(runDir);
  const config = resolveTrainConfig(ckpt.config);
  const { spec } = ckpt;
  const d = inputSize(spec);
  const data = await loadDataset(config.dataset, { dataDir: config.dataDir });
  const source = splitName === 'test' ? data.test : splitValidation(data.train, d, validationSize(config, data.train.count)).val;
  const limit = assertInteger(o.limit ?? 1000, 'limit', 1);
  const n = Math.min(limit, source.count);
  const { backend } = await selectBackend(o.backend ?? 'auto');
  const info = modelKindInfo(spec.kind);
  const rng = new Rng(config.seed + VALIDATION_SEED_OFFSET);
  const model = createTfjsModel(spec, ckpt.params);
  const sums = { elbo: 0, kl: 0, reconstruction: 0, loss: 0, ll: 0 };
  try {
    for (let start = 0; start < n; start += batchSize) {
      const end = Math.min(n, start + batchSize);
      const rows = Uint32Array.from({ length: end - start }, (_, i) => start + i);
      const x: Tensor = { data: gatherPixels(source.images, d, rows, config.binarize, rng), shape: [rows.length, d] };
      const labels = source.labels.subarray(start, end);
      const y = info.conditional ? oneHot(labels, spec.numClasses) : undefined;
      const enc = await model.encodeAsync(x, y);
      const w = rows.length;
      if ('mu' in enc) {
        const { z } = samplePosterior(enc.mu, enc.logvar, rng);
        const terms = modelObjective(spec, { x, decoded: await model.decodeAsync(z, y), mu: enc.mu, logvar: enc.logvar });
        sums.elbo += terms.elbo! * w;
        sums.kl += terms.kl! * w;
        sums.reconstruction += terms.reconstruction * w;
        sums.loss += terms.loss * w;
        const ll = await importanceSampledLogLikelihood({
          x,
          mu: enc.mu,
          logvar: enc.logvar,
          samples,
          chunkSize: Math.max(1, Math.min(samples, Math.floor(10_000 / w))),
          rng,
          likelihood: spec.likelihood,
          sigma: spec.gaussianSigma,
          decode: (zs, which) => model.decodeAsync(zs, y ? oneHot(Array.from(which, (r) => labels[r]!), spec.numClasses) : undefined),
        });
        for (const v of ll) sums.ll += v;
      } else {
        const decoded = await model.decodeAsync(enc.z, y);
        const kernel = ckpt.params['encoder.code.kernel'];
        const terms = modelObjective(spec, { x, decoded, code: enc.z, ...(info.regularizer === 'contractive' && kernel ? { codeKernel: kernel } : {}) });
        sums.reconstruction += terms.reconstruction * w;
        sums.loss += terms.loss * w;
      }
      log.debug(`evaluated ${end}/${n}`);
    }
  } finally {
    model.dispose();
  }
  const protocol = config.binarize === 'dynamic' ? 'one seeded stochastic binarization of the evaluated images' : config.binarize === 'static' ? 'static binarization at 0.5' : 'grey levels';
  return {
    runDir,
    epoch: ckpt.epoch,
    split: splitName,
    examples: n,
    backend,
    elbo: info.variational ? sums.elbo / n : null,
    kl: info.variational ? sums.kl / n : null,
    reconstruction: sums.reconstruction / n,
    loss: sums.loss / n,
    nll: info.variational ? -sums.ll / n : null,
    samples,
    protocol,
    seconds: (Date.now() - started) / 1000,
  };
}
