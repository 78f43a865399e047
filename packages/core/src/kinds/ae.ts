import { registerModelKind } from '../model-kinds.js';
import { autoencoderObjective } from '../objective-terms.js';

declare module '../model-spec.js' {
  interface ModelKindMap {
    ae: true;
  }
}

registerModelKind('ae', {
  variational: false,
  conditional: false,
  corruptsInput: false,
  heads: ['code'],
  objective: (ops, io) => autoencoderObjective(ops, io, null),
  description: 'undercomplete autoencoder',
});
