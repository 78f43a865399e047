import {
  emitDecoder,
  emitEncoder,
  inputSize,
  listParameters,
  modelKindInfo,
  validateModelSpec,
  type ModelSpec,
  type ObjectiveOps,
} from '@vae/core';
import { repeatedDim, unrepeatedDim, type Tape, type TapeDim, type TapeValue, type VjpContext } from './tape.js';
import { logGroup } from '../log-group.js';
import { tapeEmitter } from './tape-emitter.js';

/** Graph inputs the objective reads besides the parameters. */
export interface ObjectiveInputs {
  /** Clean input `[batch, D]`: the reconstruction target (and the encoder input unless corrupted). */
  readonly x: TapeValue;
  /** `denoising-ae`: the corrupted encoder input `[batch, D]`. */
  readonly xInput: TapeValue | null;
  /** Variational kinds: standard normal noise `[batch·S, latentDim]`, example-major. */
  readonly eps: TapeValue | null;
  /** Conditional kinds: one-hot labels `[batch, K]`. */
  readonly y: TapeValue | null;
  /** Variational kinds: the KL weight (a scalar input, so β schedules need no rebuild). */
  readonly beta: TapeValue | null;
  /** Importance samples per example (1 = the ELBO; S > 1 the IWAE bound). Default 1. */
  readonly samples?: number;
}

/** Values of the objective on a tape; scalars are batch means in nats per example. */
export interface ObjectiveValues {
  readonly loss: TapeValue;
  readonly reconstruction: TapeValue;
  readonly kl: TapeValue | null;
  readonly regularizer: TapeValue;
  /** Decoder output `[batch·S, D]` (logits or mean). */
  readonly decoded: TapeValue;
  /** Variational kinds: posterior mean and clamped log σ² `[batch, latentDim]`. */
  readonly mu: TapeValue | null;
  readonly logvar: TapeValue | null;
  /** Autoencoders: the code `[batch, latentDim]`. */
  readonly code: TapeValue | null;
}

/**
 * Bernoulli negative log-likelihood from logits, summed per row: Σ softplus(ℓ) − x·ℓ, fused as
 * Σ (relu(ℓ) − x·ℓ) − Σ log σ(|ℓ|) (stable for every ℓ; Softplus is slow on CPU and has no float64
 * kernel). The logarithms are taken of products of up to 16 factors σ(|ℓ|) ∈ [½, 1] (`logGroup`:
 * the largest divisor of D ≤ 16, so 16 for 784 pixels; each product ≥ 2⁻¹⁶, no underflow): 1/16 of
 * the logarithms of a per-pixel Log, the costliest element-wise pass of a training step (float32
 * rounding of the products: ≲ 1e-6 per product, within the row sum's own rounding). The gradient is the single expression `g·(σ(ℓ) − x)`.
 */
export function bernoulliRowNll(tape: Tape, logits: TapeValue, x: TapeValue): TapeValue {
  const [rows, d] = logits.shape;
  if (logits.shape.length !== 2 || typeof d !== 'number')
    throw new RangeError(
      `bernoulliRowNll: expected logits [rows, D] with a static D, got [${logits.shape.join(', ')}]`,
    );
  const s = tape.unary('Sigmoid', logits);
  const big = tape.unary('Sigmoid', tape.unary('Abs', logits));
  const g = logGroup(d, 16);
  const products =
    g === 1
      ? big
      : tape.op(
          'ReduceProd',
          [tape.op('Reshape', [big, tape.ints([0, d / g, g])], {}, [rows!, d / g, g])],
          {
            axes: [2],
            keepdims: 0,
          },
          [rows!, d / g],
        );
  const logBig = tape.reduceSum(tape.unary('Log', products), [1], false);
  const linear = tape.reduceSum(tape.sub(tape.unary('Relu', logits), tape.mul(logits, x)), [1], false);
  const vjp = (ctx: VjpContext) => {
    const t = ctx.tape;
    const gRows = t.op('Unsqueeze', [ctx.dOutputs[0]!, t.ints([1])], {}, [rows!, 1]);
    return [t.mul(gRows, t.sub(s, x))];
  };
  return tape.op('Sub', [linear, logBig], {}, [rows!], undefined, { vjp, gradInputs: [logits], saved: [s] });
}

