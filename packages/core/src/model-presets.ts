import { sizeText } from './image-size.js';
import { modelKindInfo } from './model-kinds.js';
import { BATCH_NORM_DEFAULTS } from './layers/batch-norm.js';
import type {
  Activation,
  Conv2dLayer,
  Conv2dTransposeLayer,
  DenseLayer,
  KindFields,
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
export interface ModelSpecOptions extends KindFields {
  readonly kind?: ModelKind;
  readonly architecture?: Architecture;
  /**
   * The conv architecture's network: `auto` (default) picks by image size ({@link convPresetFor});
   * a name from {@link CONV_PRESETS} asks for that one (an error when the image size does not fit it).
   */
  readonly convPreset?: ConvPresetName | 'auto';
  readonly imageShape?: readonly [number, number, number];
  /** Hidden sizes of MLP networks (the decoder mirrors them). Default `[400]`. */
  readonly hidden?: readonly number[];
  /** Hidden activation of MLP networks. Default `relu`. */
  readonly activation?: Extract<Activation, 'relu' | 'leaky-relu' | 'tanh'>;
  /** Default 20 for variational kinds, 32 for autoencoders; 128 for the VanillaVAE conv presets (PyTorch-VAE's). */
  readonly latentDim?: number;
  readonly likelihood?: Likelihood;
  readonly gaussianSigma?: number;
  readonly numClasses?: number;
  readonly beta?: number;
  readonly sparsity?: SparsitySpec;
  readonly noise?: NoiseSpec;
  readonly contractiveWeight?: number;
  /**
   * Normalisation after each hidden dense/conv layer, before its activation (default `none`; `batch`
   * for the VanillaVAE conv presets).
   */
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
 * `layers` with a `batch-norm` (carrying the activation) after every dense/conv layer that has an
 * activation, whose own activation becomes linear and whose bias is dropped (β replaces it; a bias
 * before the normalisation has no gradient and would only drift under Adam). Linear layers stay as
 * they are (VanillaVAE's `decoder_input`); `keepLast` leaves the last dense/conv layer alone (the decoder's output).
 */
export function withBatchNorm(layers: readonly LayerSpec[], keepLast: boolean): LayerSpec[] {
  const affine = (l: LayerSpec): l is DenseLayer | Conv2dLayer | Conv2dTransposeLayer =>
    l.type === 'dense' || l.type === 'conv2d' || l.type === 'conv2d-transpose';
  const last = keepLast ? layers.findLastIndex(affine) : -1;
  return layers.flatMap((l, i): LayerSpec[] => {
    if (!affine(l) || i === last || l.activation === 'linear') return [l];
    return [
      { ...l, activation: 'linear', useBias: false },
      { type: 'batch-norm', activation: l.activation, ...BATCH_NORM_DEFAULTS },
    ];
  });
}

/** The hidden layers of a conv preset and the defaults it brings. */
interface ConvNetworks {
  readonly preset: ConvPresetName;
  readonly encoder: LayerSpec[];
  readonly decoder: LayerSpec[];
  /** Defaults of the preset's reference (used when the options leave them out). */
  readonly defaults: { readonly norm: Norm; readonly latentDim?: number };
}

/**
 * The conv presets `architecture: 'conv'` chooses from by image size (see {@link convPresetFor}):
 * what each one is, for help texts and errors.
 */
export const CONV_PRESETS = Object.freeze({
  'conv-small':
    'H and W divisible by 4 (e.g. 28×28×1), except 32×32 and 64×64: conv 32-64 (kernel 4, stride 2, ReLU), dense 256; decoder mirrored',
  'vanilla-32':
    "32×32×C: PyTorch-VAE's VanillaVAE with 4 stages, conv 32-64-128-256 (kernel 3, stride 2) + batch norm + LeakyReLU, latent 128; decoder mirrored with transposed convs, a final conv to C channels",
  'vanilla-64':
    "64×64×C: PyTorch-VAE's VanillaVAE (its CelebA 64×64 network), conv 32-64-128-256-512 (kernel 3, stride 2) + batch norm + LeakyReLU, latent 128; decoder mirrored with transposed convs, a final conv to C channels",
});
/** A conv preset name. */
export type ConvPresetName = keyof typeof CONV_PRESETS;

/** Channel widths of the VanillaVAE stages by (square) image side: each stride-2 stage halves it down to 2×2. */
const VANILLA_STAGES: Readonly<Record<number, readonly number[]>> = Object.freeze({
  32: Object.freeze([32, 64, 128, 256]),
  64: Object.freeze([32, 64, 128, 256, 512]),
});

/** PyTorch-VAE's latent size for CelebA 64×64 (`configs/vae.yaml`). */
const VANILLA_LATENT = 128;

/** Today's small conv network for 28×28 (or any H, W divisible by 4). */
function smallConvNetworks(h: number, w: number, c: number): ConvNetworks {
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
    preset: 'conv-small',
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
    defaults: { norm: 'none' },
  };
}

/**
 * PyTorch-VAE's `VanillaVAE` (AntixK/PyTorch-VAE, models/vanilla_vae.py) for a `side`×`side`×`c`
 * image: encoder stages `Conv2d(k3, s2)` → BatchNorm → LeakyReLU down to 2×2, flattened into the
 * heads; decoder `Linear(latent → 2·2·last)` (no activation), then mirrored
 * `ConvTranspose2d(k3, s2)` → BatchNorm → LeakyReLU stages, one more to the full size with the first
 * width, and a final `Conv2d(k3, s1)` to `c` channels. Differences: TensorFlow `same` padding (same
 * shapes and parameters; the one-pixel pad sits at the end where PyTorch pads both sides), and the
 * output is linear (Bernoulli logits or the Gaussian mean) where VanillaVAE ends in tanh for an MSE.
 * Batch norm is added by `withBatchNorm` (the preset's default norm).
 */
function vanillaNetworks(side: number, c: number, stages: readonly number[]): ConvNetworks {
  const layer = (type: 'conv2d' | 'conv2d-transpose', filters: number, strides: number, activation: Activation) =>
    ({ type, filters, kernelSize: 3, strides, padding: 'same', activation }) as LayerSpec;
  const last = stages[stages.length - 1]!;
  const reversed = [...stages].reverse();
  return {
    preset: side === 64 ? 'vanilla-64' : 'vanilla-32',
    encoder: [
      { type: 'reshape', shape: [side, side, c] },
      ...stages.map((f) => layer('conv2d', f, 2, 'leaky-relu')),
      { type: 'flatten' },
    ],
    decoder: [
      { type: 'dense', units: 2 * 2 * last, activation: 'linear' },
      { type: 'reshape', shape: [2, 2, last] },
      ...reversed.slice(1).map((f) => layer('conv2d-transpose', f, 2, 'leaky-relu')),
      layer('conv2d-transpose', stages[0]!, 2, 'leaky-relu'),
      layer('conv2d', c, 1, 'linear'),
      { type: 'flatten' },
    ],
    defaults: { norm: 'batch', latentDim: VANILLA_LATENT },
  };
}

/**
 * The conv preset for an `[H, W, C]` image: `vanilla-64` for 64×64, `vanilla-32` for 32×32 (any C),
 * `conv-small` for other sizes with H and W divisible by 4 (28×28×1 as before); any other size is a
 * `RangeError` naming the supported ones. `preset` other than `auto` is checked against the size.
 */
export function convPresetFor(
  imageShape: readonly [number, number, number],
  preset: ConvPresetName | 'auto' = 'auto',
): ConvPresetName {
  return convNetworks(...imageShape, preset).preset;
}

function convNetworks(h: number, w: number, c: number, preset: ConvPresetName | 'auto' = 'auto'): ConvNetworks {
  if (preset !== 'auto' && !(preset in CONV_PRESETS))
    throw new RangeError(
      `convPreset: expected auto or one of ${Object.keys(CONV_PRESETS).join('|')}, got ${JSON.stringify(preset)}`,
    );
  const stages = h === w ? VANILLA_STAGES[h] : undefined;
  if (preset === 'vanilla-32' || preset === 'vanilla-64') {
    const side = preset === 'vanilla-64' ? 64 : 32;
    if (h !== side || w !== side)
      throw new RangeError(
        `convPreset: expected images of ${sizeText(side, side)} for ${preset}, got ${sizeText(h, w, c)}`,
      );
    return vanillaNetworks(side, c, VANILLA_STAGES[side]!);
  }
  if (stages && preset === 'auto') return vanillaNetworks(h, c, stages);
  if (h % 4 !== 0 || w % 4 !== 0) {
    if (preset === 'conv-small')
      throw new RangeError(
        `convPreset: expected a height and width divisible by 4 for conv-small, got ${sizeText(h, w, c)}`,
      );
    throw new RangeError(
      `imageShape: expected ${sizeText(32, 32)}, ${sizeText(64, 64)} (PyTorch-VAE's VanillaVAE) or a height and width divisible by 4 (the small conv network) for the conv architecture, got ${sizeText(h, w, c)}`,
    );
  }
  return smallConvNetworks(h, w, c);
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
  let presetDefaults: ConvNetworks['defaults'] = { norm: 'none' };
  if (defaults.singleLayer) {
    if (architecture !== 'mlp')
      throw new RangeError(
        `architecture: expected 'mlp' for ${kind} (one sigmoid layer), got ${JSON.stringify(architecture)}`,
      );
    encoder = [];
    decoder = [{ type: 'dense', units: d, activation: 'linear' }];
  } else if (architecture === 'conv') {
    ({ encoder, decoder, defaults: presetDefaults } = convNetworks(h, w, c, options.convPreset));
  } else if (architecture === 'mlp') {
    encoder = hidden.map((units) => ({ type: 'dense', units, activation }));
    decoder = [...hidden].reverse().map((units): LayerSpec => ({ type: 'dense', units, activation }));
    decoder.push({ type: 'dense', units: d, activation: 'linear' });
  } else {
    throw new RangeError(`architecture: expected mlp|conv, got ${JSON.stringify(architecture)}`);
  }
  const norm = options.norm ?? presetDefaults.norm;
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
    latentDim: options.latentDim ?? presetDefaults.latentDim ?? (info.variational ? 20 : 32),
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
