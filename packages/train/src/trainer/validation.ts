import { Rng, activeUnits, modelKindInfo, type ModelSpec, type Tensor } from '@vae/core';
import { makeBatch } from '../batches/batches.js';
import type { Binarization } from '../config.js';
import type { ImageSplit } from '@vae/data';
import type { Engine, ForwardTerms, TrainBatch } from '../engines/engine.js';
import { reportTerms } from '../report.js';

/** Validation results, batch-size-weighted means in nats per example. */
export interface ValidationResult {
  readonly loss: number;
  readonly reconstruction: number;
  readonly kl: number | null;
  readonly elbo: number | null;
  /** Active units of μ over the split (variational kinds), else `null`. */
  readonly activeUnits: number | null;
  /** Encoder means (variational) or codes `[N, L]` over the split, in split order. */
  readonly embeddings: Tensor;
}

/** What {@link validate} needs of an engine: a forward pass, and its own loss terms when it has them. */
export type ValidationEngine = Pick<Engine, 'forward' | 'forwardTerms'>;

/** Seed offset of the validation stream, so validation never consumes the training `Rng`. */
export const VALIDATION_SEED_OFFSET = 0x5eed;

/** The engine's own terms when it has them, else core's from the forward outputs. */
async function forwardTerms(engine: ValidationEngine, spec: ModelSpec, batch: TrainBatch): Promise<ForwardTerms> {
  if (engine.forwardTerms) return engine.forwardTerms(batch);
  const out = await engine.forward(batch);
  return { terms: await reportTerms(spec, batch, out), embedding: (out.mu ?? out.code)! };
}

/**
 * Evaluates `engine` on every example of `split` with one posterior sample, drawing binarization,
 * noise and ε from a fresh `Rng(seed + VALIDATION_SEED_OFFSET)`, so every epoch sees the same
 * validation draws. Terms come from the engine (`forwardTerms`) or core's `modelObjective`.
 */
export async function validate(
  engine: ValidationEngine,
  spec: ModelSpec,
  split: ImageSplit,
  o: { binarize: Binarization; batchSize: number; seed: number },
): Promise<ValidationResult> {
  const rng = new Rng(o.seed + VALIDATION_SEED_OFFSET);
  const variational = modelKindInfo(spec.kind).variational;
  const sums = { loss: 0, reconstruction: 0, kl: 0, elbo: 0 };
  const emb = new Float32Array(split.count * spec.latentDim);
  for (let start = 0; start < split.count; start += o.batchSize) {
    const end = Math.min(split.count, start + o.batchSize);
    const indices = new Uint32Array(end - start);
    for (let i = 0; i < indices.length; i++) indices[i] = start + i;
    const batch = makeBatch(split, indices, rng, { spec, binarize: o.binarize, samples: 1 });
    const { terms: t, embedding } = await forwardTerms(engine, spec, batch);
    const w = indices.length;
    sums.loss += t.loss * w;
    sums.reconstruction += t.reconstruction * w;
    sums.kl += (t.kl ?? 0) * w;
    sums.elbo += (t.elbo ?? 0) * w;
    emb.set(embedding.data, start * spec.latentDim);
  }
  const n = split.count;
  const embeddings: Tensor = { data: emb, shape: [n, spec.latentDim] };
  return {
    loss: sums.loss / n,
    reconstruction: sums.reconstruction / n,
    kl: variational ? sums.kl / n : null,
    elbo: variational ? sums.elbo / n : null,
    activeUnits: variational ? activeUnits(embeddings).count : null,
    embeddings,
  };
}
