import type { ReshapeLayer } from '../model-spec.js';
import { sizeOf } from '../tensor.js';
import { registerLayer, type LayerDefinition } from './layer-registry.js';
import { toRowMajor } from './op-emitter.js';
import { positiveInt, specFail } from './spec-checks.js';

/** `reshape`: row-major Reshape of the features (batch kept), e.g. `[784] → [28, 28, 1]`. */
export const reshapeLayer: LayerDefinition<ReshapeLayer> = {
  type: 'reshape',
  description: 'reshapes the features (batch excluded), row-major',
  outputShape(layer, input, path) {
    if (!Array.isArray(layer.shape) || layer.shape.length === 0)
      specFail(`${path}.shape`, 'a non-empty array', layer.shape);
    layer.shape.forEach((d, j) => positiveInt(d, `${path}.shape[${j}]`));
    if (sizeOf(layer.shape) !== sizeOf(input))
      specFail(`${path}.shape`, `${sizeOf(input)} elements (input ${JSON.stringify(input)})`, layer.shape);
    return [...layer.shape];
  },
  emit(e, layer, _shape, input) {
    const x = toRowMajor(e, input);
    return {
      t: e.op('Reshape', [x.t, e.ints([0, ...layer.shape])], {}, ['batch', ...layer.shape]),
      shape: [...layer.shape],
      layout: 'row-major',
    };
  },
};

registerLayer(reshapeLayer);
