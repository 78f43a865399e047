import {
  inputSize,
  listParameters,
  modelKindInfo,
  type ModelKindInfo,
  type ModelSpec,
  type ParameterInfo,
} from '@vae/core';
import type { GraphStats } from '../graph-builder.js';
import { ADAM_GRAPH_DEFAULTS, adamScalars, adamUpdate, validateAdamOptions, type AdamOptions } from './adam-graph.js';
import { buildObjective, type ObjectiveValues } from './objective-graph.js';
import { Tape, TAPE_DTYPES, repeatedDim, type TapeDtype, type TapeValue } from './tape.js';
import { gradients } from './tape-grad.js';
import { tapeToBytes } from './tape-model.js';

/** What a training graph does after the backward pass. */
export const TRAIN_GRAPH_MODES = Object.freeze({
  adam: 'forward, backward and one Adam step; outputs the loss terms and the updated state',
  gradients:
    'forward and backward; outputs the loss terms, the gradient of every parameter and the new value of every buffer',
  forward: 'forward only (validation); outputs the loss terms',
});
/** A training graph mode. */
export type TrainGraphMode = keyof typeof TRAIN_GRAPH_MODES;

/** Options of {@link buildTrainStepGraph}. */
export interface TrainStepGraphOptions {
  /** Default `adam`. */
  readonly mode?: TrainGraphMode;
  /** Element type of every float tensor; `float64` for gradient checks. Default `float32`. */
  readonly dtype?: TapeDtype;
  /** Baked-in Adam constants (`adam` mode). Default {@link ADAM_GRAPH_DEFAULTS}. */
  readonly adam?: AdamOptions;
  /** Also output `decoded` and `mu`/`logvar` (clamped) or `code`, for tests. Default false. */
  readonly exposeForward?: boolean;
  /**
   * Importance samples S per example (variational kinds): S > 1 trains the IWAE bound, with ε fed
   * as `[batch·S, latentDim]`, example-major (as core's importance sampling). Default 1.
   */
  readonly samples?: number;
  /**
   * Rewrite the recorded nodes before serialising (`simplifyTapeNodes`: bypassed Expands, outputs
   * without Identity copies, dead nodes dropped; every output is unchanged). Default true; false
   * keeps the tape as recorded, for comparisons.
   */
  readonly simplify?: boolean;
}

/** Names of the tensors of a training graph. */
export const TRAIN_STEP_NAMES = Object.freeze({
  /** Clean input `[batch, D]`. */
  x: 'x',
  /** Corrupted encoder input (`denoising-ae`). */
  xInput: 'x_input',
  eps: 'eps',
  y: 'y',
  /** Scalar KL weight (variational kinds). */
  beta: 'beta',
  /** Scalar learning rate (`adam` mode). */
  lr: 'lr',
  /** Scalar Adam step t ≥ 1, as a float (`adam` mode). */
  step: 'step',
  loss: 'loss',
  reconstruction: 'reconstruction',
  kl: 'kl',
  regularizer: 'regularizer',
  /** Adam first moment of a parameter (input), scaled by 1/(1 − β₁): see `adamMomentScales`. */
  m: (param: string) => `adam.m.${param}`,
  /** Adam second moment of a parameter (input), scaled by 1/(1 − β₂). */
  v: (param: string) => `adam.v.${param}`,
  /** Updated value of a state input (output). */
  next: (name: string) => `next.${name}`,
  /** Gradient of a parameter (`gradients` mode output). */
  grad: (param: string) => `grad.${param}`,
});

/** A serialized training graph and what a runner needs to drive it. */
export interface TrainStepGraph {
  readonly bytes: Uint8Array;
  readonly mode: TrainGraphMode;
  readonly dtype: TapeDtype;
  readonly adam: AdamOptions;
  /** Importance samples per example the graph was built for (ε has `samples·batch` rows). */
  readonly samples: number;
  /** Trainable parameters in canonical order (graph inputs under their canonical names). */
  readonly parameters: readonly ParameterInfo[];
  /**
   * Buffers (graph inputs too): `adam` and `gradients` modes output each one's new value as `next.<name>` (e.g.
   * batch-norm running statistics); `forward` mode reads them (evaluation statistics).
   */
  readonly buffers: readonly ParameterInfo[];
  /** Per-batch data inputs this graph takes, among `x`, `x_input`, `eps`, `y`. */
  readonly dataInputs: readonly string[];
  /** Scalar inputs, among `beta`, `lr`, `step`. */
  readonly scalarInputs: readonly string[];
  /** Scalar loss outputs: `loss`, `reconstruction`, `regularizer` and, for variational kinds, `kl`. */
  readonly lossOutputs: readonly string[];
  /** Every graph output name in order. */
  readonly outputs: readonly string[];
  readonly stats: GraphStats;
}

