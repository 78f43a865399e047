import type { Conv2dTransposeLayer } from '../model-spec.js';
import { convOutputShape, convState, emitConv } from './conv-common.js';
import { registerLayer, type LayerDefinition } from './layer-registry.js';

/**
 * `conv2d-transpose` with TF's output size rule; emitted as an NCHW ConvTranspose with the kernel as
 * `[inC, outC, kh, kw]` and pads/output_padding that give TF's size and alignment.
 */
export const conv2dTransposeLayer: LayerDefinition<Conv2dTransposeLayer> = {
  type: 'conv2d-transpose',
  description: 'transposed 2-D convolution; kernel [kh, kw, outC, inC], bias [outC]',
  outputShape: (layer, input, path) => convOutputShape(layer, input, path, true),
  state: (layer, { inputShape }) => convState(layer, inputShape[2]!, true),
  activation: (layer) => layer.activation,
  emit: (e, layer, shape, input) => emitConv(e, layer, shape, input, true),
};

registerLayer(conv2dTransposeLayer);