/** `−log p(x | decoded)` per row for the spec's likelihood. */
function negLogLikelihood(tape: Tape, spec: ModelSpec, decoded: TapeValue, x: TapeValue): TapeValue {
  if (spec.likelihood === 'bernoulli') return bernoulliRowNll(tape, decoded, x);
  const sigma = spec.gaussianSigma;
  const r = tape.sub(x, decoded);
  const sq = tape.mul(tape.reduceSum(tape.mul(r, r), [1], false), tape.scalar(0.5 / (sigma * sigma)));
  return tape.add(sq, tape.scalar(inputSize(spec) * (Math.log(sigma) + 0.5 * Math.log(2 * Math.PI))));
}

/** `v` with its first dimension named `rows` (an Identity; the gradient gets `v`'s own name back). */
function relabelRows(tape: Tape, v: TapeValue, rows: TapeDim): TapeValue {
  const vjp = (ctx: VjpContext) => [ctx.tape.op('Identity', [ctx.dOutputs[0]!], {}, v.shape)];
  return tape.op('Identity', [v], {}, [rows, ...v.shape.slice(1)], undefined, { vjp, gradInputs: [v] });
}

function norm(axis: number, rank: number): number {
  return axis < 0 ? axis + rank : axis;
}

/**
 * `ObjectiveOps.gaussianSample` on the tape: z = μ + σ·ε and the mean KL = Σ(μ² + (σ² − 1) − log σ²)/2B
 * (one ReduceMean over `[B, L]`), each a composite whose gradient is written in closed form with
 * respect to μ and h = ½ log σ² (σ = exp h; the rule of h's `Mul` takes it on to log σ²):
 * dz: dμ = g, dh = g·σε; dKL: dμ = (g/B)·μ, dh = (g/B)·(σ² − 1). The reparameterisation and KL
 * backward are then 7 small nodes plus their sums instead of the ~25 the per-node rules emit.
 */
function gaussianSample(tape: Tape, mu: TapeValue, logvar: TapeValue, eps: TapeValue): { z: TapeValue; kl: TapeValue } {
  const latent = mu.shape[1];
  if (mu.shape.length !== 2 || typeof latent !== 'number')
    throw new RangeError(`gaussianSample: expected μ [batch, L] with a static L, got [${mu.shape.join(', ')}]`);
  const half = tape.mul(logvar, tape.scalar(0.5));
  const std = tape.unary('Exp', half);
  const noise = tape.mul(std, eps);
  const zVjp = (ctx: VjpContext) => {
    const g = ctx.dOutputs[0]!;
    return [g, ctx.needs[1] ? ctx.tape.mul(g, noise) : null];
  };
  const z = tape.op('Add', [mu, noise], {}, mu.shape, undefined, { vjp: zVjp, gradInputs: [mu, half] });
  const varianceM1 = tape.sub(tape.mul(std, std), tape.scalar(1));
  const terms = tape.add(tape.mul(mu, mu), tape.sub(varianceM1, logvar));
  const mean = tape.op('ReduceMean', [terms], { axes: [0, 1], keepdims: 0 }, []);
  const klVjp = (ctx: VjpContext) => {
    const t = ctx.tape;
    const c = t.div(ctx.dOutputs[0]!, t.dimSize(mu, 0).float);
    return [ctx.needs[0] ? t.mul(c, mu) : null, ctx.needs[1] ? t.mul(c, varianceM1) : null];
  };
  const kl = tape.op('Mul', [mean, tape.scalar(latent / 2)], {}, [], undefined, { vjp: klVjp, gradInputs: [mu, half] });
  return { z, kl };
}