/** Validated options of {@link buildTrainStepGraph}, with the traits of the spec's kind. */
interface ResolvedTrainStepOptions {
  readonly mode: TrainGraphMode;
  readonly dtype: TapeDtype;
  readonly adam: AdamOptions;
  readonly samples: number;
  readonly info: ModelKindInfo;
}

/** Defaults and validates `options` (mode, dtype, Adam constants, then samples against the kind). */
function resolveTrainStepOptions(spec: ModelSpec, options: TrainStepGraphOptions): ResolvedTrainStepOptions {
  const mode = options.mode ?? 'adam';
  if (!(mode in TRAIN_GRAPH_MODES))
    throw new RangeError(`options.mode: expected ${Object.keys(TRAIN_GRAPH_MODES).join('|')}, got ${String(mode)}`);
  const dtype = options.dtype ?? 'float32';
  if (!(dtype in TAPE_DTYPES)) throw new RangeError(`options.dtype: expected float32|float64, got ${String(dtype)}`);
  const adam = options.adam ?? ADAM_GRAPH_DEFAULTS;
  validateAdamOptions(adam);
  const info = modelKindInfo(spec.kind);
  const samples = options.samples ?? 1;
  if (!(Number.isInteger(samples) && samples >= 1))
    throw new RangeError(`options.samples: expected an integer ≥ 1, got ${String(samples)}`);
  if (samples > 1 && !info.variational)
    throw new RangeError(`options.samples: expected 1 for the non-variational kind ${spec.kind}, got ${samples}`);
  return { mode, dtype, adam, samples, info };
}

/** The inputs of a training graph (null where the kind or mode takes none) and the model's state. */
interface TrainStepInputs {
  readonly x: TapeValue;
  readonly xInput: TapeValue | null;
  readonly eps: TapeValue | null;
  readonly y: TapeValue | null;
  readonly beta: TapeValue | null;
  readonly lr: TapeValue | null;
  readonly step: TapeValue | null;
  /** Every parameter and buffer, by name. */
  readonly params: Record<string, TapeValue>;
  /** Adam moments per trainable parameter (`adam` mode; empty otherwise). */
  readonly moments: readonly { readonly m: TapeValue; readonly v: TapeValue }[];
  readonly parameters: readonly ParameterInfo[];
  readonly buffers: readonly ParameterInfo[];
}

/** Declares the graph inputs in their graph order: data, scalars, state, then Adam moments. */
function declareTrainStepInputs(tape: Tape, spec: ModelSpec, o: ResolvedTrainStepOptions): TrainStepInputs {
  const N = TRAIN_STEP_NAMES;
  const { info, mode } = o;
  const d = inputSize(spec);
  const x = tape.input(N.x, ['batch', d]);
  const xInput = info.corruptsInput ? tape.input(N.xInput, ['batch', d]) : null;
  const eps = info.variational ? tape.input(N.eps, [repeatedDim('batch', o.samples), spec.latentDim]) : null;
  const y = info.conditional ? tape.input(N.y, ['batch', spec.numClasses]) : null;
  const beta = info.variational ? tape.input(N.beta, []) : null;
  const lr = mode === 'adam' ? tape.input(N.lr, []) : null;
  const step = mode === 'adam' ? tape.input(N.step, []) : null;
  const state = listParameters(spec);
  const parameters = state.filter((p) => p.trainable);
  const buffers = state.filter((p) => !p.trainable);
  const params: Record<string, TapeValue> = {};
  for (const p of state) params[p.name] = tape.input(p.name, p.shape);
  const moments =
    mode === 'adam'
      ? parameters.map((p) => ({ m: tape.input(N.m(p.name), p.shape), v: tape.input(N.v(p.name), p.shape) }))
      : [];
  return { x, xInput, eps, y, beta, lr, step, params, moments, parameters, buffers };
}

/** Marks `value` as the graph output `name`. */
type OutputFn = (value: TapeValue, name: string) => void;

