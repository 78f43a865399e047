import type { ModelKind } from './model-spec.js';

/** Properties of one model kind. */
export interface ModelKindInfo {
  /** Encoder outputs μ and log σ² and the objective is an ELBO. */
  readonly variational: boolean;
  /** Takes a one-hot label. */
  readonly conditional: boolean;
  /** One-line description for `--help`. */
  readonly description: string;
}

/** The model kinds the product supports, keyed by the name the CLI accepts. */
export const MODEL_KINDS: Readonly<Record<ModelKind, ModelKindInfo>> = Object.freeze({
  ae: { variational: false, conditional: false, description: 'undercomplete autoencoder' },
  'sparse-ae': { variational: false, conditional: false, description: 'sparse autoencoder (L1 or KL-sparsity on the code)' },
  'denoising-ae': { variational: false, conditional: false, description: 'denoising autoencoder (mask, Gaussian or salt-and-pepper noise)' },
  'contractive-ae': { variational: false, conditional: false, description: 'contractive autoencoder (closed-form Jacobian penalty, sigmoid code)' },
  vae: { variational: true, conditional: false, description: 'variational autoencoder' },
  'beta-vae': { variational: true, conditional: false, description: 'β-VAE (KL weighted by β)' },
  cvae: { variational: true, conditional: true, description: 'conditional VAE (one-hot label into encoder and decoder)' },
});

/** Kind names, for CLI choices. */
export const MODEL_KIND_NAMES = Object.freeze(Object.keys(MODEL_KINDS) as ModelKind[]);

/** Info for `kind`, or a `RangeError` listing the known kinds. */
export function modelKindInfo(kind: string): ModelKindInfo {
  const info = (MODEL_KINDS as Record<string, ModelKindInfo | undefined>)[kind];
  if (!info) throw new RangeError(`kind: expected one of ${MODEL_KIND_NAMES.join('|')}, got ${JSON.stringify(kind)}`);
  return info;
}
