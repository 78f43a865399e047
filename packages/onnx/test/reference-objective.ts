/**
 * A plain-JavaScript float64 forward and analytic backward pass of the MLP training objectives,
 * written independently of the graph autodiff, as the reference for gradient checks.
 */
import {
  LEAKY_RELU_SLOPE,
  LOGVAR_CLAMP,
  RHO_HAT_CLAMP,
  inputSize,
  listParameters,
  modelKindInfo,
  validateModelSpec,
  type Activation,
  type ModelSpec,
} from '@vae/core';

/** LeakyRelu's `alpha` is a FLOAT attribute: the graphs compute with float32(0.01). */
const LEAKY_SLOPE = Math.fround(LEAKY_RELU_SLOPE);

/** Parameters by canonical name, float64, TensorFlow layout (dense kernels `[in, out]`). */
export type ReferenceParams = Readonly<Record<string, Float64Array>>;

/** One batch for {@link referenceObjective}; matrices are row-major. */
export interface ReferenceBatch {
  readonly batch: number;
  /** Clean input `[batch, D]`. */
  readonly x: Float64Array;
  /** `denoising-ae`: corrupted input `[batch, D]`. */
  readonly xInput?: Float64Array;
  /** Variational kinds: `[batch, latentDim]`. */
  readonly eps?: Float64Array;
  /** Conditional kinds: one-hot `[batch, K]`. */
  readonly y?: Float64Array;
  /** KL weight; default `spec.beta`. */
  readonly beta?: number;
}

/** Loss terms (batch means, nats per example) and the gradient of `loss` per parameter. */
export interface ReferenceResult {
  readonly loss: number;
  readonly reconstruction: number;
  readonly kl: number | null;
  readonly regularizer: number;
  readonly grads: Record<string, Float64Array>;
}

interface Dense {
  readonly prefix: string;
  readonly inSize: number;
  readonly outSize: number;
  readonly activation: Activation;
}

interface DenseCache {
  readonly input: Float64Array;
  readonly output: Float64Array;
}

function act(a: Activation, v: number): number {
  switch (a) {
    case 'linear':
      return v;
    case 'relu':
      return v > 0 ? v : 0;
    case 'leaky-relu':
      return v > 0 ? v : LEAKY_SLOPE * v;
    case 'tanh':
      return Math.tanh(v);
    case 'sigmoid':
      return v >= 0 ? 1 / (1 + Math.exp(-v)) : Math.exp(v) / (1 + Math.exp(v));
  }
}

/** Derivative of the activation from its output. */
function actGrad(a: Activation, out: number): number {
  switch (a) {
    case 'linear':
      return 1;
    case 'relu':
      return out > 0 ? 1 : 0;
    case 'leaky-relu':
      return out > 0 ? 1 : LEAKY_SLOPE;
    case 'tanh':
      return 1 - out * out;
    case 'sigmoid':
      return out * (1 - out);
  }
}

function concatCols(a: Float64Array, ac: number, b: Float64Array, bc: number, rows: number): Float64Array {
  const out = new Float64Array(rows * (ac + bc));
  for (let r = 0; r < rows; r++) {
    out.set(a.subarray(r * ac, (r + 1) * ac), r * (ac + bc));
    out.set(b.subarray(r * bc, (r + 1) * bc), r * (ac + bc) + ac);
  }
  return out;
}

function forwardDense(l: Dense, params: ReferenceParams, input: Float64Array, rows: number): DenseCache {
  const w = params[`${l.prefix}.kernel`]!;
  const b = params[`${l.prefix}.bias`]!;
  const out = new Float64Array(rows * l.outSize);
  for (let r = 0; r < rows; r++) {
    for (let j = 0; j < l.outSize; j++) {
      let s = b[j]!;
      for (let i = 0; i < l.inSize; i++) s += input[r * l.inSize + i]! * w[i * l.outSize + j]!;
      out[r * l.outSize + j] = act(l.activation, s);
    }
  }
  return { input, output: out };
}

/** Back through one dense layer from dL/d(output); accumulates kernel/bias grads, returns dL/d(input). */
function backwardDense(
  l: Dense,
  params: ReferenceParams,
  c: DenseCache,
  dOut: Float64Array,
  rows: number,
  grads: Record<string, Float64Array>,
): Float64Array {
  const w = params[`${l.prefix}.kernel`]!;
  const dw = grads[`${l.prefix}.kernel`]!;
  const db = grads[`${l.prefix}.bias`]!;
  const dz = new Float64Array(dOut.length);
  for (let k = 0; k < dz.length; k++) dz[k] = dOut[k]! * actGrad(l.activation, c.output[k]!);
  const dIn = new Float64Array(rows * l.inSize);
  for (let r = 0; r < rows; r++) {
    for (let j = 0; j < l.outSize; j++) {
      const g = dz[r * l.outSize + j]!;
      if (g === 0) continue;
      db[j] = db[j]! + g;
      for (let i = 0; i < l.inSize; i++) {
        dw[i * l.outSize + j] = dw[i * l.outSize + j]! + c.input[r * l.inSize + i]! * g;
        dIn[r * l.inSize + i] = dIn[r * l.inSize + i]! + g * w[i * l.outSize + j]!;
      }
    }
  }
  return dIn;
}

