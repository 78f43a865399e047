import {
  LOGVAR_CLAMP,
  decoderSignature,
  encoderSignature,
  modelKindInfo,
  validateModelSpec,
  validateParameters,
  type LayerShape,
  type ModelKindInfo,
  type ModelSpec,
  type ParameterSet,
  type Precision,
  type SpecLayout,
  type GraphSignature,
} from '@vae/core';
import { applyActivation } from './activations.js';
import './builtin-converters.js';
import { GraphBuilder } from './graph-builder.js';
import { getLayerConverter, type GraphValue } from './layer-converters.js';
import { toFlat } from './layout-ops.js';
import { weightWriter } from './precision-weights.js';

/** Options of the inference-graph builders. */
export interface GraphBuildOptions {
  /** Weight precision (default `fp32`); inputs and outputs are float32 for every precision. */
  readonly precision?: Precision;
}

/** What {@link emitLayers} needs besides the builder. */
export interface EmitLayersOptions {
  readonly params: ParameterSet;
  readonly precision: Precision;
  /** A flat `[batch, K]` value concatenated to the input of the first dense layer, if any. */
  readonly label?: string;
}

/** Result of {@link emitLayers}. */
export interface EmittedLayers {
  readonly output: GraphValue;
  /** Whether `label` was consumed (false when there was no dense layer). */
  readonly labelUsed: boolean;
}

/**
 * Emits `layers` (as walked by `describeLayers`) through the converter registry, starting from
 * `input`. Reusable by other graph builders (e.g. training graphs' forward passes).
 */
export function emitLayers(g: GraphBuilder, layers: readonly LayerShape[], input: GraphValue, o: EmitLayersOptions): EmittedLayers {
  const write = weightWriter(o.precision);
  let value = input;
  let labelUsed = o.label === undefined;
  layers.forEach((l, i) => {
    const path = `${l.prefix.replace(/\.(\d+)$/, '[$1]')} (${l.layer.type})`;
    const convert = getLayerConverter(l.layer.type, path);
    if (!labelUsed && l.layer.type === 'dense') {
      const flat = toFlat(g, value);
      value = { name: g.op('Concat', [flat.name, o.label!], { axis: 1 }), shape: [l.inputShape[0]!], layout: 'row-major' };
      labelUsed = true;
    }
    value = convert({
      g,
      layer: l.layer,
      prefix: l.prefix,
      path,
      input: value,
      outputShape: l.outputShape,
      param: (suffix) => {
        const t = o.params[`${l.prefix}.${suffix}`];
        if (!t) throw new RangeError(`params: missing ${JSON.stringify(`${l.prefix}.${suffix}`)} for ${path}`);
        return t;
      },
      weight: (name, dims, data, channelAxis) => write(g, { name, dims, data, channelAxis }),
    });
    const got = value.shape.join(',');
    if (got !== l.outputShape.join(',')) {
      throw new RangeError(`${path}: converter produced shape [${value.shape.join(', ')}], expected [${l.outputShape.join(', ')}] (layer ${i})`);
    }
  });
  return { output: value, labelUsed };
}

/** What both graph builders start from: validated spec and params, the signature, a builder with its inputs declared. */
interface GraphStart {
  readonly precision: Precision;
  readonly layout: SpecLayout;
  readonly kind: ModelKindInfo;
  readonly sig: GraphSignature;
  readonly g: GraphBuilder;
}

function startGraph(spec: ModelSpec, params: ParameterSet, options: GraphBuildOptions, part: 'encoder' | 'decoder'): GraphStart {
  const precision = options.precision ?? 'fp32';
  weightWriter(precision);
  const layout = validateModelSpec(spec);
  validateParameters(spec, params);
  const sig = part === 'encoder' ? encoderSignature(spec) : decoderSignature(spec);
  const g = new GraphBuilder(`${spec.kind}-${part}`, { docString: `vae-everywhere ${spec.kind} ${part}, ${precision} weights` });
  for (const i of sig.inputs) g.input(i.name, i.shape);
  return { precision, layout, kind: modelKindInfo(spec.kind), sig, g };
}

function dense(g: GraphBuilder, x: string, params: ParameterSet, prefix: string, precision: Precision): string {
  const write = weightWriter(precision);
  const kernel = params[`${prefix}.kernel`]!;
  const bias = params[`${prefix}.bias`]!;
  const w = write(g, { name: `${prefix}.kernel`, dims: kernel.shape, data: kernel.data, channelAxis: 1 });
  const b = write(g, { name: `${prefix}.bias`, dims: bias.shape, data: bias.data, channelAxis: null });
  return g.op('Gemm', [x, w, b]);
}

/**
 * Builds the encoder graph of `spec` with `params` (TF layout, canonical names). Variational kinds
 * output `mu` and `logvar` (log σ² clipped in-graph to LOGVAR_CLAMP); autoencoders output `z`
 * (the code after `spec.codeActivation`). No random ops; dynamic batch.
 */
export function buildEncoderGraph(spec: ModelSpec, params: ParameterSet, options: GraphBuildOptions = {}): Uint8Array {
  const { precision, layout, kind, sig, g } = startGraph(spec, params, options, 'encoder');
  const label = kind.conditional ? 'y' : undefined;
  const x: GraphValue = { name: 'x', shape: [sig.inputs[0]!.shape[1] as number], layout: 'row-major' };
  const { output, labelUsed } = emitLayers(g, layout.encoder, x, { params, precision, ...(label ? { label } : {}) });
  let features = toFlat(g, output).name;
  if (!labelUsed) features = g.op('Concat', [features, label!], { axis: 1 });
  if (kind.variational) {
    g.op('Identity', [dense(g, features, params, 'encoder.mu', precision)], {}, 'mu');
    const lo = g.constFloat32('logvar_min', [LOGVAR_CLAMP[0]], []);
    const hi = g.constFloat32('logvar_max', [LOGVAR_CLAMP[1]], []);
    g.op('Clip', [dense(g, features, params, 'encoder.logvar', precision), lo, hi], {}, 'logvar');
  } else {
    const code = dense(g, features, params, 'encoder.code', precision);
    const act = applyActivation(g, spec.codeActivation, code, 'encoder.code');
    g.op('Identity', [act], {}, 'z');
  }
  for (const o of sig.outputs) g.output(o.name, o.shape);
  return g.toBytes();
}

/**
 * Builds the decoder graph: `z` (+ `y`, concatenated as `[z, y]`) → `x_logits` and `x_mean`
 * (see {@link decoderSignature}), flat `[batch, D]` in HWC order. Dynamic batch.
 */
export function buildDecoderGraph(spec: ModelSpec, params: ParameterSet, options: GraphBuildOptions = {}): Uint8Array {
  const { precision, layout, kind, sig, g } = startGraph(spec, params, options, 'decoder');
  const input: GraphValue = kind.conditional
    ? { name: g.op('Concat', ['z', 'y'], { axis: 1 }), shape: [spec.latentDim + spec.numClasses], layout: 'row-major' }
    : { name: 'z', shape: [spec.latentDim], layout: 'row-major' };
  const { output } = emitLayers(g, layout.decoder, input, { params, precision });
  const out = toFlat(g, output).name;
  g.op('Identity', [out], {}, 'x_logits');
  g.op(spec.likelihood === 'bernoulli' ? 'Sigmoid' : 'Identity', [out], {}, 'x_mean');
  for (const o of sig.outputs) g.output(o.name, o.shape);
  return g.toBytes();
}
