import {
  LOGVAR_CLAMP,
  RHO_HAT_CLAMP,
  inputSize,
  listParameters,
  modelKindInfo,
  validateModelSpec,
  type Activation,
  type LayerShape,
  type ModelSpec,
} from '@vae/core';
import { convPadding, convTransposePadding } from '../conv-padding-impl.js';
import type { Tape, TapeValue, VjpContext } from './tape.js';

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

/** Layer types the training graphs support. */
export const TRAINABLE_LAYER_TYPES = Object.freeze({
  dense: 'dense',
  conv2d: 'conv2d',
  'conv2d-transpose': 'conv2d-transpose',
  reshape: 'reshape',
  flatten: 'flatten',
});

/** Throws a `RangeError` naming the first layer the training graph cannot build. */
export function assertTrainableSpec(spec: ModelSpec): void {
  validateModelSpec(spec);
  for (const [part, layers] of [['encoder', spec.encoder], ['decoder', spec.decoder]] as const) {
    layers.forEach((l, i) => {
      if (!(l.type in TRAINABLE_LAYER_TYPES)) {
        throw new RangeError(`spec.${part}[${i}].type: expected one of ${Object.keys(TRAINABLE_LAYER_TYPES).join('|')} for the ONNX training graph, got ${JSON.stringify(l.type)}`);
      }
    });
  }
}

function activate(tape: Tape, x: TapeValue, activation: Activation): TapeValue {
  switch (activation) {
    case 'linear':
      return x;
    case 'relu':
      return tape.unary('Relu', x);
    case 'tanh':
      return tape.unary('Tanh', x);
    case 'sigmoid':
      return tape.unary('Sigmoid', x);
  }
}

/** A feature map in flight: flat `[batch, n]` (HWC order) or NCHW `[batch, C, H, W]`. */
interface Features {
  readonly v: TapeValue;
  readonly layout: 'flat' | 'nchw';
}

function flatten(tape: Tape, f: Features): TapeValue {
  if (f.layout === 'flat') return f.v;
  const [, c, h, w] = f.v.shape as [TapeValue['shape'][0], number, number, number];
  return tape.reshapeBatch(tape.transpose(f.v, [0, 2, 3, 1]), [h * w * c]);
}

