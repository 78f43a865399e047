import type { Conv2dTransposeLayer } from '../model-spec.js';
import { convAttributes, convOutputShape } from './conv-padding-impl.js';
import { biasState } from './spec-checks.js';
import { registerLayer, type LayerDefinition } from './layer-registry.js';
import { emitActivation, toNchw } from './op-emitter.js';

/**
 * `conv2d-transpose` with TF's output size rule; emitted as an NCHW ConvTranspose with the kernel as
 * `[inC, outC, kh, kw]` and pads/output_padding that give TF's size and alignment.
 */
export const conv2dTransposeLayer: LayerDefinition<Conv2dTransposeLayer> = {
  type: 'conv2d-transpose',
  description: 'transposed 2-D convolution; kernel [kh, kw, outC, inC], bias [outC]',
  outputShape: (layer, input, path) => convOutputShape(layer, input, path, true),
  state(layer, { inputShape }) {
    const k = layer.kernelSize;
    const inC = inputShape[2]!;
    const common = { fanIn: k * k * layer.filters, fanOut: k * k * inC, trainable: true };
    return [
      { suffix: 'kernel', shape: [k, k, layer.filters, inC], init: 'glorot-uniform', ...common },
      ...biasState(layer, { suffix: 'bias', shape: [layer.filters], init: 'zeros' as const, ...common }),
    ];
  },
  activation: (layer) => layer.activation,
  emit(e, layer, { prefix, outputShape }, input) {
    const x = toNchw(e, input, prefix);
    const [h, w] = x.shape as [number, number];
    const [oh, ow, oc] = outputShape as [number, number, number];
    const kernel = e.state('kernel', { perm: [3, 2, 0, 1], channelAxis: 1 });
    const bias = layer.useBias === false ? [] : [e.state('bias')];
    const y = e.op('ConvTranspose', [x.t, kernel, ...bias], convAttributes(layer, h, w, true), ['batch', oc, oh, ow]);
    return { t: emitActivation(e, layer.activation, y), shape: outputShape, layout: 'nchw' };
  },
};

registerLayer(conv2dTransposeLayer);
