import {
  RHO_HAT_CLAMP,
  inputSize,
  listParameters,
  modelKindInfo,
  validateModelSpec,
  type RegularizerName,
  emitDecoder,
  emitEncoder,
  type ModelSpec,
} from '@vae/core';
import type { Tape, TapeValue, VjpContext } from './tape.js';
import { tapeEmitter } from './tape-emitter.js';

/** Graph inputs the objective reads besides the parameters. */
export interface ObjectiveInputs {
  /** Clean input `[batch, D]`: the reconstruction target (and the encoder input unless corrupted). */
  readonly x: TapeValue;
  /** `denoising-ae`: the corrupted encoder input `[batch, D]`. */
  readonly xInput: TapeValue | null;
  /** Variational kinds: standard normal noise `[batch, latentDim]`. */
  readonly eps: TapeValue | null;
  /** Conditional kinds: one-hot labels `[batch, K]`. */
  readonly y: TapeValue | null;
  /** Variational kinds: the KL weight (a scalar input, so β schedules need no rebuild). */
  readonly beta: TapeValue | null;
}

/** Values of the objective on a tape; scalars are batch means in nats per example. */
export interface ObjectiveValues {
  readonly loss: TapeValue;
  readonly reconstruction: TapeValue;
  readonly kl: TapeValue | null;
  readonly regularizer: TapeValue;
  /** Decoder output `[batch, D]` (logits or mean). */
  readonly decoded: TapeValue;
  /** Variational kinds: posterior mean and clamped log σ² `[batch, latentDim]`. */
  readonly mu: TapeValue | null;
  readonly logvar: TapeValue | null;
  /** Autoencoders: the code `[batch, latentDim]`. */
  readonly code: TapeValue | null;
}

/**
 * Per-pixel Bernoulli negative log-likelihood from logits, `softplus(ℓ) − x·ℓ`, fused:
 * `softplus(ℓ) = relu(ℓ) − log(max(σ(ℓ), 1 − σ(ℓ)))` reuses the Sigmoid (Softplus is slow on CPU
 * and has no float64 kernel), and the gradient is the single expression `σ(ℓ) − x`.
 */
export function bernoulliNll(tape: Tape, logits: TapeValue, x: TapeValue): TapeValue {
  const s = tape.unary('Sigmoid', logits);
  const big = tape.op('Max', [s, tape.sub(tape.scalar(1), s)], {}, s.shape);
  const logBig = tape.unary('Log', big);
  const relu = tape.unary('Relu', logits);
  const t = tape.sub(relu, tape.mul(logits, x));
  const vjp = (ctx: VjpContext) => {
    const g = ctx.dOutputs[0]!;
    return [ctx.tape.mul(g, ctx.tape.sub(s, x))];
  };
  return tape.op('Sub', [t, logBig], {}, logits.shape, undefined, { vjp, gradInputs: [logits], saved: [s] });
}

function meanOverBatch(tape: Tape, perExample: TapeValue, invBatch: TapeValue): TapeValue {
  return tape.mul(tape.reduceSum(perExample, [0], false), invBatch);
}

type TapeRegularizer = (
  tape: Tape,
  spec: ModelSpec,
  code: TapeValue,
  params: Readonly<Record<string, TapeValue>>,
  invBatch: TapeValue,
) => TapeValue;

