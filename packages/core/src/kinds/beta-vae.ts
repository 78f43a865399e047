import { registerModelKind } from '../model-kinds.js';
import { variationalObjective } from '../objective-terms.js';

declare module '../model-spec.js' {
  interface ModelKindMap {
    'beta-vae': true;
  }
}

registerModelKind('beta-vae', {
  variational: true,
  conditional: false,
  corruptsInput: false,
  heads: ['mu', 'logvar'],
  objective: variationalObjective,
  defaults: { beta: 4 },
  description: 'β-VAE (KL weighted by β)',
});
