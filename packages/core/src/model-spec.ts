/**
 * The one framework-neutral description of a model. The TensorFlow.js network, the ONNX inference
 * graphs and the ONNX training graphs are all built from a {@link ModelSpec}, so they agree by
 * construction.
 *
 * Conventions shared by every builder:
 * - The model's external input `x` is always flat, `[batch, D]` with `D = H·W·C`, pixels in [0, 1]
 *   in HWC order (the order of IDX files). Spatial layers work in HWC (channels last); an ONNX builder
 *   that works in NCHW must transpose so that flattened features keep HWC order.
 * - The decoder's last layer produces logits for Bernoulli likelihoods and the mean for Gaussian ones,
 *   flat `[batch, D]` (a final spatial output is flattened in HWC order).
 * - For conditional models the one-hot label `y` `[batch, K]` is concatenated to the input of the
 *   encoder's first dense layer (or of its heads when it has none) and to `z` at the decoder input.
 * - Variational encoders end in two dense heads, `encoder.mu` and `encoder.logvar`; plain autoencoders
 *   end in one head `encoder.code` with {@link ModelSpec.codeActivation}.
 */

/** Activation functions, as a frozen table so the set can be listed and validated. */
export const ACTIVATIONS = Object.freeze({
  linear: 'linear',
  relu: 'relu',
  /** max(x, 0.01·x): PyTorch's `LeakyReLU()` default slope ({@link LEAKY_RELU_SLOPE}). */
  'leaky-relu': 'leaky-relu',
  tanh: 'tanh',
  sigmoid: 'sigmoid',
});
/** Slope of `leaky-relu` for negative inputs (PyTorch's `nn.LeakyReLU` default, as in PyTorch-VAE). */
export const LEAKY_RELU_SLOPE = 0.01;
/** An activation name. */
export type Activation = keyof typeof ACTIVATIONS;

/** Likelihoods of the decoder. */
export const LIKELIHOODS = Object.freeze({ bernoulli: 'bernoulli', gaussian: 'gaussian' });
/** A likelihood name. */
export type Likelihood = keyof typeof LIKELIHOODS;

/** Fully connected layer; kernel `[in, out]`, bias `[out]`. Flattens a spatial input first. */
export interface DenseLayer {
  readonly type: 'dense';
  readonly units: number;
  readonly activation: Activation;
  /** Adds the bias (default true; false before a normalisation, which cancels it). */
  readonly useBias?: boolean;
}

/** 2-D convolution over HWC; kernel `[kh, kw, inC, outC]`, bias `[outC]`. */
export interface Conv2dLayer {
  readonly type: 'conv2d';
  readonly filters: number;
  readonly kernelSize: number;
  readonly strides: number;
  readonly padding: 'same' | 'valid';
  readonly activation: Activation;
  /** Adds the bias (default true; false before a normalisation, which cancels it). */
  readonly useBias?: boolean;
}

/**
 * Transposed 2-D convolution over HWC with TensorFlow's output size rule (`same`: in·stride,
 * `valid`: (in−1)·stride + k); kernel `[kh, kw, outC, inC]`, bias `[outC]`.
 */
export interface Conv2dTransposeLayer {
  readonly type: 'conv2d-transpose';
  readonly filters: number;
  readonly kernelSize: number;
  readonly strides: number;
  readonly padding: 'same' | 'valid';
  readonly activation: Activation;
  /** Adds the bias (default true; false before a normalisation, which cancels it). */
  readonly useBias?: boolean;
}

/** Reshapes features (batch excluded), e.g. `[784] → [28, 28, 1]`. */
export interface ReshapeLayer {
  readonly type: 'reshape';
  readonly shape: readonly number[];
}

/** Flattens spatial features in HWC order. */
export interface FlattenLayer {
  readonly type: 'flatten';
}

/**
 * The layer spec of each layer type, keyed by type name. A layer defined in its own file adds its
 * spec here by declaration merging (`declare module '…/model-spec.js' { interface LayerSpecMap { … } }`)
 * next to its `registerLayer` call.
 */
export interface LayerSpecMap {
  dense: DenseLayer;
  conv2d: Conv2dLayer;
  'conv2d-transpose': Conv2dTransposeLayer;
  reshape: ReshapeLayer;
  flatten: FlattenLayer;
}

/** Any layer of a spec. */
export type LayerSpec = LayerSpecMap[keyof LayerSpecMap];
/** A layer type name. */
export type LayerType = LayerSpec['type'];

/** How the denoising autoencoder corrupts its input (the target stays clean). */
export type NoiseSpec =
  | { readonly type: 'mask'; readonly fraction: number }
  | { readonly type: 'gaussian'; readonly sigma: number }
  | { readonly type: 'salt-pepper'; readonly fraction: number };

/** Sparsity penalty on the code of a sparse autoencoder. */
export type SparsitySpec =
  | { readonly type: 'l1'; readonly weight: number }
  | { readonly type: 'kl'; readonly rho: number; readonly weight: number };

/**
 * The model kinds, keyed by name. A kind defined in its own file under `kinds/` adds its name here by
 * declaration merging (`declare module '../model-spec.js' { interface ModelKindMap { … } }`) next to
 * its `registerModelKind` call.
 */
// biome-ignore lint/suspicious/noEmptyInterface: filled by declaration merging in each kind's file.
export interface ModelKindMap {}

/** A model kind name; see `modelKindInfo` for its properties. */
export type ModelKind = keyof ModelKindMap & string;

/**
 * Spec fields a kind defined in its own file adds (e.g. `beta-tcvae`'s `tcvae`), by declaration merging
 * next to its `registerModelKind` call; both {@link ModelSpec} and `ModelSpecOptions` carry them.
 */
// biome-ignore lint/suspicious/noEmptyInterface: filled by declaration merging in kind files.
export interface KindFields {}

/** The complete, serializable description of one model. */
export interface ModelSpec extends KindFields {
  /** Schema version of this object. */
  readonly specVersion: 1;
  readonly kind: ModelKind;
  /** Image shape `[H, W, C]`; the flat input size is their product. */
  readonly imageShape: readonly [number, number, number];
  readonly latentDim: number;
  /** Number of classes of the one-hot label (conditional models), else 0. */
  readonly numClasses: number;
  readonly likelihood: Likelihood;
  /** Fixed standard deviation of the Gaussian likelihood (ignored for Bernoulli). */
  readonly gaussianSigma: number;
  /** Hidden layers of the encoder, before its head(s). */
  readonly encoder: readonly LayerSpec[];
  /** Layers of the decoder; the last one outputs logits (Bernoulli) or the mean (Gaussian). */
  readonly decoder: readonly LayerSpec[];
  /** Activation of the code head of plain autoencoders (ignored by variational ones). */
  readonly codeActivation: Activation;
  /** Weight of the KL term (1 = VAE; > 1 = β-VAE). Variational kinds only. */
  readonly beta: number;
  /** Sparse AE only. */
  readonly sparsity?: SparsitySpec;
  /** Denoising AE only. */
  readonly noise?: NoiseSpec;
  /** Contractive AE only: weight λ of Σⱼ(hⱼ(1−hⱼ))²Σᵢ Wⱼᵢ². */
  readonly contractiveWeight?: number;
}

/** The flat input size `H·W·C` of a spec. */
export function inputSize(spec: Pick<ModelSpec, 'imageShape'>): number {
  const [h, w, c] = spec.imageShape;
  return h * w * c;
}
