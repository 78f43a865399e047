import type { ModelSpec, ObjectiveTerms, ParameterSet, RngState, Tensor } from '@vae/core';
import type { ImageSplit } from '@vae/data';
import type { AdamState } from '../checkpoint/checkpoint.js';
import type { Binarization, TrainConfig } from '../config.js';

/** One training or evaluation batch, everything random already drawn from the run's core `Rng`. */
export interface TrainBatch {
  /** Encoder input `[B, D]` (corrupted for `denoising-ae`, binarized when asked). */
  readonly x: Tensor;
  /** Reconstruction target `[B, D]` (the clean, binarized input). */
  readonly target: Tensor;
  /** One-hot labels `[B, K]` for conditional kinds. */
  readonly y?: Tensor;
  /** Variational kinds: ε `[B·S, L]`, example-major, S = `samples`. */
  readonly eps?: Tensor;
  /** Importance samples per example (1 = the ELBO). */
  readonly samples: number;
  /** State of the run's `Rng` right before ε was drawn, so evaluation can replay the same draws. */
  readonly epsRngState?: RngState;
  /** Dataset indices of the rows (for labels and plots). */
  readonly indices: Uint32Array;
}

/** Forward outputs of one batch (before the update, for a training step), copied to core tensors. */
export interface StepOutputs {
  /** The engine's own value of the objective it minimised (mean over the batch, nats). */
  readonly loss: number;
  /** Decoder output `[B·S, D]`: logits (Bernoulli) or means (Gaussian). */
  readonly decoded: Tensor;
  readonly mu?: Tensor;
  readonly logvar?: Tensor;
  readonly code?: Tensor;
  /** The parameters the kind's objective reads (`objectiveParams`, e.g. `encoder.code.kernel`) as used in this forward pass. */
  readonly objectiveParams?: Readonly<Record<string, Tensor>>;
}

/** What {@link Engine.forwardTerms} returns for one batch. */
export interface ForwardTerms {
  /** Batch-mean objective terms the engine computed itself (equal to core's `modelObjective`). */
  readonly terms: ObjectiveTerms;
  /** Encoder means `[B, L]` (variational kinds) or codes (autoencoders). */
  readonly embedding: Tensor;
}

/**
 * Consecutive training steps over an in-memory split whose batches the engine draws itself (see
 * {@link Engine.trainSteps}): batch `k` is `makeBatch(split, order[from + k·batchSize, …), rng, …)`
 * of `../batches/batches.js`, with `rng` restored from {@link StepsPlan.rng}, exactly as the trainer
 * draws them one by one, so a run is the same whichever path it takes.
 */
export interface StepsPlan {
  readonly split: ImageSplit;
  /** The epoch's row order (indices into `split`). */
  readonly order: Uint32Array;
  /** Position in `order` of the first batch's first row. */
  readonly from: number;
  readonly batchSize: number;
  readonly binarize: Binarization;
  /** Importance samples per example (the engine's training graph's; 1 for non-variational kinds). */
  readonly samples: number;
  /** State of the run's `Rng` before the first batch is drawn. */
  readonly rng: RngState;
  /** Stop after this many steps (≥ 1), or null: at the end of `order`. */
  readonly maxSteps: number | null;
  /** Stop after the first step that ends at or after this time (`Date.now()` milliseconds), or null. */
  readonly deadline: number | null;
}

/** Row-weighted sums of the reported terms over the steps done so far (the trainer's epoch means are these over `n`). */
export interface StepSums {
  readonly loss: number;
  readonly reconstruction: number;
  readonly kl: number;
  readonly elbo: number;
  /** Rows trained on. */
  readonly n: number;
}

/** Where a {@link Engine.trainSteps} call stands (also its progress reports). */
export interface StepsReport {
  readonly steps: number;
  readonly sums: StepSums;
}

/** Outcome of {@link Engine.trainSteps}. */
export interface StepsResult extends StepsReport {
  /** State of the `Rng` after the last batch drawn (the next step's draws start there). */
  readonly rng: RngState;
  /** `end`: the order was exhausted; `max-steps` / `deadline`: {@link StepsPlan}'s limits. */
  readonly stoppedBy: 'end' | 'max-steps' | 'deadline' | 'diverged';
  /** The non-finite loss of step `steps + 1` when `stoppedBy` is `diverged` (that step is not summed), else null. */
  readonly divergedLoss: number | null;
}

/**
 * A training engine: owns the parameters and optimizer state on some runtime (TensorFlow.js,
 * ONNX Runtime training graphs, …) and performs Adam steps on batches prepared by the trainer.
 * Reported losses are recomputed by the trainer from {@link StepOutputs} with core's `modelObjective`,
 * unless the engine implements {@link Engine.stepTerms}.
 */
export interface Engine {
  /** Registry name, e.g. `tfjs`. */
  readonly name: string;
  /** Backend in use after {@link Engine.init}, e.g. `wasm`. */
  readonly backend: string;
  /** Loads `params` (named as `listParameters(spec)`) and prepares the optimizer (fresh Adam state). */
  init(spec: ModelSpec, params: ParameterSet, config: TrainConfig): Promise<void>;
  /** One Adam step on `batch`; returns the forward outputs computed before the update. */
  step(batch: TrainBatch): Promise<StepOutputs>;
  /**
   * Optional: one Adam step (one posterior sample per example) returning only the batch-mean
   * objective terms the engine computed itself, which must equal core's `modelObjective` on the
   * step's forward outputs. Engines that evaluate the objective in-graph (ort) implement it so the
   * trainer need not copy forward tensors out and recompute the loss in JavaScript.
   */
  stepTerms?(batch: TrainBatch): Promise<ObjectiveTerms>;
  /**
   * Optional: many {@link Engine.stepTerms} steps on batches the engine draws itself from an
   * in-memory split (where it runs: no batch crosses a thread boundary per step), with coarse
   * progress reports. The same draws, updates and sums as the trainer's own step loop.
   */
  trainSteps?(plan: StepsPlan, onProgress?: (r: StepsReport) => void): Promise<StepsResult>;
  /** Forward pass only (no update), for validation. */
  forward(batch: TrainBatch): Promise<StepOutputs>;
  /**
   * Optional: forward pass only (one posterior sample per example) returning the engine's own
   * objective terms and the embedding, which validation needs, instead of every forward tensor
   * (the decoded batch is neither copied out nor scored again in JavaScript).
   */
  forwardTerms?(batch: TrainBatch): Promise<ForwardTerms>;
  /** Current parameters. */
  getParams(): Promise<ParameterSet>;
  /** Current Adam state (moments and step count). */
  getOptimizerState(): Promise<AdamState>;
  /** Restores Adam state from a checkpoint. */
  setOptimizerState(state: AdamState): Promise<void>;
  /** Frees runtime resources. */
  dispose(): void;
}

/**
 * Creates a fresh, uninitialized engine. A factory may be async so an engine whose runtime is an
 * optional package (tfjs) is imported only when that engine is created.
 */
export type EngineFactory = () => Engine | Promise<Engine>;

const engines = new Map<string, EngineFactory>();

/** Registers (or replaces) an engine factory under `name`. */
export function registerEngine(name: string, factory: EngineFactory): void {
  engines.set(name, factory);
}

/** Registered engine names. */
export function listEngines(): string[] {
  return [...engines.keys()];
}

/** A new engine by name, or a `RangeError` listing the registered engines. */
export async function createEngine(name: string): Promise<Engine> {
  const f = engines.get(name);
  if (!f) throw new RangeError(`engine: expected one of ${listEngines().join('|')}, got ${JSON.stringify(name)}`);
  return f();
}
