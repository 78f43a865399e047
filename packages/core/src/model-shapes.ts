import './layers/builtin-layers.js';
import './kinds/builtin-kinds.js';
import { getLayerDefinition, type LayerShape, type ParameterInfo } from './layers/layer-registry.js';
import { checkActivation, positiveInt, specFail as fail } from './layers/spec-checks.js';
import { sizeText } from './image-size.js';
import { modelKindInfo } from './model-kinds.js';
import { LIKELIHOODS, inputSize, type LayerSpec, type ModelSpec } from './model-spec.js';
import type { Rng } from './rng.js';
import { sizeOf, type Tensor } from './tensor.js';

/** State tensors (parameters and buffers) by canonical name; {@link listParameters} gives the order. */
export type ParameterSet = Record<string, Tensor>;

/**
 * Walks `layers` from `input` through the layer registry, returning each layer's input/output
 * shapes; validates as it goes (an unknown type is an error naming it and the registered types).
 * `label` is the size of the one-hot label concatenated to the first layer that takes it.
 */
export function describeLayers(
  layers: readonly LayerSpec[],
  input: readonly number[],
  prefix: string,
  label = 0,
): LayerShape[] {
  if (!Array.isArray(layers)) fail(prefix, 'an array of layers', layers);
  const out: LayerShape[] = [];
  let shape = [...input];
  let labelLeft = label;
  layers.forEach((layer, i) => {
    const path = `${prefix}[${i}]`;
    const def = getLayerDefinition((layer as { type?: unknown } | undefined)?.type, path);
    let inShape = shape;
    if (def.takesLabel) {
      inShape = [sizeOf(shape) + labelLeft];
      labelLeft = 0;
    }
    const next = def.outputShape(layer, inShape, path);
    out.push({ prefix: `${prefix}.${i}`, layer, inputShape: inShape, outputShape: next });
    shape = next;
  });
  return out;
}

/** Layers of the encoder and decoder with their shapes, after full validation of `spec`. */
export interface SpecLayout {
  readonly encoder: LayerShape[];
  /** Flat size of the encoder features fed to the head(s), label included for conditional models. */
  readonly headInput: number;
  /** The encoder's dense head(s): `encoder.mu` and `encoder.logvar`, or `encoder.code`. */
  readonly heads: LayerShape[];
  readonly decoder: LayerShape[];
}

/**
 * Validates `spec` completely and returns its layer shapes. Throws a `RangeError` naming the field,
 * the expected and the actual value.
 */
export function validateModelSpec(spec: ModelSpec): SpecLayout {
  if (!spec || typeof spec !== 'object') fail('spec', 'a model spec object', spec);
  if (spec.specVersion !== 1) fail('spec.specVersion', '1', spec.specVersion);
  const info = modelKindInfo(spec.kind);
  if (!Array.isArray(spec.imageShape) || spec.imageShape.length !== 3)
    fail('spec.imageShape', '[H, W, C]', spec.imageShape);
  spec.imageShape.forEach((d, i) => positiveInt(d, `spec.imageShape[${i}]`));
  positiveInt(spec.latentDim, 'spec.latentDim');
  if (!(spec.likelihood in LIKELIHOODS)) fail('spec.likelihood', 'bernoulli|gaussian', spec.likelihood);
  if (!(typeof spec.gaussianSigma === 'number' && spec.gaussianSigma > 0))
    fail('spec.gaussianSigma', 'a positive number', spec.gaussianSigma);
  if (info.conditional) positiveInt(spec.numClasses, 'spec.numClasses');
  else if (spec.numClasses !== 0) fail('spec.numClasses', `0 for kind ${spec.kind}`, spec.numClasses);
  checkActivation(spec.codeActivation, 'spec.codeActivation');
  if (!(typeof spec.beta === 'number' && spec.beta >= 0 && Number.isFinite(spec.beta)))
    fail('spec.beta', 'a finite number ≥ 0', spec.beta);
  info.validate?.(spec);
  const d = inputSize(spec);
  const encoder = describeLayers(spec.encoder, [d], 'encoder', spec.numClasses);
  const encOut = encoder.length ? encoder[encoder.length - 1]!.outputShape : [d];
  const labelTaken = encoder.some((l) => getLayerDefinition(l.layer.type, l.prefix).takesLabel);
  const headInput = sizeOf(encOut) + (labelTaken ? 0 : spec.numClasses);
  if (!Array.isArray(spec.decoder) || spec.decoder.length === 0)
    fail('spec.decoder', 'at least one layer (the output layer)', spec.decoder);
  const decoder = describeLayers(spec.decoder, [spec.latentDim + spec.numClasses], 'decoder');
  const last = decoder[decoder.length - 1]!;
  if (sizeOf(last.outputShape) !== d)
    fail(
      'spec.decoder',
      `a last layer with ${d} outputs (${sizeText(spec.imageShape[0]!, spec.imageShape[1]!, spec.imageShape[2]!)})`,
      last.outputShape,
    );
  const lastIndex = decoder.findLastIndex((l) => layerState(l).some((p) => p.trainable));
  const lastParam = decoder[lastIndex];
  if (!lastParam)
    fail(
      'spec.decoder',
      'at least one layer with parameters',
      spec.decoder.map((l) => l.type),
    );
  const act = getLayerDefinition(lastParam.layer.type, lastParam.prefix).activation?.(lastParam.layer);
  if (act !== undefined && act !== 'linear')
    fail(`decoder[${lastIndex}].activation`, "'linear' (the last layer outputs logits or the mean)", act);
  if (
    lastParam.outputShape.length === 3 &&
    (lastParam.outputShape[0] !== spec.imageShape[0] || lastParam.outputShape[1] !== spec.imageShape[1])
  ) {
    fail(
      'spec.decoder',
      `a spatial output of ${sizeText(spec.imageShape[0]!, spec.imageShape[1]!, spec.imageShape[2]!)}`,
      lastParam.outputShape,
    );
  }
  const headActivation = info.variational ? 'linear' : spec.codeActivation;
  const heads = info.heads.map(
    (h): LayerShape => ({
      prefix: `encoder.${h}`,
      layer: { type: 'dense', units: spec.latentDim, activation: headActivation },
      inputShape: [headInput],
      outputShape: [spec.latentDim],
    }),
  );
  return { encoder, headInput, heads, decoder };
}

