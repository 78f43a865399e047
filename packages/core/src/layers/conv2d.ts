import type { Conv2dLayer } from '../model-spec.js';
import { convOutputShape, convState, emitConv } from './conv-common.js';
import { registerLayer, type LayerDefinition } from './layer-registry.js';

/** `conv2d` over HWC with TF padding; emitted as an NCHW Conv with explicit pads. */
export const conv2dLayer: LayerDefinition<Conv2dLayer> = {
  type: 'conv2d',
  description: '2-D convolution; kernel [kh, kw, inC, outC], bias [outC]',
  outputShape: (layer, input, path) => convOutputShape(layer, input, path, false),
  state: (layer, { inputShape }) => convState(layer, inputShape[2]!, false),
  activation: (layer) => layer.activation,
  emit: (e, layer, shape, input) => emitConv(e, layer, shape, input, false),
};

registerLayer(conv2dLayer);