function runLayers(tape: Tape, layers: readonly LayerShape[], input: TapeValue, params: Readonly<Record<string, TapeValue>>, y: TapeValue | null): TapeValue {
  let f: Features = { v: input, layout: 'flat' };
  let first = true;
  for (const l of layers) {
    const layer = l.layer;
    const param = (n: string) => params[`${l.prefix}.${n}`]!;
    switch (layer.type) {
      case 'dense': {
        let h = flatten(tape, f);
        if (first && y) h = tape.concat([h, y], 1);
        first = false;
        f = { v: activate(tape, tape.gemm(h, param('kernel'), param('bias')), layer.activation), layout: 'flat' };
        break;
      }
      case 'reshape': {
        const flat = flatten(tape, f);
        f = layer.shape.length === 3
          ? { v: tape.transpose(tape.reshapeBatch(flat, layer.shape), [0, 3, 1, 2]), layout: 'nchw' }
          : { v: flat, layout: 'flat' };
        break;
      }
      case 'flatten':
        f = { v: flatten(tape, f), layout: 'flat' };
        break;
      case 'conv2d':
      case 'conv2d-transpose': {
        if (f.layout !== 'nchw') throw new RangeError(`${l.prefix}: expected a spatial input (add a reshape layer), got a flat one`);
        const [h, w] = [l.inputShape[0]!, l.inputShape[1]!];
        const k = layer.kernelSize;
        const s = layer.strides;
        const kernel = tape.transpose(param('kernel'), [3, 2, 0, 1]);
        const [oh, ow, oc] = l.outputShape as [number, number, number];
        const shape = [f.v.shape[0]!, oc, oh, ow];
        let out: TapeValue;
        if (layer.type === 'conv2d') {
          const ph = convPadding(h, k, s, layer.padding);
          const pw = convPadding(w, k, s, layer.padding);
          out = tape.conv(f.v, kernel, param('bias'), { kernel: [k, k], strides: [s, s], pads: [ph.begin, pw.begin, ph.end, pw.end] }, shape);
        } else {
          const ph = convTransposePadding(h, k, s, layer.padding);
          const pw = convTransposePadding(w, k, s, layer.padding);
          out = tape.convTranspose(f.v, kernel, param('bias'), { kernel: [k, k], strides: [s, s], pads: [ph.begin, pw.begin, ph.end, pw.end], outputPadding: [ph.outputPadding, pw.outputPadding] }, shape);
        }
        f = { v: activate(tape, out, layer.activation), layout: 'nchw' };
        break;
      }
    }
  }
  return flatten(tape, f);
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

/**
 * Records the forward pass and the training objective of `spec` (the same terms as core's
 * `modelObjective`): reconstruction NLL against the clean `x`, plus β·KL for variational kinds, or
 * the sparsity / contractive regularizer for autoencoders. log σ² is clamped to `LOGVAR_CLAMP`.
 */
export function buildObjective(tape: Tape, spec: ModelSpec, inputs: ObjectiveInputs, params: Readonly<Record<string, TapeValue>>): ObjectiveValues {
  assertTrainableSpec(spec);
  const layout = validateModelSpec(spec);
  const info = modelKindInfo(spec.kind);
  for (const p of listParameters(spec)) if (!params[p.name]) throw new RangeError(`params: missing ${p.name}`);
  const { x, y } = inputs;
  const invBatch = tape.div(tape.scalar(1), tape.batchSize(x));
  const encIn = spec.kind === 'denoising-ae' ? inputs.xInput : x;
  if (!encIn) throw new RangeError('inputs.xInput: expected the corrupted input for denoising-ae, got null');
  const hasDense = spec.encoder.some((l) => l.type === 'dense');
  let h = runLayers(tape, layout.encoder, encIn, params, y);
  if (!hasDense && y) h = tape.concat([h, y], 1);
  const head = (n: string) => tape.gemm(h, params[`encoder.${n}.kernel`]!, params[`encoder.${n}.bias`]!);

  let z: TapeValue;
  let kl: TapeValue | null = null;
  let code: TapeValue | null = null;
  let mu: TapeValue | null = null;
  let logvar: TapeValue | null = null;
  if (info.variational) {
    if (!inputs.eps || !inputs.beta) throw new RangeError(`inputs.eps, inputs.beta: expected both for kind ${spec.kind}`);
    mu = head('mu');
    logvar = tape.clip(head('logvar'), LOGVAR_CLAMP[0], LOGVAR_CLAMP[1]);
    const std = tape.unary('Exp', tape.mul(logvar, tape.scalar(0.5)));
    z = tape.add(mu, tape.mul(std, inputs.eps));
    const terms = tape.sub(tape.add(tape.mul(mu, mu), tape.mul(std, std)), tape.add(logvar, tape.scalar(1)));
    kl = tape.mul(meanOverBatch(tape, tape.reduceSum(terms, [1], false), invBatch), tape.scalar(0.5));
  } else {
    code = activate(tape, head('code'), spec.codeActivation);
    z = code;
  }
  const decoded = runLayers(tape, layout.decoder, y ? tape.concat([z, y], 1) : z, params, null);

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

  let regularizer: TapeValue;
  if (kl) {
    regularizer = tape.mul(kl, inputs.beta!);
  } else if (spec.kind === 'sparse-ae' && code) {
    const s = spec.sparsity!;
    if (s.type === 'l1') {
      regularizer = tape.mul(meanOverBatch(tape, tape.reduceSum(tape.unary('Abs', code), [1], false), invBatch), tape.scalar(s.weight));
    } else {
      const rhoHat = tape.clip(tape.mul(tape.reduceSum(code, [0], false), invBatch), RHO_HAT_CLAMP[0], RHO_HAT_CLAMP[1]);
      const rho = s.rho;
      const logRhoHat = tape.unary('Log', rhoHat);
      const log1mRhoHat = tape.unary('Log', tape.sub(tape.scalar(1), rhoHat));
      const cross = tape.add(tape.mul(logRhoHat, tape.scalar(rho)), tape.mul(log1mRhoHat, tape.scalar(1 - rho)));
      const entropy = rho * Math.log(rho) + (1 - rho) * Math.log(1 - rho);
      const klSum = tape.sub(tape.scalar(entropy * spec.latentDim), tape.reduceSum(cross, [0], false));
      regularizer = tape.mul(klSum, tape.scalar(s.weight));
    }
  } else if (spec.kind === 'contractive-ae' && code) {
    const w = params['encoder.code.kernel']!;
    const colNorms = tape.reduceSum(tape.mul(w, w), [0], false);
    const slope = tape.mul(code, tape.sub(tape.scalar(1), code));
    const perExample = tape.reduceSum(tape.mul(tape.mul(slope, slope), colNorms), [1], false);
    regularizer = tape.mul(meanOverBatch(tape, perExample, invBatch), tape.scalar(spec.contractiveWeight!));
  } else {
    regularizer = tape.scalar(0);
  }
  const loss = kl || spec.kind === 'sparse-ae' || spec.kind === 'contractive-ae' ? tape.add(reconstruction, regularizer) : reconstruction;
  return { loss, reconstruction, kl, regularizer, decoded, mu, logvar, code };
}