/** Outputs the scalar loss terms: `loss`, `reconstruction`, `kl` (variational kinds), `regularizer`. */
function outputLossTerms(out: OutputFn, obj: ObjectiveValues): void {
  const N = TRAIN_STEP_NAMES;
  out(obj.loss, N.loss);
  out(obj.reconstruction, N.reconstruction);
  if (obj.kl) out(obj.kl, N.kl);
  out(obj.regularizer, N.regularizer);
}

/** Outputs the forward values (`exposeForward`): `decoded`, then `mu`/`logvar` or `code`. */
function outputForwardValues(out: OutputFn, obj: ObjectiveValues): void {
  out(obj.decoded, 'decoded');
  if (obj.mu) out(obj.mu, 'mu');
  if (obj.logvar) out(obj.logvar, 'logvar');
  if (obj.code) out(obj.code, 'code');
}

/**
 * Outputs what the mode produces after the backward pass: the Adam-updated parameters and moments
 * (`adam`) or the gradients (`gradients`), then every buffer's new value (both modes).
 */
function outputStateUpdates(
  tape: Tape,
  out: OutputFn,
  o: ResolvedTrainStepOptions,
  inputs: TrainStepInputs,
  grads: readonly TapeValue[],
  bufferUpdates: ReadonlyMap<string, TapeValue>,
): void {
  const N = TRAIN_STEP_NAMES;
  const { params, parameters, moments } = inputs;
  if (o.mode === 'adam') {
    const s = adamScalars(tape, o.adam, inputs.lr!, inputs.step!);
    parameters.forEach((p, i) => {
      const names = { param: N.next(p.name), m: N.next(N.m(p.name)), v: N.next(N.v(p.name)) };
      const u = adamUpdate(tape, o.adam, s, params[p.name]!, grads[i]!, moments[i]!.m, moments[i]!.v, names);
      out(u.param, names.param);
      out(u.m, names.m);
      out(u.v, names.v);
    });
  } else if (o.mode === 'gradients') {
    parameters.forEach((p, i) => out(grads[i]!, N.grad(p.name)));
  }
  if (o.mode !== 'forward') {
    for (const b of inputs.buffers) {
      const next = bufferUpdates.get(b.name);
      if (!next) throw new RangeError(`${b.name}: its layer emitted no update for this buffer`);
      out(next, N.next(b.name));
    }
  }
}

/**
 * Builds the ONNX training-step graph of `spec` (opset 17, standard ops only, so it runs on every
 * onnxruntime execution provider): the forward pass and objective of `buildObjective`, reverse-mode
 * gradients by per-op rules (`tape-grad.ts`), then either one Adam step (state in, state out) or
 * the gradients themselves. No randomness is inside the graph: ε and corruption are inputs.
 */
export function buildTrainStepGraph(spec: ModelSpec, options: TrainStepGraphOptions = {}): TrainStepGraph {
  const o = resolveTrainStepOptions(spec, options);
  const { mode, samples } = o;
  const N = TRAIN_STEP_NAMES;
  const tape = new Tape(o.dtype);
  const inputs = declareTrainStepInputs(tape, spec, o);
  const { x, xInput, eps, y, beta, params, parameters } = inputs;
  const bufferUpdates = new Map<string, TapeValue>();
  const obj = buildObjective(tape, spec, { x, xInput, eps, y, beta, samples }, params, {
    training: mode !== 'forward',
    bufferUpdates,
  });
  const grads =
    mode === 'forward'
      ? []
      : gradients(
          tape,
          obj.loss,
          parameters.map((p) => params[p.name]!),
        );
  const outputs: string[] = [];
  const out: OutputFn = (v, name) => {
    tape.output(v, name);
    outputs.push(name);
  };
  outputLossTerms(out, obj);
  const lossOutputs = [...outputs];
  if (options.exposeForward) outputForwardValues(out, obj);
  outputStateUpdates(tape, out, o, inputs, grads, bufferUpdates);
  const { bytes, stats } = tapeToBytes(
    tape,
    `train_step_${spec.kind}${samples > 1 ? `_iw${samples}` : ''}`,
    options.simplify ?? true,
  );
  return {
    bytes,
    mode,
    dtype: o.dtype,
    adam: o.adam,
    samples,
    parameters,
    buffers: inputs.buffers,
    dataInputs: [N.x, ...(xInput ? [N.xInput] : []), ...(eps ? [N.eps] : []), ...(y ? [N.y] : [])],
    scalarInputs: [...(beta ? [N.beta] : []), ...(inputs.lr ? [N.lr, N.step] : [])],
    lossOutputs,
    outputs,
    stats,
  };
}
