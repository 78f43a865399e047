import { modelKindInfo } from './model-kinds.js';
import type { Activation, LayerSpec, Likelihood, ModelKind, ModelSpec, NoiseSpec, SparsitySpec } from './model-spec.js';
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
}

/** Convolutional hidden layers for 28×28 (or any H, W divisible by 4) images. */
function convNetworks(h: number, w: number, c: number): { encoder: LayerSpec[]; decoder: LayerSpec[] } {
  if (h % 4 !== 0 || w % 4 !== 0) {
    throw new RangeError(`imageShape: expected H and W divisible by 4 for the conv architecture, got ${h}×${w}`);
  }
  const conv = (filters: number): LayerSpec => ({ type: 'conv2d', filters, kernelSize: 4, strides: 2, padding: 'same', activation: 'relu' });
  const deconv = (filters: number, activation: Activation): LayerSpec => ({ type: 'conv2d-transpose', filters, kernelSize: 4, strides: 2, padding: 'same', activation });
  return {
    encoder: [{ type: 'reshape', shape: [h, w, c] }, conv(32), conv(64), { type: 'flatten' }, { type: 'dense', units: 256, activation: 'relu' }],
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
    if (architecture !== 'mlp') throw new RangeError(`architecture: expected 'mlp' for ${kind} (one sigmoid layer), got ${JSON.stringify(architecture)}`);
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
  const fields: Record<string, unknown> = {};
  for (const [name, value] of Object.entries(defaults.fields ?? {})) fields[name] = options[name as keyof typeof defaults.fields] ?? value;
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
