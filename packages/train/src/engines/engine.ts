import type { ModelSpec, ObjectiveTerms, ParameterSet, RngState, Tensor } from '@vae/core';
import type { AdamState } from '../checkpoint/checkpoint.js';
import type { TrainConfig } from '../config.js';

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
   * trainer need not copy forward tensors out and recompute the loss in JavaScript. With
   * `handOver` the caller gives up the batch: the engine may move its buffers to another thread (the
   * ort engine's worker takes them without a copy), and they must not be read afterwards.
   */
  stepTerms?(batch: TrainBatch, handOver?: boolean): Promise<ObjectiveTerms>;
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
