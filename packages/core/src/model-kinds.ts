import { specFail as fail } from './layers/spec-checks.js';
import type { ModelKind, ModelSpec } from './model-spec.js';

/**
 * The term a kind adds to the reconstruction NLL: `kl` (β·KL(q(z|x) ‖ N(0, I)), variational kinds),
 * `sparsity` (`spec.sparsity` on the code), `contractive` (`spec.contractiveWeight`·‖∂h/∂x‖²_F of the
 * sigmoid code layer), or `none`. Each backend implements each term once, keyed by this name.
 */
export type RegularizerName = 'kl' | 'sparsity' | 'contractive' | 'none';

/** Kind-specific defaults a preset fills in (see `createModelSpec`). */
export interface KindDefaults {
  readonly beta?: number;
  /** The code head's activation must be sigmoid (closed-form contractive penalty, KL-sparsity's ρ̂ ∈ (0, 1)). */
  readonly sigmoidCode?: boolean;
  /** The encoder is the code layer alone and the decoder one dense layer (no architecture choice). */
  readonly singleLayer?: boolean;
  /** The kind's own fields and their defaults (options may override them). */
  readonly fields?: Partial<Pick<ModelSpec, 'sparsity' | 'noise' | 'contractiveWeight'>>;
}

/** Everything the product knows about one model kind, declared once. */
export interface ModelKindInfo {
  /** Encoder outputs μ and log σ² and the objective is an ELBO; needs ε `[batch, latentDim]`. */
  readonly variational: boolean;
  /** Takes a one-hot label `y` `[batch, numClasses]`. */
  readonly conditional: boolean;
  /** The encoder reads a corrupted copy of `x` (`spec.noise`); the target stays clean. */
  readonly corruptsInput: boolean;
  /** The regularizer of the objective (see {@link RegularizerName}). */
  readonly regularizer: RegularizerName;
  /** The encoder's dense heads (`encoder.<head>`): `mu` and `logvar`, or `code`. */
  readonly heads: readonly string[];
  /** One-line description for `--help`. */
  readonly description: string;
  /** Validates the kind's own spec fields (errors name the field, the expected and the actual value). */
  readonly validate?: (spec: ModelSpec) => void;
  readonly defaults?: KindDefaults;
}

const VARIATIONAL = {
  variational: true,
  corruptsInput: false,
  regularizer: 'kl',
  heads: Object.freeze(['mu', 'logvar']),
} as const;
const AUTOENCODER = { variational: false, conditional: false, heads: Object.freeze(['code']) } as const;

function validateSparsity(spec: ModelSpec): void {
  const s = spec.sparsity;
  if (!s || (s.type !== 'l1' && s.type !== 'kl'))
    fail('spec.sparsity', "{ type: 'l1', weight } or { type: 'kl', rho, weight }", s);
  if (!(s.weight >= 0)) fail('spec.sparsity.weight', 'a number ≥ 0', s.weight);
  if (s.type === 'kl') {
    if (!(s.rho > 0 && s.rho < 1)) fail('spec.sparsity.rho', 'a number in (0, 1)', s.rho);
    if (spec.codeActivation !== 'sigmoid')
      fail('spec.codeActivation', "'sigmoid' for KL-sparsity (ρ̂ must lie in (0, 1))", spec.codeActivation);
  }
}

function validateNoise(spec: ModelSpec): void {
  const n = spec.noise;
  if (!n) fail('spec.noise', 'a noise spec', n);
  if (n.type === 'gaussian') {
    if (!(n.sigma >= 0)) fail('spec.noise.sigma', 'a number ≥ 0', n.sigma);
  } else if (n.type === 'mask' || n.type === 'salt-pepper') {
    if (!(n.fraction >= 0 && n.fraction <= 1)) fail('spec.noise.fraction', 'a number in [0, 1]', n.fraction);
  } else fail('spec.noise.type', 'mask|gaussian|salt-pepper', (n as { type?: unknown }).type);
}

function validateContractive(spec: ModelSpec): void {
  if (!(typeof spec.contractiveWeight === 'number' && spec.contractiveWeight >= 0))
    fail('spec.contractiveWeight', 'a number ≥ 0', spec.contractiveWeight);
  if (spec.encoder.length !== 0)
    fail(
      'spec.encoder',
      '[] for contractive-ae (the closed-form penalty is for one sigmoid layer x → h)',
      spec.encoder.map((l) => l.type),
    );
  if (spec.codeActivation !== 'sigmoid')
    fail('spec.codeActivation', "'sigmoid' for contractive-ae", spec.codeActivation);
}

/** The model kinds the product supports, keyed by the name the CLI accepts. */
export const MODEL_KINDS: Readonly<Record<ModelKind, ModelKindInfo>> = Object.freeze({
  ae: { ...AUTOENCODER, corruptsInput: false, regularizer: 'none', description: 'undercomplete autoencoder' },
  'sparse-ae': {
    ...AUTOENCODER,
    corruptsInput: false,
    regularizer: 'sparsity',
    validate: validateSparsity,
    defaults: { fields: { sparsity: { type: 'kl', rho: 0.05, weight: 1 } } },
    description: 'sparse autoencoder (L1 or KL-sparsity on the code)',
  },
  'denoising-ae': {
    ...AUTOENCODER,
    corruptsInput: true,
    regularizer: 'none',
    validate: validateNoise,
    defaults: { fields: { noise: { type: 'mask', fraction: 0.3 } } },
    description: 'denoising autoencoder (mask, Gaussian or salt-and-pepper noise)',
  },
  'contractive-ae': {
    ...AUTOENCODER,
    corruptsInput: false,
    regularizer: 'contractive',
    validate: validateContractive,
    defaults: { sigmoidCode: true, singleLayer: true, fields: { contractiveWeight: 0.1 } },
    description: 'contractive autoencoder (closed-form Jacobian penalty, sigmoid code)',
  },
  vae: { ...VARIATIONAL, conditional: false, description: 'variational autoencoder' },
  'beta-vae': { ...VARIATIONAL, conditional: false, defaults: { beta: 4 }, description: 'β-VAE (KL weighted by β)' },
  cvae: { ...VARIATIONAL, conditional: true, description: 'conditional VAE (one-hot label into encoder and decoder)' },
});

/** Kind names, for CLI choices. */
export const MODEL_KIND_NAMES = Object.freeze(Object.keys(MODEL_KINDS) as ModelKind[]);

/** Info for `kind`, or a `RangeError` listing the known kinds. */
export function modelKindInfo(kind: string): ModelKindInfo {
  const info = Object.hasOwn(MODEL_KINDS, kind) ? (MODEL_KINDS as Record<string, ModelKindInfo>)[kind] : undefined;
  if (!info) throw new RangeError(`kind: expected one of ${MODEL_KIND_NAMES.join('|')}, got ${JSON.stringify(kind)}`);
  return info;
}