/** The state tensors of one walked layer, with canonical names. */
export function layerState(l: LayerShape): ParameterInfo[] {
  const def = getLayerDefinition(l.layer.type, l.prefix);
  return (def.state?.(l.layer, l) ?? []).map(({ suffix, ...rest }) => ({ name: `${l.prefix}.${suffix}`, ...rest }));
}

/** Every state tensor of `spec` (parameters and buffers), in canonical order (encoder, heads, decoder). */
export function listParameters(spec: ModelSpec): ParameterInfo[] {
  const layout = validateModelSpec(spec);
  return [...layout.encoder, ...layout.heads, ...layout.decoder].flatMap(layerState);
}

/** The trainable parameters of `spec` (what the optimizer updates), in canonical order. */
export function listTrainableParameters(spec: ModelSpec): ParameterInfo[] {
  return listParameters(spec).filter((p) => p.trainable);
}

/**
 * Initial state drawn from `rng` (Glorot-uniform kernels, zero biases, buffers at their
 * initial values), in canonical order, so every engine starts from identical weights for the same seed.
 */
export function initParameters(spec: ModelSpec, rng: Rng): ParameterSet {
  const out: ParameterSet = {};
  for (const p of listParameters(spec)) {
    const data = new Float32Array(sizeOf(p.shape));
    if (p.init === 'glorot-uniform') {
      const limit = Math.sqrt(6 / (p.fanIn + p.fanOut));
      for (let i = 0; i < data.length; i++) data[i] = (2 * rng.uniform() - 1) * limit;
    } else if (p.init === 'ones') data.fill(1);
    out[p.name] = { data, shape: p.shape };
  }
  return out;
}
/**
 * Checks that `params` holds exactly the state tensors of `spec` (only its trainable parameters with
 * `trainableOnly`, e.g. optimizer moments) with the right shapes.
 */
export function validateParameters(
  spec: ModelSpec,
  params: ParameterSet,
  name = 'params',
  trainableOnly = false,
): void {
  const expected = trainableOnly ? listTrainableParameters(spec) : listParameters(spec);
  const names = new Set(expected.map((p) => p.name));
  for (const key of Object.keys(params)) {
    if (!names.has(key)) throw new RangeError(`${name}: unexpected parameter ${JSON.stringify(key)} for this spec`);
  }
  for (const p of expected) {
    const t = params[p.name];
    if (!t)
      throw new RangeError(`${name}: missing parameter ${JSON.stringify(p.name)} of shape [${p.shape.join(', ')}]`);
    if (
      t.shape.length !== p.shape.length ||
      t.shape.some((d, i) => d !== p.shape[i]) ||
      t.data.length !== sizeOf(p.shape)
    ) {
      throw new RangeError(
        `${name}.${p.name}: expected shape [${p.shape.join(', ')}], got [${t.shape.join(', ')}] with ${t.data.length} values`,
      );
    }
  }
}