function denseLayers(spec: ModelSpec, part: 'encoder' | 'decoder'): Dense[] {
  const layout = validateModelSpec(spec);
  return layout[part].flatMap((l) =>
    l.layer.type === 'dense'
      ? [{ prefix: l.prefix, inSize: l.inputShape[0]!, outSize: l.layer.units, activation: l.layer.activation }]
      : [],
  );
}

/** Runs dense layers; the label (if any) is concatenated to the first layer's input. */
function runNetwork(
  layers: readonly Dense[],
  params: ReferenceParams,
  input: Float64Array,
  width: number,
  rows: number,
  y: Float64Array | null,
  k: number,
): { out: Float64Array; caches: DenseCache[] } {
  let h = input;
  const caches: DenseCache[] = [];
  layers.forEach((l, i) => {
    const inp = i === 0 && y ? concatCols(h, width, y, k, rows) : h;
    const c = forwardDense(l, params, inp, rows);
    caches.push(c);
    h = c.output;
  });
  return { out: h, caches };
}

function backNetwork(
  layers: readonly Dense[],
  params: ReferenceParams,
  caches: readonly DenseCache[],
  dOut: Float64Array,
  rows: number,
  grads: Record<string, Float64Array>,
): Float64Array {
  let d = dOut;
  for (let i = layers.length - 1; i >= 0; i--) d = backwardDense(layers[i]!, params, caches[i]!, d, rows, grads);
  return d;
}

function dropColumns(a: Float64Array, width: number, keep: number, rows: number): Float64Array {
  if (keep === width) return a;
  const out = new Float64Array(rows * keep);
  for (let r = 0; r < rows; r++) out.set(a.subarray(r * width, r * width + keep), r * keep);
  return out;
}

/**
 * The training objective of an MLP `spec` on one batch and its exact gradient, in float64:
 * reconstruction NLL (Bernoulli from logits, or Gaussian with fixed σ) against the clean `x`,
 * plus β·KL (variational; log σ² clamped to `LOGVAR_CLAMP`), L1 or KL-sparsity (ρ̂ clamped to
 * `RHO_HAT_CLAMP`), or the contractive penalty, all batch means, as core's `modelObjective`.
 */
