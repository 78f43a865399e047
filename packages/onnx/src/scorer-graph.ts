import {
  LOGVAR_CLAMP,
  concatFeatures,
  emitActivation,
  emitLayers,
  toFlat,
  SCORER_OUTPUT,
  emitDecoder,
  modelKindInfo,
  scorerSignature,
  validateModelSpec,
  validateParameters,
  type DenseLayer,
  type EmitTensor,
  type LayerValue,
  type ModelSpec,
  type ParameterSet,
  type SpecLayout,
} from '@vae/core';
import { GraphBuilder } from './graph-builder.js';
import { graphEmitter } from './graph-emitter.js';
import type { GraphBuildOptions } from './inference-graphs.js';
import { logGroup } from './log-group.js';

const HALF_LOG_2PI = 0.5 * Math.log(2 * Math.PI);

/**
 * Pixels whose softplus tails are multiplied before one Log on the general path (`logGroup`'s max).
 * Larger groups make fewer Logs but larger ones (log of a product of 16 factors is up to 11 nats,
 * rounded to ~1e-6): with 16 the K=1 estimate of a conv test model drifted 1.2e-4 nats from core's
 * float64 reference, with 4 it stays within the old per-pixel Log's error (≤ 7e-5 in those tests).
 */
const GENERAL_LOG_GROUP = 4;

/** Activations `a` with a(1) = 1, so a hidden unit with weights 0 and bias 1 outputs exactly 1. */
const ONE_PRESERVING = new Set(['linear', 'relu', 'leaky-relu']);

/**
 * The decoder's last two layers when the scorer can fold the last layer's bias into its kernel and
 * take Σ_j x_j·l_j from the last hidden layer: both dense, the last one linear (it emits the
 * logits), the one before with an activation that maps 1 to 1, fp32 weights (a folded bias row
 * would change an int8 kernel's per-column quantization). Otherwise `null` (the general path).
 */
function foldableTail(layout: SpecLayout, precision: string) {
  const n = layout.decoder.length;
  if (precision !== 'fp32' || n < 2) return null;
  const hidden = layout.decoder[n - 2]!;
  const last = layout.decoder[n - 1]!;
  if (hidden.layer.type !== 'dense' || last.layer.type !== 'dense') return null;
  const h = hidden.layer as DenseLayer;
  const o = last.layer as DenseLayer;
  if (o.activation !== 'linear' || !ONE_PRESERVING.has(h.activation)) return null;
  return { hidden, last, h, o };
}

/**
 * Builds the scorer graph of a variational `spec` (see core's `scorerSignature`): for `C` samples
 * per example (`eps` rows, example-major) it computes `z = μ + exp(½·clamp(log σ²))·ε` and
 * `log p(z) − log q(z|x) = Σ_j ½(ε_j² + log σ_j² − z_j²)`, runs the decoder layers on `z`, sums the
 * likelihood over pixels (Bernoulli from logits, or Gaussian with fixed σ) and returns per example
 * the max-shifted log-sum-exp of the `C` log weights. float32 throughout (onnxruntime-web's wasm
 * build has no float64 kernels); agrees with core's float64 reference within 1e-4 nats (tested).
 * No random ops: ε is an input.
 */
