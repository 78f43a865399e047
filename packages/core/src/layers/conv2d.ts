import type { Conv2dLayer } from '../model-spec.js';
import { convAttributes, convOutputShape } from './conv-padding-impl.js';
import { biasState } from './spec-checks.js';
import { registerLayer, type LayerDefinition } from './layer-registry.js';
import { emitActivation, toNchw } from './op-emitter.js';

/** `conv2d` over HWC with TF padding; emitted as an NCHW Conv with explicit pads. */
export const conv2dLayer: LayerDefinition<Conv2dLayer> = {
  type: 'conv2d',
  description: '2-D convolution; kernel [kh, kw, inC, outC], bias [outC]',
  outputShape: (layer, input, path) => convOutputShape(layer, input, path, false),
  state(layer, { inputShape }) {
    const k = layer.kernelSize;
    const inC = inputShape[2]!;
    const common = { fanIn: k * k * inC, fanOut: k * k * layer.filters, trainable: true };
    return [
      { suffix: 'kernel', shape: [k, k, inC, layer.filters], init: 'glorot-uniform', ...common },
      ...biasState(layer, { suffix: 'bias', shape: [layer.filters], init: 'zeros' as const, ...common }),
    ];
  },
  activation: (layer) => layer.activation,
  emit(e, layer, { prefix, outputShape }, input) {
    const x = toNchw(e, input, prefix);
    const [h, w] = x.shape as [number, number];
    const [oh, ow, oc] = outputShape as [number, number, number];
    const kernel = e.state('kernel', { perm: [3, 2, 0, 1], channelAxis: 0 });
    const bias = layer.useBias === false ? [] : [e.state('bias')];
    const y = e.op('Conv', [x.t, kernel, ...bias], convAttributes(layer, h, w, false), ['batch', oc, oh, ow]);
    return { t: emitActivation(e, layer.activation, y), shape: outputShape, layout: 'nchw' };
  },
};

registerLayer(conv2dLayer);