export function referenceObjective(spec: ModelSpec, params: ReferenceParams, b: ReferenceBatch): ReferenceResult {
  for (const [part, layers] of [
    ['encoder', spec.encoder],
    ['decoder', spec.decoder],
  ] as const) {
    layers.forEach((l, i) => {
      if (l.type !== 'dense')
        throw new RangeError(
          `spec.${part}[${i}].type: expected 'dense' (the reference covers MLP networks), got ${JSON.stringify(l.type)}`,
        );
    });
  }
  const layout = validateModelSpec(spec);
  const info = modelKindInfo(spec.kind);
  const n = b.batch;
  const D = inputSize(spec);
  const L = spec.latentDim;
  const K = spec.numClasses;
  const y = info.conditional ? (b.y ?? null) : null;
  if (info.conditional && !y) throw new RangeError(`batch.y: expected one-hot labels for kind ${spec.kind}, got none`);
  const grads: Record<string, Float64Array> = {};
  for (const p of listParameters(spec)) {
    if (!params[p.name]) throw new RangeError(`params: missing ${p.name}`);
    grads[p.name] = new Float64Array(params[p.name]!.length);
  }
  const encLayers = denseLayers(spec, 'encoder');
  const decLayers = denseLayers(spec, 'decoder');
  const encIn = info.corruptsInput ? b.xInput : b.x;
  if (!encIn) throw new RangeError(`batch.xInput: expected the corrupted input for kind ${spec.kind}, got none`);
  const enc = runNetwork(encLayers, params, encIn, D, n, y, K);
  const hWidth = layout.headInput - (encLayers.length === 0 ? K : 0);
  const headIn = encLayers.length === 0 && y ? concatCols(enc.out, hWidth, y, K, n) : enc.out;
  const head = (name: string, a: Activation): Dense => ({
    prefix: `encoder.${name}`,
    inSize: layout.headInput,
    outSize: L,
    activation: a,
  });

  let z: Float64Array;
  let kl: number | null = null;
  let regularizer = 0;
  let backHeads: (dz: Float64Array) => Float64Array;
  const beta = b.beta ?? spec.beta;
  if (info.variational) {
    if (!b.eps) throw new RangeError(`batch.eps: expected noise for kind ${spec.kind}, got none`);
    const eps = b.eps;
    const muC = forwardDense(head('mu', 'linear'), params, headIn, n);
    const lvC = forwardDense(head('logvar', 'linear'), params, headIn, n);
    const lv = lvC.output.map((v) => Math.min(Math.max(v, LOGVAR_CLAMP[0]), LOGVAR_CLAMP[1]));
    const std = lv.map((v) => Math.exp(0.5 * v));
    z = muC.output.map((m, k) => m + std[k]! * eps[k]!);
    let klSum = 0;
    muC.output.forEach((m, k) => (klSum += 0.5 * (m * m + Math.exp(lv[k]!) - 1 - lv[k]!)));
    kl = klSum / n;
    regularizer = beta * kl;
    backHeads = (dz) => {
      const dMu = dz.map((g, k) => g + (beta * muC.output[k]!) / n);
      const dLv = dz.map((g, k) => {
        const raw = lvC.output[k]!;
        if (raw < LOGVAR_CLAMP[0] || raw > LOGVAR_CLAMP[1]) return 0;
        return g * eps[k]! * 0.5 * std[k]! + (beta * 0.5 * (Math.exp(lv[k]!) - 1)) / n;
      });
      const a = backwardDense(head('mu', 'linear'), params, muC, dMu, n, grads);
      const c = backwardDense(head('logvar', 'linear'), params, lvC, dLv, n, grads);
      return a.map((v, k) => v + c[k]!);
    };
  } else {
    const codeC = forwardDense(head('code', spec.codeActivation), params, headIn, n);
    const h = codeC.output;
    z = h;
    const dReg = new Float64Array(n * L);
    const w = params['encoder.code.kernel'];
    let dW: Float64Array | null = null;
    if (info.regularizer === 'sparsity') {
      const s = spec.sparsity!;
      if (s.type === 'l1') {
        regularizer = (s.weight * h.reduce((acc, v) => acc + Math.abs(v), 0)) / n;
        h.forEach((v, k) => (dReg[k] = (s.weight * Math.sign(v)) / n));
      } else {
        for (let j = 0; j < L; j++) {
          let m = 0;
          for (let r = 0; r < n; r++) m += h[r * L + j]!;
          m /= n;
          const clamped = Math.min(Math.max(m, RHO_HAT_CLAMP[0]), RHO_HAT_CLAMP[1]);
          regularizer +=
            s.weight * (s.rho * Math.log(s.rho / clamped) + (1 - s.rho) * Math.log((1 - s.rho) / (1 - clamped)));
          const dm = clamped === m ? s.weight * (-s.rho / m + (1 - s.rho) / (1 - m)) : 0;
          for (let r = 0; r < n; r++) dReg[r * L + j] = dm / n;
        }
      }
    } else if (info.regularizer === 'contractive' && w) {
      const lambda = spec.contractiveWeight!;
      const col = new Float64Array(L);
      for (let i = 0; i < layout.headInput; i++) for (let j = 0; j < L; j++) col[j] = col[j]! + w[i * L + j]! ** 2;
      dW = new Float64Array(w.length);
      const sumS2 = new Float64Array(L);
      for (let r = 0; r < n; r++) {
        for (let j = 0; j < L; j++) {
          const v = h[r * L + j]!;
          const sl = v * (1 - v);
          regularizer += (lambda * sl * sl * col[j]!) / n;
          dReg[r * L + j] = (lambda * 2 * sl * col[j]! * (1 - 2 * v)) / n;
          sumS2[j] = sumS2[j]! + sl * sl;
        }
      }
      for (let i = 0; i < layout.headInput; i++)
        for (let j = 0; j < L; j++) dW[i * L + j] = (lambda * sumS2[j]! * 2 * w[i * L + j]!) / n;
    }
    backHeads = (dz) => {
      const dIn = backwardDense(
        head('code', spec.codeActivation),
        params,
        codeC,
        dz.map((g, k) => g + dReg[k]!),
        n,
        grads,
      );
      if (dW) {
        const gw = grads['encoder.code.kernel']!;
        dW.forEach((v, k) => (gw[k] = gw[k]! + v));
      }
      return dIn;
    };
  }

  const dec = runNetwork(decLayers, params, z, L, n, y, K);
  const out = dec.out;
  let reconstruction = 0;
  const dOut = new Float64Array(out.length);
  if (spec.likelihood === 'bernoulli') {
    out.forEach((l, k) => {
      const xv = b.x[k]!;
      const sp = l > 0 ? l + Math.log1p(Math.exp(-l)) : Math.log1p(Math.exp(l));
      reconstruction += sp - xv * l;
      dOut[k] = (act('sigmoid', l) - xv) / n;
    });
  } else {
    const sigma = spec.gaussianSigma;
    out.forEach((m, k) => {
      const r = b.x[k]! - m;
      reconstruction += (0.5 * r * r) / (sigma * sigma) + Math.log(sigma) + 0.5 * Math.log(2 * Math.PI);
      dOut[k] = -r / (sigma * sigma) / n;
    });
  }
  reconstruction /= n;
  const dDecIn = backNetwork(decLayers, params, dec.caches, dOut, n, grads);
  const dz = dropColumns(dDecIn, L + (y ? K : 0), L, n);
  const dHeadIn = backHeads(dz);
  const dEncOut = dropColumns(dHeadIn, layout.headInput, hWidth, n);
  backNetwork(encLayers, params, enc.caches, dEncOut, n, grads);
  return { loss: reconstruction + regularizer, reconstruction, kl, regularizer, grads };
}
