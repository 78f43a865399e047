import { specFail as fail } from '../layers/spec-checks.js';
import { registerModelKind } from '../model-kinds.js';
import type { ModelSpec } from '../model-spec.js';
import { autoencoderObjective } from '../objective-terms.js';

declare module '../model-spec.js' {
  interface ModelKindMap {
    'denoising-ae': true;
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

/** The encoder reads the corrupted input (an engine input); the objective is the plain reconstruction against the clean x. */
registerModelKind('denoising-ae', {
  variational: false,
  conditional: false,
  corruptsInput: true,
  heads: ['code'],
  objective: (ops, io) => autoencoderObjective(ops, io, null),
  validate: validateNoise,
  defaults: { fields: { noise: { type: 'mask', fraction: 0.3 } } },
  description: 'denoising autoencoder (mask, Gaussian or salt-and-pepper noise)',
});
