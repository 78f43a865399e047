import { modelKindInfo } from './model-kinds.js';
import { ACTIVATIONS, LIKELIHOODS, inputSize, type LayerSpec, type ModelSpec } from './model-spec.js';
import type { Rng } from './rng.js';
import { sizeOf, type Tensor } from './tensor.js';

/** One trainable parameter: canonical name, shape (TensorFlow layout) and initializer. */
export interface ParameterInfo {
  /** e.g. `encoder.0.kernel`, `encoder.mu.bias`, `decoder.2.kernel`. */
  readonly name: string;
  readonly shape: readonly number[];
  readonly init: 'glorot-uniform' | 'zeros';
  /** Fan-in and fan-out used by Glorot initialization. */
  readonly fanIn: number;
  readonly fanOut: number;
}

/** Parameters by canonical name; the order of {@link listParameters} is the canonical order. */
export type ParameterSet = Record<string, Tensor>;

/** Per-layer output shapes (batch excluded) of one network, as walked by {@link describeLayers}. */
export interface LayerShape {
  /** Canonical parameter prefix, e.g. `decoder.1`; `encoder.mu` for heads. */
  readonly prefix: string;
  readonly layer: LayerSpec;
  readonly inputShape: readonly number[];
  readonly outputShape: readonly number[];
}

function fail(path: string, expected: string, actual: unknown): never {
  throw new RangeError(`${path}: expected ${expected}, got ${JSON.stringify(actual)}`);
}

function positiveInt(v: unknown, path: string): void {
  if (typeof v !== 'number' || !Number.isInteger(v) || v <= 0) fail(path, 'a positive integer', v);
}

function convOut(size: number, k: number, s: number, padding: string, transpose: boolean): number {
  if (transpose) return padding === 'same' ? size * s : (size - 1) * s + k;
  return padding === 'same' ? Math.ceil(size / s) : Math.floor((size - k) / s) + 1;
}

