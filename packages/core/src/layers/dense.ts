import type { DenseLayer } from '../model-spec.js';
import { registerLayer, type LayerDefinition } from './layer-registry.js';
import { emitActivation, toFlat } from './op-emitter.js';
import { biasState, checkActivation, checkUseBias, positiveInt } from './spec-checks.js';

/** `dense`: flattens (HWC order), then `x·kernel + bias` (ONNX Gemm) and the activation. */
export const denseLayer: LayerDefinition<DenseLayer> = {
  type: 'dense',
  description: 'fully connected layer; kernel [in, out], bias [out]',
  takesLabel: true,
  outputShape(layer, _input, path) {
    positiveInt(layer.units, `${path}.units`);
    checkActivation(layer.activation, `${path}.activation`);
    checkUseBias(layer.useBias, `${path}.useBias`);
    return [layer.units];
  },
  state(layer, { inputShape }) {
    const fanIn = inputShape[0]!;
    const common = { fanIn, fanOut: layer.units, trainable: true };
    return [
      { suffix: 'kernel', shape: [fanIn, layer.units], init: 'glorot-uniform', ...common },
      ...biasState(layer, { suffix: 'bias', shape: [layer.units], init: 'zeros' as const, ...common }),
    ];
  },
  activation: (layer) => layer.activation,
  emit(e, layer, _shape, input) {
    const x = toFlat(e, input);
    const bias = layer.useBias === false ? [] : [e.state('bias')];
    const y = e.op('Gemm', [x.t, e.state('kernel', { channelAxis: 1 }), ...bias], {}, ['batch', layer.units]);
    return { t: emitActivation(e, layer.activation, y), shape: [layer.units], layout: 'row-major' };
  },
};

registerLayer(denseLayer);
