import type { ModelSpec } from './model-spec.js';

/**
 * The ops a model kind's objective is written against, once: each training engine implements them
 * (the ONNX training tape, TensorFlow.js) and so does core's float64 evaluator. Binary ops broadcast
 * like numpy; reductions remove the reduced axis. Values are 0-D to 3-D.
 */
export interface ObjectiveOps<T> {
  scalar(value: number): T;
  add(a: T, b: T): T;
  sub(a: T, b: T): T;
  mul(a: T, b: T): T;
  div(a: T, b: T): T;
  exp(a: T): T;
  log(a: T): T;
  abs(a: T): T;
  /** `min(max(a, lo), hi)`. */
  clip(a: T, lo: number, hi: number): T;
  /** Sum over `axis` (removed). */
  sum(a: T, axis: number): T;
  /** Mean over `axis` (removed): `sum(a, axis)` divided by the axis' length. */
  mean(a: T, axis: number): T;
  /** `log Σ exp` over `axis` (removed), computed stably. */
  logSumExp(a: T, axis: number): T;
  /** Inserts a size-1 axis at `axis`. */
  unsqueeze(a: T, axis: number): T;
  /** `[B, n]` → `[B·S, n]`, example-major (row `b·S + s` is row `b`). */
  repeatRows(a: T, times: number): T;
  /** `[B·S]` → `[B, S]` (the layout of {@link repeatRows}). */
  splitRows(a: T, times: number): T;
  /** The number of rows of `a` as a scalar (no gradient). */
  rows(a: T): T;
  /** `−log p(target | decoded)` per row `[N]`: the spec's likelihood (Bernoulli on logits, or Gaussian). */
  negLogLikelihood(decoded: T, target: T): T;
  /**
   * Optional fused form of one posterior sample and its KL: for μ, clamped log σ² and ε `[B, L]`,
   * `z = μ + exp(½ log σ²)·ε` and the mean KL(N(μ, σ²) ‖ N(0, I)) = mean ½Σ(μ² + σ² − 1 − log σ²), the
   * values of `reparameterizeOps` and `gaussianKl` (up to rounding). An engine supplies it to emit
   * them with fewer nodes and a closed-form gradient (the ONNX training tape does); without it the
   * objective composes them from the ops above.
   */
  gaussianSample?(mu: T, logvar: T, eps: T): { readonly z: T; readonly kl: T };
}

/** What a kind's objective reads; engines fill it with their own values. */
export interface ObjectiveIo<T> {
  readonly spec: ModelSpec;
  /** Clean input `[B, D]`: the reconstruction target. */
  readonly x: T;
  /** The encoder's heads by name (see the kind's `heads`), log σ² unclamped. */
  readonly heads: Readonly<Record<string, T>>;
  /** Runs the decoder on `z` `[N, L]` (the label repeated as needed is the engine's business). */
  decode(z: T, samples: number): T;
  /** Variational kinds: ε `[B·S, L]`, example-major (row `b·S + s` is sample `s` of example `b`); `null` where an evaluator already decoded a sample it drew. */
  readonly eps: T | null;
  /** The scalar KL weight fed to the graph (the β schedule), else `spec.beta`. */
  readonly beta: T;
  /** Importance samples S per example (1 unless the engine trains the IWAE bound). */
  readonly samples: number;
  /** The model's parameters by canonical name (those a kind lists in `objectiveParams` at least). */
  readonly params: Readonly<Record<string, T>>;
}

/** A kind's objective values; scalars are batch means in nats per example. */
export interface ObjectiveParts<T> {
  /** What training minimises: `reconstruction + regularizer`. */
  readonly loss: T;
  /** Mean `−log p(x|z)`. */
  readonly reconstruction: T;
  /** Mean KL(q(z|x) ‖ N(0, I)) for variational kinds, else `null`. */
  readonly kl: T | null;
  readonly regularizer: T;
  /** Decoder output `[B·S, D]` (logits or mean). */
  readonly decoded: T;
  /** Variational kinds: posterior mean and clamped log σ² `[B, L]`. */
  readonly mu?: T;
  readonly logvar?: T;
  /** Autoencoders: the code `[B, L]`. */
  readonly code?: T;
}

/** A model kind's training objective, written once against {@link ObjectiveOps}. */
export type KindObjective = <T>(ops: ObjectiveOps<T>, io: ObjectiveIo<T>) => ObjectiveParts<T>;