/** Walks `layers` from `input`, returning each layer's input/output shapes; validates as it goes. */
export function describeLayers(layers: readonly LayerSpec[], input: readonly number[], prefix: string, extraDenseInput = 0): LayerShape[] {
  const out: LayerShape[] = [];
  let shape = [...input];
  let firstDense = true;
  layers.forEach((layer, i) => {
    const path = `${prefix}[${i}]`;
    let next: number[];
    let inShape = shape;
    switch (layer?.type) {
      case 'dense': {
        positiveInt(layer.units, `${path}.units`);
        if (!(layer.activation in ACTIVATIONS)) fail(`${path}.activation`, Object.keys(ACTIVATIONS).join('|'), layer.activation);
        const flat = sizeOf(shape) + (firstDense ? extraDenseInput : 0);
        firstDense = false;
        inShape = [flat];
        next = [layer.units];
        break;
      }
      case 'conv2d':
      case 'conv2d-transpose': {
        if (shape.length !== 3) fail(`${path}`, `an HWC input of rank 3 (add a reshape layer)`, shape);
        positiveInt(layer.filters, `${path}.filters`);
        positiveInt(layer.kernelSize, `${path}.kernelSize`);
        positiveInt(layer.strides, `${path}.strides`);
        if (layer.padding !== 'same' && layer.padding !== 'valid') fail(`${path}.padding`, 'same|valid', layer.padding);
        if (!(layer.activation in ACTIVATIONS)) fail(`${path}.activation`, Object.keys(ACTIVATIONS).join('|'), layer.activation);
        const t = layer.type === 'conv2d-transpose';
        const h = convOut(shape[0]!, layer.kernelSize, layer.strides, layer.padding, t);
        const w = convOut(shape[1]!, layer.kernelSize, layer.strides, layer.padding, t);
        if (h <= 0 || w <= 0) fail(`${path}`, 'a kernel no larger than its input', { input: shape, kernelSize: layer.kernelSize });
        next = [h, w, layer.filters];
        break;
      }
      case 'reshape': {
        if (!Array.isArray(layer.shape) || layer.shape.length === 0) fail(`${path}.shape`, 'a non-empty array', layer.shape);
        layer.shape.forEach((d, j) => positiveInt(d, `${path}.shape[${j}]`));
        if (sizeOf(layer.shape) !== sizeOf(shape)) fail(`${path}.shape`, `${sizeOf(shape)} elements (input ${JSON.stringify(shape)})`, layer.shape);
        next = [...layer.shape];
        break;
      }
      case 'flatten':
        next = [sizeOf(shape)];
        break;
      default:
        fail(`${path}.type`, 'dense|conv2d|conv2d-transpose|reshape|flatten', (layer as { type?: unknown } | undefined)?.type);
    }
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
  if (!Array.isArray(spec.imageShape) || spec.imageShape.length !== 3) fail('spec.imageShape', '[H, W, C]', spec.imageShape);
  spec.imageShape.forEach((d, i) => positiveInt(d, `spec.imageShape[${i}]`));
  positiveInt(spec.latentDim, 'spec.latentDim');
  if (!(spec.likelihood in LIKELIHOODS)) fail('spec.likelihood', 'bernoulli|gaussian', spec.likelihood);
  if (!(typeof spec.gaussianSigma === 'number' && spec.gaussianSigma > 0)) fail('spec.gaussianSigma', 'a positive number', spec.gaussianSigma);
  if (info.conditional) positiveInt(spec.numClasses, 'spec.numClasses');
  else if (spec.numClasses !== 0) fail('spec.numClasses', `0 for kind ${spec.kind}`, spec.numClasses);
  if (!(spec.codeActivation in ACTIVATIONS)) fail('spec.codeActivation', Object.keys(ACTIVATIONS).join('|'), spec.codeActivation);
  if (!(typeof spec.beta === 'number' && spec.beta >= 0 && Number.isFinite(spec.beta))) fail('spec.beta', 'a finite number ≥ 0', spec.beta);
  if (spec.kind === 'sparse-ae') {
    const s = spec.sparsity;
    if (!s || (s.type !== 'l1' && s.type !== 'kl')) fail('spec.sparsity', "{ type: 'l1', weight } or { type: 'kl', rho, weight }", s);
    if (!(s.weight >= 0)) fail('spec.sparsity.weight', 'a number ≥ 0', s.weight);
    if (s.type === 'kl') {
      if (!(s.rho > 0 && s.rho < 1)) fail('spec.sparsity.rho', 'a number in (0, 1)', s.rho);
      if (spec.codeActivation !== 'sigmoid') fail('spec.codeActivation', "'sigmoid' for KL-sparsity (ρ̂ must lie in (0, 1))", spec.codeActivation);
    }
  }
  if (spec.kind === 'denoising-ae') {
    const n = spec.noise;
    if (!n) fail('spec.noise', 'a noise spec', n);
    if (n.type === 'gaussian') {
      if (!(n.sigma >= 0)) fail('spec.noise.sigma', 'a number ≥ 0', n.sigma);
    } else if (n.type === 'mask' || n.type === 'salt-pepper') {
      if (!(n.fraction >= 0 && n.fraction <= 1)) fail('spec.noise.fraction', 'a number in [0, 1]', n.fraction);
    } else fail('spec.noise.type', 'mask|gaussian|salt-pepper', (n as { type?: unknown }).type);
  }
  if (spec.kind === 'contractive-ae') {
    if (!(typeof spec.contractiveWeight === 'number' && spec.contractiveWeight >= 0)) fail('spec.contractiveWeight', 'a number ≥ 0', spec.contractiveWeight);
    if (spec.encoder.length !== 0) fail('spec.encoder', '[] for contractive-ae (the closed-form penalty is for one sigmoid layer x → h)', spec.encoder.map((l) => l.type));
    if (spec.codeActivation !== 'sigmoid') fail('spec.codeActivation', "'sigmoid' for contractive-ae", spec.codeActivation);
  }
  const d = inputSize(spec);
  const encoder = describeLayers(spec.encoder, [d], 'encoder', spec.numClasses);
  const encOut = encoder.length ? encoder[encoder.length - 1]!.outputShape : [d];
  const hasDense = spec.encoder.some((l) => l.type === 'dense');
  const headInput = sizeOf(encOut) + (hasDense ? 0 : spec.numClasses);
  if (!Array.isArray(spec.decoder) || spec.decoder.length === 0) fail('spec.decoder', 'at least one layer (the output layer)', spec.decoder);
  const decoder = describeLayers(spec.decoder, [spec.latentDim + spec.numClasses], 'decoder');
  const last = decoder[decoder.length - 1]!;
  if (sizeOf(last.outputShape) !== d) fail('spec.decoder', `a last layer with ${d} outputs (${spec.imageShape.join('×')})`, last.outputShape);
  const lastIndex = decoder.findLastIndex((l) => l.layer.type === 'dense' || l.layer.type === 'conv2d' || l.layer.type === 'conv2d-transpose');
  const lastParam = decoder[lastIndex];
  if (!lastParam) fail('spec.decoder', 'at least one dense or convolutional layer', spec.decoder.map((l) => l.type));
  const act = (lastParam.layer as { activation: string }).activation;
  if (act !== 'linear') fail(`decoder[${lastIndex}].activation`, "'linear' (the last layer outputs logits or the mean)", act);
  if (lastParam.outputShape.length === 3 && (lastParam.outputShape[0] !== spec.imageShape[0] || lastParam.outputShape[1] !== spec.imageShape[1])) {
    fail('spec.decoder', `a spatial output of ${spec.imageShape.join('×')}`, lastParam.outputShape);
  }
  return { encoder, headInput, decoder };
}

function layerParams(l: LayerShape): ParameterInfo[] {
  const { layer, inputShape, outputShape, prefix } = l;
  if (layer.type === 'dense') {
    const fanIn = inputShape[0]!;
    return [
      { name: `${prefix}.kernel`, shape: [fanIn, layer.units], init: 'glorot-uniform', fanIn, fanOut: layer.units },
      { name: `${prefix}.bias`, shape: [layer.units], init: 'zeros', fanIn, fanOut: layer.units },
    ];
  }
  if (layer.type === 'conv2d' || layer.type === 'conv2d-transpose') {
    const k = layer.kernelSize;
    const inC = inputShape[2]!;
    const outC = outputShape[2]!;
    const shape = layer.type === 'conv2d' ? [k, k, inC, outC] : [k, k, outC, inC];
    const fanIn = k * k * (layer.type === 'conv2d' ? inC : outC);
    const fanOut = k * k * (layer.type === 'conv2d' ? outC : inC);
    return [
      { name: `${prefix}.kernel`, shape, init: 'glorot-uniform', fanIn, fanOut },
      { name: `${prefix}.bias`, shape: [outC], init: 'zeros', fanIn, fanOut },
    ];
  }
  return [];
}

/** Every trainable parameter of `spec`, in canonical order (encoder, heads, decoder). */
export function listParameters(spec: ModelSpec): ParameterInfo[] {
  const layout = validateModelSpec(spec);
  const params = layout.encoder.flatMap(layerParams);
  const heads = modelKindInfo(spec.kind).variational ? ['mu', 'logvar'] : ['code'];
  for (const h of heads) {
    const fanIn = layout.headInput;
    params.push(
      { name: `encoder.${h}.kernel`, shape: [fanIn, spec.latentDim], init: 'glorot-uniform', fanIn, fanOut: spec.latentDim },
      { name: `encoder.${h}.bias`, shape: [spec.latentDim], init: 'zeros', fanIn, fanOut: spec.latentDim },
    );
  }
  params.push(...layout.decoder.flatMap(layerParams));
  return params;
}

/**
 * Initial parameters drawn from `rng` (Glorot-uniform kernels, zero biases), in canonical order,
 * so every engine starts from identical weights for the same seed.
 */
export function initParameters(spec: ModelSpec, rng: Rng): ParameterSet {
  const out: ParameterSet = {};
  for (const p of listParameters(spec)) {
    const data = new Float32Array(sizeOf(p.shape));
    if (p.init === 'glorot-uniform') {
      const limit = Math.sqrt(6 / (p.fanIn + p.fanOut));
      for (let i = 0; i < data.length; i++) data[i] = (2 * rng.uniform() - 1) * limit;
    }
    out[p.name] = { data, shape: p.shape };
  }
  return out;
}

/** Checks that `params` holds exactly the parameters of `spec` with the right shapes. */
export function validateParameters(spec: ModelSpec, params: ParameterSet, name = 'params'): void {
  const expected = listParameters(spec);
  const names = new Set(expected.map((p) => p.name));
  for (const key of Object.keys(params)) {
    if (!names.has(key)) throw new RangeError(`${name}: unexpected parameter ${JSON.stringify(key)} for this spec`);
  }
  for (const p of expected) {
    const t = params[p.name];
    if (!t) throw new RangeError(`${name}: missing parameter ${JSON.stringify(p.name)} of shape [${p.shape.join(', ')}]`);
    if (t.shape.length !== p.shape.length || t.shape.some((d, i) => d !== p.shape[i]) || t.data.length !== sizeOf(p.shape)) {
      throw new RangeError(`${name}.${p.name}: expected shape [${p.shape.join(', ')}], got [${t.shape.join(', ')}] with ${t.data.length} values`);
    }
  }
}
