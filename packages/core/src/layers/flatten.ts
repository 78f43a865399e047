import type { FlattenLayer } from '../model-spec.js';
import { sizeOf } from '../tensor.js';
import { registerLayer, type LayerDefinition } from './layer-registry.js';
import { toFlat } from './op-emitter.js';

/** `flatten`: flattens spatial features in HWC order. */
export const flattenLayer: LayerDefinition<FlattenLayer> = {
  type: 'flatten',
  description: 'flattens the features in HWC order',
  outputShape: (_layer, input) => [sizeOf(input)],
  emit: (e, _layer, _shape, input) => toFlat(e, input),
};

registerLayer(flattenLayer);