export function buildScorerGraph(spec: ModelSpec, params: ParameterSet, options: GraphBuildOptions = {}): Uint8Array {
  const precision = options.precision ?? 'fp32';
  const layout = validateModelSpec(spec);
  validateParameters(spec, params);
  const kind = modelKindInfo(spec.kind);
  if (!kind.variational)
    throw new RangeError(`spec.kind: expected a variational kind for the scorer graph, got ${spec.kind}`);
  const sig = scorerSignature(spec);
  const g = new GraphBuilder(`${spec.kind}-scorer`, {
    docString: `vae-everywhere ${spec.kind} importance-sampling scorer, ${precision} weights`,
  });
  for (const i of sig.inputs) g.input(i.name, i.shape);
  const l = spec.latentDim;
  const d = sig.inputs[0]!.shape[1] as number;
  const int = (prefix: string, v: readonly number[]) => g.constInt64(prefix, v);
  const f32 = (prefix: string, v: number) => g.constFloat32(prefix, [v], []);

  // [B] and [B, C] from the inputs; ε viewed as [B, C, L].
  const batch = g.op('Shape', ['x'], { start: 0, end: 1 });
  const eps3 = g.op('Reshape', [
    'eps',
    g.op('Concat', [batch, int('minus_one', [-1]), int('latent', [l])], { axis: 0 }),
  ]);
  const axis1 = int('axis1', [1]);
  const axis2 = int('axis2', [2]);
  const lo = g.constFloat32('logvar_min', [LOGVAR_CLAMP[0]], []);
  const hi = g.constFloat32('logvar_max', [LOGVAR_CLAMP[1]], []);
  const lv = g.op('Unsqueeze', [g.op('Clip', ['logvar', lo, hi]), axis1]);
  const mu = g.op('Unsqueeze', ['mu', axis1]);
  const e = eps3;
  const zd = g.op('Add', [mu, g.op('Mul', [g.op('Exp', [g.op('Mul', [lv, f32('half', 0.5)])]), e])]);
  const ratio = g.op('Sub', [g.op('Add', [g.op('Mul', [e, e]), lv]), g.op('Mul', [zd, zd])]);
  const logPriorOverQ = g.op('Mul', [g.op('ReduceSum', [ratio, axis2], { keepdims: 0 }), f32('half_', 0.5)]);

  const z = g.op('Reshape', [zd, int('rows_latent', [-1, l])]);
  let label: string | undefined;
  if (kind.conditional) {
    const k = spec.numClasses;
    const bc = g.op('Shape', [eps3], { start: 0, end: 2 });
    const y3 = g.op('Expand', [
      g.op('Unsqueeze', ['y', axis1]),
      g.op('Concat', [bc, int('classes', [k])], { axis: 0 }),
    ]);
    label = g.op('Reshape', [y3, int('rows_classes', [-1, k])]);
  }
  function bernoulliLogLik(decoded: string): string {
    // x·l − softplus(l) summed over pixels, with softplus(l) = relu(l) − log σ(|l|) and
    // Σ relu(l) = ½(Σ l + Σ|l|): Σ x·l and Σ l come from one batched MatMul with [x, 1], the rest
    // from three passes over the logits that MLAS vectorizes (Abs, Sigmoid, grouped ReduceProd).
    // σ(|l|) is in [½, 1): no overflow or underflow for any logit (MLAS clamps |l| at 18, where
    // σ rounds to 1 in float32 anyway), and it replaces the old Neg → Exp → Add chain (1 + e^−|l|).
    const xOnes = g.op(
      'Concat',
      [
        g.op('Unsqueeze', ['x', axis2]),
        g.op('Expand', [
          g.constFloat32('one', [1], [1, 1, 1]),
          g.op('Concat', [batch, int('pixels_one', [d, 1])], { axis: 0 }),
        ]),
      ],
      { axis: 2 },
    );
    const sums = g.op('MatMul', [decoded, xOnes]);
    const [dot, total] = g.node('Split', [sums, int('split', [1, 1])], 2, { axis: 2 });
    const abs = g.op('Abs', [decoded]);
    // Σ log σ(|l|) as Σ log of products of `group` factors in [½, 1) (exact to a few ulp): one Log
    // per `group` pixels, since Log was the costliest kernel of the scorer.
    const group = logGroup(d, GENERAL_LOG_GROUP);
    const grouped = g.op('Reshape', [g.op('Sigmoid', [abs]), int('groups', [0, 0, d / group, group])]);
    const logs = g.op('Log', [g.op('ReduceProd', [grouped], { axes: [3], keepdims: 0 })]);
    const reduce = (v: string) => g.op('ReduceSum', [v, axis2], { keepdims: 0 });
    const relu = g.op('Mul', [
      g.op('Add', [g.op('Squeeze', [total!, axis2]), reduce(abs)]),
      g.constFloat32('half32', [0.5], []),
    ]);
    return g.op('Add', [g.op('Sub', [g.op('Squeeze', [dot!, axis2]), relu]), reduce(logs)]);
  }
  function gaussianLogLik(decoded: string): string {
    const sigma = spec.gaussianSigma;
    const r = g.op('Mul', [
      g.op('Sub', [g.op('Unsqueeze', ['x', axis1]), decoded]),
      g.constFloat32('inv_sigma', [1 / sigma], []),
    ]);
    const sq = g.op('ReduceSum', [g.op('Mul', [r, r]), axis2], { keepdims: 0 });
    return g.op('Sub', [g.op('Mul', [sq, f32('minus_half', -0.5)]), f32('norm', d * (Math.log(sigma) + HALF_LOG_2PI))]);
  }
  const tail = spec.likelihood === 'bernoulli' ? foldableTail(layout, precision) : null;
  const pixelsShape = () => g.op('Concat', [batch, int('minus_one_', [-1]), int('pixels', [d])], { axis: 0 });
  let logLik: string;
  if (tail) {
    // The last dense layer as l = h'·K' with h' = [h, 1] and K' = [K; b] (the hidden layer gets a
    // unit with weights 0 and bias 1, exact through relu): no bias-broadcast pass over the logits.
    // The hidden layer likewise takes its bias from a constant-1 input column, h' = act([u, 1]·W')
    // with W' = [[W, 0]; [b, 1]] (a Gemm without C, which onnxruntime fuses with relu): no
    // bias-broadcast pass over [rows, H + 1] either (−0.5 ms of ~11.5 per 4,000-row run, measured
    // 2026-12-07).
    // Σ_j (x_j − ½)·l_j = h'·(K'(x − ½)) per row, from the hidden layer (K'(x − ½) is one
    // [H+1, D]·[D] product per example, shared by its samples), so the logits are read only by the
    // softplus passes: x·l − softplus(l) summed is Σ(x − ½)·l − ½Σ|l| + Σ log σ(|l|).
    const { hidden, last, h, o } = tail;
    const hin = params[`${hidden.prefix}.kernel`]!;
    const [fanIn, units] = hin.shape as [number, number];
    const hk = new Float32Array((fanIn + 1) * (units + 1));
    for (let i = 0; i < fanIn; i++) hk.set(hin.data.subarray(i * units, (i + 1) * units), i * (units + 1));
    if (h.useBias !== false) hk.set(params[`${hidden.prefix}.bias`]!.data, fanIn * (units + 1));
    hk[(fanIn + 1) * (units + 1) - 1] = 1;
    const ok = new Float32Array((units + 1) * o.units);
    ok.set(params[`${last.prefix}.kernel`]!.data);
    if (o.useBias !== false) ok.set(params[`${last.prefix}.bias`]!.data, units * o.units);
    const net = graphEmitter(
      g,
      {
        ...params,
        [`${hidden.prefix}.kernel_bias_ones`]: { data: hk, shape: [fanIn + 1, units + 1] },
        [`${last.prefix}.kernel_bias`]: { data: ok, shape: [units + 1, o.units] },
      },
      precision,
    );
    const zv: LayerValue = { t: { name: z, shape: ['batch', l] }, shape: [l], layout: 'row-major' };
    const input = label ? concatFeatures(net, zv, { name: label, shape: ['batch', spec.numClasses] }) : zv;
    const before = toFlat(net, emitLayers(net, layout.decoder.slice(0, -2), input).output).t.name;
    const ones = g.op('Expand', [
      g.constFloat32('one_column', [1], [1, 1]),
      g.op('Concat', [g.op('Shape', [before], { start: 0, end: 1 }), int('one', [1])], { axis: 0 }),
    ]);
    const withOne: EmitTensor = { name: g.op('Concat', [before, ones], { axis: 1 }), shape: ['batch', fanIn + 1] };
    const kernelIn = net.layer(hidden).state('kernel_bias_ones', { channelAxis: 1 });
    const hiddenOut = emitActivation(
      net,
      h.activation,
      net.op('Gemm', [withOne, kernelIn], {}, ['batch', units + 1]),
    ).name;
    const kernel = net.layer(last).state('kernel_bias', { channelAxis: 1 }).name;
    const decoded = g.op('Reshape', [g.op('MatMul', [hiddenOut, kernel]), pixelsShape()]);
    const centred = g.op('Unsqueeze', [g.op('Sub', ['x', g.constFloat32('half_x', [0.5], [])]), axis2]);
    const perExample = g.op('MatMul', [kernel, centred]);
    const hidden3 = g.op('Reshape', [
      hiddenOut,
      g.op('Concat', [batch, int('minus_one_h', [-1]), int('hidden_units', [units + 1])], { axis: 0 }),
    ]);
    const dot = g.op('Squeeze', [g.op('MatMul', [hidden3, perExample]), axis2]);
    const abs = g.op('Abs', [decoded]);
    // Groups of up to 16 here (one Log per 16 pixels: against 8, −0.5 ms of ~11.5 per 4,000-row run,
    // and 8 was −5–9 % of the run's CPU time against 4, measured 2026-12-07): the MLP tests stay
    // within 1e-4 nats of core's float64 reference.
    const group = logGroup(d, 16);
    const grouped = g.op('Reshape', [g.op('Sigmoid', [abs]), int('groups', [0, 0, d / group, group])]);
    const logs = g.op('Log', [g.op('ReduceProd', [grouped], { axes: [3], keepdims: 0 })]);
    const reduce = (v: string) => g.op('ReduceSum', [v, axis2], { keepdims: 0 });
    const relu = g.op('Mul', [reduce(abs), g.constFloat32('half32', [0.5], [])]);
    logLik = g.op('Add', [g.op('Sub', [dot, relu]), reduce(logs)]);
  } else {
    const net = graphEmitter(g, params, precision);
    const out = emitDecoder(
      net,
      layout,
      { name: z, shape: ['batch', l] },
      label ? { name: label, shape: ['batch', spec.numClasses] } : undefined,
    );
    const decoded = g.op('Reshape', [out.name, pixelsShape()]);
    logLik = spec.likelihood === 'bernoulli' ? bernoulliLogLik(decoded) : gaussianLogLik(decoded);
  }
  const w = g.op('Add', [logLik, logPriorOverQ]);
  const max = g.op('ReduceMax', [w], { axes: [1], keepdims: 1 });
  const sum = g.op('ReduceSum', [g.op('Exp', [g.op('Sub', [w, max])]), axis1], { keepdims: 0 });
  const lse = g.op('Add', [g.op('Squeeze', [max, axis1]), g.op('Log', [sum])]);
  g.op('Identity', [lse], {}, SCORER_OUTPUT);
  for (const o of sig.outputs) g.output(o.name, o.shape);
  return g.toBytes();
}
