import {
  decoderSignature,
  emitDecoder,
  emitEncoder,
  encoderSignature,
  inputSize,
  modelKindInfo,
  validateModelSpec,
  validateParameters,
  type ModelKindInfo,
  type ModelSpec,
  type NetworkEmitter,
  type ParameterSet,
  type Precision,
  type SpecLayout,
  type GraphSignature,
} from '@vae/core';
import { GraphBuilder } from './graph-builder.js';
import { graphEmitter } from './graph-emitter.js';
import { weightWriter } from './precision-weights.js';

/** Options of the inference-graph builders. */
export interface GraphBuildOptions {
  /** Weight precision (default `fp32`); inputs and outputs are float32 for every precision. */
  readonly precision?: Precision;
}

/** What both graph builders start from: validated spec and params, the signature, a builder with its inputs declared. */
interface GraphStart {
  readonly precision: Precision;
  readonly layout: SpecLayout;
  readonly kind: ModelKindInfo;
  readonly sig: GraphSignature;
  readonly g: GraphBuilder;
  /** The builder as core's layer emitter (layers are emitted from their registered definitions). */
  readonly net: NetworkEmitter;
}

function startGraph(
  spec: ModelSpec,
  params: ParameterSet,
  options: GraphBuildOptions,
  part: 'encoder' | 'decoder',
): GraphStart {
  const precision = options.precision ?? 'fp32';
  weightWriter(precision);
  const layout = validateModelSpec(spec);
  validateParameters(spec, params);
  const sig = part === 'encoder' ? encoderSignature(spec) : decoderSignature(spec);
  const g = new GraphBuilder(`${spec.kind}-${part}`, {
    docString: `vae-everywhere ${spec.kind} ${part}, ${precision} weights`,
  });
  for (const i of sig.inputs) g.input(i.name, i.shape);
  return { precision, layout, kind: modelKindInfo(spec.kind), sig, g, net: graphEmitter(g, params, precision) };
}

/**
 * Builds the encoder graph of `spec` with `params` (TF layout, canonical names). Variational kinds
 * output `mu` and `logvar` (log σ² clipped in-graph to LOGVAR_CLAMP); autoencoders output `z`
 * (the code after `spec.codeActivation`). No random ops; dynamic batch.
 */
export function buildEncoderGraph(spec: ModelSpec, params: ParameterSet, options: GraphBuildOptions = {}): Uint8Array {
  const { layout, kind, sig, g, net } = startGraph(spec, params, options, 'encoder');
  const x = { name: 'x', shape: ['batch', inputSize(spec)] as const };
  const label = kind.conditional ? { name: 'y', shape: ['batch', spec.numClasses] as const } : undefined;
  const heads = emitEncoder(net, layout, x, label);
  if (kind.variational) {
    g.op('Identity', [heads.mu!.name], {}, 'mu');
    g.op('Identity', [heads.logvar!.name], {}, 'logvar');
  } else {
    g.op('Identity', [heads.code!.name], {}, 'z');
  }
  for (const o of sig.outputs) g.output(o.name, o.shape);
  return g.toBytes();
}

/**
 * Builds the decoder graph: `z` (+ `y`, concatenated as `[z, y]`) → `x_logits` and `x_mean`
 * (see {@link decoderSignature}), flat `[batch, D]` in HWC order. Dynamic batch.
 */
export function buildDecoderGraph(spec: ModelSpec, params: ParameterSet, options: GraphBuildOptions = {}): Uint8Array {
  const { layout, kind, sig, g, net } = startGraph(spec, params, options, 'decoder');
  const z = { name: 'z', shape: ['batch', spec.latentDim] as const };
  const label = kind.conditional ? { name: 'y', shape: ['batch', spec.numClasses] as const } : undefined;
  const out = emitDecoder(net, layout, z, label).name;
  g.op('Identity', [out], {}, 'x_logits');
  g.op(spec.likelihood === 'bernoulli' ? 'Sigmoid' : 'Identity', [out], {}, 'x_mean');
  for (const o of sig.outputs) g.output(o.name, o.shape);
  return g.toBytes();
}
