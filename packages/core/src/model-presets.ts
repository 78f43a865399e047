import { modelKindInfo } from './model-kinds.js';
import { BATCH_NORM_DEFAULTS } from './layers/batch-norm.js';
import type {
  Activation,
  Conv2dLayer,
  Conv2dTransposeLayer,
  DenseLayer,
  LayerSpec,
  Likelihood,
  ModelKind,
  ModelSpec,
  NoiseSpec,
  SparsitySpec,
} from './model-spec.js';
import { validateModelSpec } from './model-shapes.js';

/** Network families the presets can build. */
export const ARCHITECTURES = Object.freeze({ mlp: 'mlp', conv: 'conv' });
/** An architecture name. */
export type Architecture = keyof typeof ARCHITECTURES;

/** Options of {@link createModelSpec}; every field has a default. */
export interface ModelSpecOptions {
  readonly kind?: ModelKind;
  readonly architecture?: Architecture;
  readonly imageShape?: readonly [number, number, number];
  /** Hidden sizes of MLP networks (the decoder mirrors them). Default `[400]`. */
  readonly hidden?: readonly number[];
  /** Hidden activation of MLP networks. Default `relu`. */
  readonly activation?: Extract<Activation, 'relu' | 'tanh'>;
  /** Default 20 for variational kinds, 32 for autoencoders. */
  readonly latentDim?: number;
  readonly likelihood?: Likelihood;
  readonly gaussianSigma?: number;
  readonly numClasses?: number;
  readonly beta?: number;
  readonly sparsity?: SparsitySpec;
  readonly noise?: NoiseSpec;
  readonly contractiveWeight?: number;
  /** Normalisation after each hidden dense/conv layer, before its activation (default `none`). */
  readonly norm?: Norm;
}

/** Normalisations the presets can insert. */
export const NORMS = Object.freeze({
  none: 'no normalisation',
  batch: 'batch normalisation after each hidden dense/conv layer, before its activation',
});
/** A normalisation name. */
export type Norm = keyof typeof NORMS;

/**
 * `layers` with a `batch-norm` (carrying the activation) after every dense/conv layer, whose own
 * activation becomes linear and whose bias is dropped (β replaces it; a bias before the
 * normalisation has no gradient and would only drift under Adam); `keepLast` leaves the last such layer alone (the decoder's output).
 */
export function withBatchNorm(layers: readonly LayerSpec[], keepLast: boolean): LayerSpec[] {
  const affine = (l: LayerSpec): l is DenseLayer | Conv2dLayer | Conv2dTransposeLayer =>
    l.type === 'dense' || l.type === 'conv2d' || l.type === 'conv2d-transpose';
  const last = keepLast ? layers.findLastIndex(affine) : -1;
  return layers.flatMap((l, i): LayerSpec[] => {
    if (!affine(l) || i === last) return [l];
    return [
      { ...l, activation: 'linear', useBias: false },
      { type: 'batch-norm', activation: l.activation, ...BATCH_NORM_DEFAULTS },
    ];
  });
}

/** Convolutional hidden layers for 28×28 (or any H, W divisible by 4) images. */
function convNetworks(h: number, w: number, c: number): { encoder: LayerSpec[]; decoder: LayerSpec[] } {
  if (h % 4 !== 0 || w % 4 !== 0) {
    throw new RangeError(`imageShape: expected H and W divisible by 4 for the conv architecture, got ${h}×${w}`);
  }
  const conv = (filters: number): LayerSpec => ({
    type: 'conv2d',
    filters,
    kernelSize: 4,
    strides: 2,
    padding: 'same',
    activation: 'relu',
  });
  const deconv = (filters: number, activation: Activation): LayerSpec => ({
    type: 'conv2d-transpose',
    filters,
    kernelSize: 4,
    strides: 2,
    padding: 'same',
    activation,
  });
  return {
    encoder: [
      { type: 'reshape', shape: [h, w, c] },
      conv(32),
      conv(64),
      { type: 'flatten' },
      { type: 'dense', units: 256, activation: 'relu' },
    ],
    decoder: [
      { type: 'dense', units: 256, activation: 'relu' },
      { type: 'dense', units: (h / 4) * (w / 4) * 64, activation: 'relu' },
      { type: 'reshape', shape: [h / 4, w / 4, 64] },
      deconv(32, 'relu'),
      deconv(c, 'linear'),
      { type: 'flatten' },
    ],
  };
}

/**
 * A validated spec for `kind` with sensible defaults (the reference model is the 784-400-20 MLP VAE
 * with a Bernoulli likelihood).
 */
export function createModelSpec(options: ModelSpecOptions = {}): ModelSpec {
  const kind = options.kind ?? 'vae';
  const info = modelKindInfo(kind);
  const defaults = info.defaults ?? {};
  const imageShape = options.imageShape ?? [28, 28, 1];
  const [h, w, c] = imageShape;
  const d = h * w * c;
  const architecture = options.architecture ?? 'mlp';
  const activation = options.activation ?? 'relu';
  const hidden = options.hidden ?? [400];
  let encoder: LayerSpec[];
  let decoder: LayerSpec[];
  if (defaults.singleLayer) {
    if (architecture !== 'mlp')
      throw new RangeError(
        `architecture: expected 'mlp' for ${kind} (one sigmoid layer), got ${JSON.stringify(architecture)}`,
      );
    encoder = [];
    decoder = [{ type: 'dense', units: d, activation: 'linear' }];
  } else if (architecture === 'conv') {
    ({ encoder, decoder } = convNetworks(h, w, c));
  } else if (architecture === 'mlp') {
    encoder = hidden.map((units) => ({ type: 'dense', units, activation }));
    decoder = [...hidden].reverse().map((units): LayerSpec => ({ type: 'dense', units, activation }));
    decoder.push({ type: 'dense', units: d, activation: 'linear' });
  } else {
    throw new RangeError(`architecture: expected mlp|conv, got ${JSON.stringify(architecture)}`);
  }
  const norm = options.norm ?? 'none';
  if (!(norm in NORMS))
    throw new RangeError(`norm: expected one of ${Object.keys(NORMS).join('|')}, got ${JSON.stringify(norm)}`);
  if (norm === 'batch') {
    if (defaults.singleLayer)
      throw new RangeError(`norm: expected 'none' for ${kind} (its code layer has a closed-form penalty), got 'batch'`);
    encoder = withBatchNorm(encoder, false);
    decoder = withBatchNorm(decoder, true);
  }
  const fields: Record<string, unknown> = {};
  for (const [name, value] of Object.entries(defaults.fields ?? {}))
    fields[name] = options[name as keyof typeof defaults.fields] ?? value;
  const needsSigmoidCode = defaults.sigmoidCode || (fields.sparsity as SparsitySpec | undefined)?.type === 'kl';
  const spec: ModelSpec = {
    specVersion: 1,
    kind,
    imageShape: [h, w, c],
    latentDim: options.latentDim ?? (info.variational ? 20 : 32),
    numClasses: info.conditional ? (options.numClasses ?? 10) : 0,
    likelihood: options.likelihood ?? 'bernoulli',
    gaussianSigma: options.gaussianSigma ?? 0.1,
    encoder,
    decoder,
    codeActivation: needsSigmoidCode ? 'sigmoid' : 'linear',
    beta: options.beta ?? defaults.beta ?? 1,
    ...fields,
  };
  validateModelSpec(spec);
  return spec;
}
