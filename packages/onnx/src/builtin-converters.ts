import type { Conv2dLayer, Conv2dTransposeLayer, DenseLayer, ReshapeLayer } from '@vae/core';
import { applyActivation } from './activations.js';
import { convPadding, convTransposePadding } from './conv-padding-impl.js';
import { registerLayerConverter, type LayerConverter } from './layer-converters.js';
import { toFlat, toNchw, toRowMajor } from './layout-ops.js';
import { permute } from './permute-impl.js';

/** `dense`: flattens (HWC order), then Gemm with the TF `[in, out]` kernel and the bias. */
export const denseConverter: LayerConverter = (ctx) => {
  const layer = ctx.layer as DenseLayer;
  const x = toFlat(ctx.g, ctx.input);
  const kernel = ctx.param('kernel');
  const bias = ctx.param('bias');
  if (kernel.shape[0] !== x.shape[0]) {
    throw new RangeError(`${ctx.path}: expected a kernel with ${x.shape[0]} input rows, got [${kernel.shape.join(', ')}]`);
  }
  const w = ctx.weight(`${ctx.prefix}.kernel`, kernel.shape, kernel.data, 1);
  const b = ctx.weight(`${ctx.prefix}.bias`, bias.shape, bias.data, null);
  const y = ctx.g.op('Gemm', [x.name, w, b]);
  return { name: applyActivation(ctx.g, layer.activation, y, ctx.path), shape: [layer.units], layout: 'row-major' };
};

/** `conv2d`: NCHW Conv with the kernel as `[outC, inC, kh, kw]` and TF padding as explicit pads. */
export const conv2dConverter: LayerConverter = (ctx) => {
  const layer = ctx.layer as Conv2dLayer;
  const x = toNchw(ctx.g, ctx.input, ctx.path);
  const [h, w] = x.shape as [number, number, number];
  const k = layer.kernelSize;
  const ph = convPadding(h, k, layer.strides, layer.padding);
  const pw = convPadding(w, k, layer.strides, layer.padding);
  const kernel = ctx.param('kernel');
  const onnxKernel = permute(kernel.data, kernel.shape, [3, 2, 0, 1]);
  const bias = ctx.param('bias');
  const wName = ctx.weight(`${ctx.prefix}.kernel`, onnxKernel.dims, onnxKernel.data, 0);
  const bName = ctx.weight(`${ctx.prefix}.bias`, bias.shape, bias.data, null);
  const y = ctx.g.op('Conv', [x.name, wName, bName], {
    kernel_shape: [k, k],
    strides: [layer.strides, layer.strides],
    pads: [ph.begin, pw.begin, ph.end, pw.end],
    dilations: [1, 1],
    group: 1,
  });
  return { name: applyActivation(ctx.g, layer.activation, y, ctx.path), shape: [ph.outputSize, pw.outputSize, layer.filters], layout: 'nchw' };
};

/**
 * `conv2d-transpose`: NCHW ConvTranspose with the TF `[kh, kw, outC, inC]` kernel as
 * `[inC, outC, kh, kw]`, and pads/output_padding that give TF's output size and alignment.
 */
export const conv2dTransposeConverter: LayerConverter = (ctx) => {
  const layer = ctx.layer as Conv2dTransposeLayer;
  const x = toNchw(ctx.g, ctx.input, ctx.path);
  const [h, w] = x.shape as [number, number, number];
  const k = layer.kernelSize;
  const ph = convTransposePadding(h, k, layer.strides, layer.padding);
  const pw = convTransposePadding(w, k, layer.strides, layer.padding);
  const kernel = ctx.param('kernel');
  const onnxKernel = permute(kernel.data, kernel.shape, [3, 2, 0, 1]);
  const bias = ctx.param('bias');
  const wName = ctx.weight(`${ctx.prefix}.kernel`, onnxKernel.dims, onnxKernel.data, 1);
  const bName = ctx.weight(`${ctx.prefix}.bias`, bias.shape, bias.data, null);
  const y = ctx.g.op('ConvTranspose', [x.name, wName, bName], {
    kernel_shape: [k, k],
    strides: [layer.strides, layer.strides],
    pads: [ph.begin, pw.begin, ph.end, pw.end],
    output_padding: [ph.outputPadding, pw.outputPadding],
    dilations: [1, 1],
    group: 1,
  });
  return { name: applyActivation(ctx.g, layer.activation, y, ctx.path), shape: [ph.outputSize, pw.outputSize, layer.filters], layout: 'nchw' };
};

/** `reshape`: row-major Reshape to `[batch, ...shape]` (the batch dimension is copied with 0). */
export const reshapeConverter: LayerConverter = (ctx) => {
  const layer = ctx.layer as ReshapeLayer;
  const x = toRowMajor(ctx.g, ctx.input);
  const shape = ctx.g.constInt64(`${ctx.prefix}.shape`, [0, ...layer.shape]);
  return { name: ctx.g.op('Reshape', [x.name, shape]), shape: [...layer.shape], layout: 'row-major' };
};

/** `flatten`: row-major Flatten (HWC order). */
export const flattenConverter: LayerConverter = (ctx) => toFlat(ctx.g, ctx.input);

registerLayerConverter('dense', denseConverter);
registerLayerConverter('conv2d', conv2dConverter);
registerLayerConverter('conv2d-transpose', conv2dTransposeConverter);
registerLayerConverter('reshape', reshapeConverter);
registerLayerConverter('flatten', flattenConverter);