/** {@link ObjectiveOps} on the training tape: each op records ONNX nodes with a gradient rule. */
export function tapeObjectiveOps(tape: Tape, spec: ModelSpec): ObjectiveOps<TapeValue> {
  return {
    scalar: (v) => tape.scalar(v),
    add: (a, b) => tape.add(a, b),
    sub: (a, b) => tape.sub(a, b),
    mul: (a, b) => tape.mul(a, b),
    div: (a, b) => tape.div(a, b),
    exp: (a) => tape.unary('Exp', a),
    log: (a) => tape.unary('Log', a),
    abs: (a) => tape.unary('Abs', a),
    clip: (a, lo, hi) => tape.clip(a, lo, hi),
    sum: (a, axis) => tape.reduceSum(a, [norm(axis, a.shape.length)], false),
    mean(a, axis) {
      const ax = norm(axis, a.shape.length);
      return tape.op(
        'ReduceMean',
        [a],
        { axes: [ax], keepdims: 0 },
        a.shape.filter((_, i) => i !== ax),
      );
    },
    logSumExp(a, axis) {
      const ax = norm(axis, a.shape.length);
      const keep = a.shape.map((d, i) => (i === ax ? 1 : d));
      const vjp = (ctx: VjpContext) => {
        const t = ctx.tape;
        return [t.mul(ctx.dOutputs[0]!, t.unary('Exp', t.sub(a, lse)))];
      };
      const lse: TapeValue = tape.op('ReduceLogSumExp', [a], { axes: [ax], keepdims: 1 }, keep, undefined, {
        vjp,
        gradInputs: [a],
      });
      return tape.reduceSum(lse, [ax], false);
    },
    unsqueeze(a, axis) {
      const ax = norm(axis, a.shape.length + 1);
      const shape: TapeDim[] = [...a.shape.slice(0, ax), 1, ...a.shape.slice(ax)];
      const vjp = (ctx: VjpContext) => [ctx.tape.reduceSum(ctx.dOutputs[0]!, [ax], false)];
      return tape.op('Unsqueeze', [a, tape.ints([ax])], {}, shape, undefined, { vjp, gradInputs: [a] });
    },
    repeatRows(a, times) {
      if (times === 1) return a;
      const n = a.shape[1];
      if (a.shape.length !== 2 || typeof n !== 'number')
        throw new RangeError(`repeatRows: expected [batch, n] with a static n, got [${a.shape.join(', ')}]`);
      const lifted = this.unsqueeze(a, 1);
      const tiled = tape.mul(lifted, tape.filled(1, [1, times, 1]));
      return tape.op('Reshape', [tiled, tape.ints([-1, n])], {}, [repeatedDim(a.shape[0]!, times), n]);
    },
    splitRows(a, times) {
      if (times === 1) return this.unsqueeze(a, 1);
      return tape.op('Reshape', [a, tape.ints([-1, times])], {}, [unrepeatedDim(a.shape[0]!, times), times]);
    },
    rows: (a) => tape.batchSize(a),
    negLogLikelihood: (decoded, target) => negLogLikelihood(tape, spec, decoded, target),
    gaussianSample: (mu, logvar, eps) => gaussianSample(tape, mu, logvar, eps),
  };
}

/**
 * Records the forward pass and the training objective of `spec`: the kind's own objective
 * (`modelKindInfo(kind).objective`, the same code core's `modelObjective` evaluates in float64) run
 * on {@link tapeObjectiveOps}. No kind is named here.
 */
export function buildObjective(
  tape: Tape,
  spec: ModelSpec,
  inputs: ObjectiveInputs,
  params: Readonly<Record<string, TapeValue>>,
  mode: { readonly training: boolean; readonly bufferUpdates?: Map<string, TapeValue> } = { training: true },
): ObjectiveValues {
  const layout = validateModelSpec(spec);
  const info = modelKindInfo(spec.kind);
  for (const p of listParameters(spec)) if (!params[p.name]) throw new RangeError(`params: missing ${p.name}`);
  const { x, y } = inputs;
  const samples = inputs.samples ?? 1;
  const encIn = info.corruptsInput ? inputs.xInput : x;
  if (!encIn) throw new RangeError(`inputs.xInput: expected the corrupted input for kind ${spec.kind}, got null`);
  if (info.variational && (!inputs.eps || !inputs.beta))
    throw new RangeError(`inputs.eps, inputs.beta: expected both for kind ${spec.kind}`);
  const net = tapeEmitter(tape, { state: params, ...mode });
  const ops = tapeObjectiveOps(tape, spec);
  const heads = emitEncoder(net, layout, encIn, y ?? undefined) as Record<string, TapeValue>;
  const parts = info.objective(ops, {
    spec,
    x,
    heads,
    decode(z, s) {
      if (s === 1) return emitDecoder(net, layout, z, y ?? undefined) as TapeValue;
      // Layers label their batch dimension 'batch': the decoder sees the B·S rows under that label.
      const rows = z.shape[0]!;
      const yS = y ? relabelRows(tape, ops.repeatRows(y, s), 'batch') : undefined;
      const out = emitDecoder(net, layout, relabelRows(tape, z, 'batch'), yS) as TapeValue;
      return relabelRows(tape, out, rows);
    },
    eps: inputs.eps,
    beta: inputs.beta ?? tape.scalar(spec.beta),
    samples,
    params,
  });
  return {
    loss: parts.loss,
    reconstruction: parts.reconstruction,
    kl: parts.kl,
    regularizer: parts.regularizer,
    decoded: parts.decoded,
    mu: parts.mu ?? null,
    logvar: parts.logvar ?? null,
    code: parts.code ?? null,
  };
}
