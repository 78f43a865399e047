import { registerModelKind } from '../model-kinds.js';
import { variationalObjective } from '../objective-terms.js';

declare module '../model-spec.js' {
  interface ModelKindMap {
    vae: true;
  }
}

registerModelKind('vae', {
  variational: true,
  conditional: false,
  corruptsInput: false,
  heads: ['mu', 'logvar'],
  objective: variationalObjective,
  description: 'variational autoencoder',
});
