import { registerModelKind } from '../model-kinds.js';
import { variationalObjective } from '../objective-terms.js';

declare module '../model-spec.js' {
  interface ModelKindMap {
    cvae: true;
  }
}

/** The label reaches the encoder and decoder through the network; the objective is the ELBO's. */
registerModelKind('cvae', {
  variational: true,
  conditional: true,
  corruptsInput: false,
  heads: ['mu', 'logvar'],
  objective: variationalObjective,
  description: 'conditional VAE (one-hot label into encoder and decoder)',
});