/** The autoencoder regularizers on the tape (batch means), keyed by the kind's regularizer name. */
const TAPE_REGULARIZERS: Partial<Record<RegularizerName, TapeRegularizer>> = {
  sparsity(tape, spec, code, _params, invBatch) {
    const s = spec.sparsity!;
    if (s.type === 'l1')
      return tape.mul(
        meanOverBatch(tape, tape.reduceSum(tape.unary('Abs', code), [1], false), invBatch),
        tape.scalar(s.weight),
      );
    const rhoHat = tape.clip(tape.mul(tape.reduceSum(code, [0], false), invBatch), RHO_HAT_CLAMP[0], RHO_HAT_CLAMP[1]);
    const rho = s.rho;
    const logRhoHat = tape.unary('Log', rhoHat);
    const log1mRhoHat = tape.unary('Log', tape.sub(tape.scalar(1), rhoHat));
    const cross = tape.add(tape.mul(logRhoHat, tape.scalar(rho)), tape.mul(log1mRhoHat, tape.scalar(1 - rho)));
    const entropy = rho * Math.log(rho) + (1 - rho) * Math.log(1 - rho);
    const klSum = tape.sub(tape.scalar(entropy * spec.latentDim), tape.reduceSum(cross, [0], false));
    return tape.mul(klSum, tape.scalar(s.weight));
  },
  contractive(tape, spec, code, params, invBatch) {
    const w = params['encoder.code.kernel']!;
    const colNorms = tape.reduceSum(tape.mul(w, w), [0], false);
    const slope = tape.mul(code, tape.sub(tape.scalar(1), code));
    const perExample = tape.reduceSum(tape.mul(tape.mul(slope, slope), colNorms), [1], false);
    return tape.mul(meanOverBatch(tape, perExample, invBatch), tape.scalar(spec.contractiveWeight!));
  },
};

/**
 * Records the forward pass and the training objective of `spec` (the same terms as core's
 * `modelObjective`): reconstruction NLL against the clean `x`, plus β·KL for variational kinds, or
 * the sparsity / contractive regularizer for autoencoders. log σ² is clamped to `LOGVAR_CLAMP`.
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
  const invBatch = tape.div(tape.scalar(1), tape.batchSize(x));
  const encIn = info.corruptsInput ? inputs.xInput : x;
  if (!encIn) throw new RangeError(`inputs.xInput: expected the corrupted input for kind ${spec.kind}, got null`);
  const net = tapeEmitter(tape, { state: params, ...mode });
  const heads = emitEncoder(net, layout, encIn, y ?? undefined) as Record<string, TapeValue>;

  let z: TapeValue;
  let kl: TapeValue | null = null;
  let code: TapeValue | null = null;
  let mu: TapeValue | null = null;
  let logvar: TapeValue | null = null;
  if (info.variational) {
    if (!inputs.eps || !inputs.beta)
      throw new RangeError(`inputs.eps, inputs.beta: expected both for kind ${spec.kind}`);
    mu = heads.mu!;
    logvar = heads.logvar!;
    const std = tape.unary('Exp', tape.mul(logvar, tape.scalar(0.5)));
    z = tape.add(mu, tape.mul(std, inputs.eps));
    const terms = tape.sub(tape.add(tape.mul(mu, mu), tape.mul(std, std)), tape.add(logvar, tape.scalar(1)));
    kl = tape.mul(meanOverBatch(tape, tape.reduceSum(terms, [1], false), invBatch), tape.scalar(0.5));
  } else {
    code = heads.code!;
    z = code;
  }
  const decoded = emitDecoder(net, layout, z, y ?? undefined) as TapeValue;

  let reconstruction: TapeValue;
  if (spec.likelihood === 'bernoulli') {
    reconstruction = meanOverBatch(tape, tape.reduceSum(bernoulliNll(tape, decoded, x), [1], false), invBatch);
  } else {
    const sigma = spec.gaussianSigma;
    const r = tape.sub(x, decoded);
    const sq = tape.mul(tape.reduceSum(tape.mul(r, r), [1], false), tape.scalar(0.5 / (sigma * sigma)));
    const constant = inputSize(spec) * (Math.log(sigma) + 0.5 * Math.log(2 * Math.PI));
    reconstruction = tape.add(meanOverBatch(tape, sq, invBatch), tape.scalar(constant));
  }

  const regularizer = kl
    ? tape.mul(kl, inputs.beta!)
    : (TAPE_REGULARIZERS[info.regularizer]?.(tape, spec, code!, params, invBatch) ?? null);
  const loss = regularizer ? tape.add(reconstruction, regularizer) : reconstruction;
  return { loss, reconstruction, kl, regularizer: regularizer ?? tape.scalar(0), decoded, mu, logvar, code };
}
