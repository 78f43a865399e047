/** What conv2d and conv2d-transpose share: TensorFlow padding rules as explicit ONNX pads, validation, state and emission. */
import type { Activation } from '../model-spec.js';
import type { LayerShape, LayerStateInfo } from './layer-registry.js';
import { emitActivation, toNchw, type LayerEmitter, type LayerValue } from './op-emitter.js';
import { biasState, checkActivation, checkUseBias, positiveInt, specFail } from './spec-checks.js';

/** Explicit padding of one spatial axis: ONNX `pads` begin/end and ConvTranspose `output_padding`. */
export interface AxisPadding {
  readonly begin: number;
  readonly end: number;
  readonly outputPadding: number;
  readonly outputSize: number;
}

/**
 * Conv2D: TensorFlow `same` gives out = ⌈in/s⌉ and pads total = max((out−1)·s + k − in, 0),
 * ⌊total/2⌋ before and the rest after (TF pads more at the end); `valid` pads nothing.
 */
export function convPadding(size: number, kernel: number, stride: number, padding: 'same' | 'valid'): AxisPadding {
  if (padding === 'valid')
    return { begin: 0, end: 0, outputPadding: 0, outputSize: Math.floor((size - kernel) / stride) + 1 };
  const out = Math.ceil(size / stride);
  const total = Math.max((out - 1) * stride + kernel - size, 0);
  const begin = Math.floor(total / 2);
  return { begin, end: total - begin, outputPadding: 0, outputSize: out };
}

/**
 * Conv2DTranspose as the gradient of the TensorFlow convolution that maps the output size back to
 * `size`. `same`: out = in·s, cropping ⌊total/2⌋ at the start with total = max(k − s, 0) and adding
 * `output_padding` = s − k + total at the end; `valid`: out = (in−1)·s + k, no padding.
 * ONNX: out = s·(in−1) + output_padding + k − begin − end.
 */
export function convTransposePadding(
  size: number,
  kernel: number,
  stride: number,
  padding: 'same' | 'valid',
): AxisPadding {
  if (padding === 'valid') return { begin: 0, end: 0, outputPadding: 0, outputSize: (size - 1) * stride + kernel };
  const out = size * stride;
  const total = Math.max((size - 1) * stride + kernel - out, 0);
  const begin = Math.floor(total / 2);
  const end = total - begin;
  const outputPadding = out - (stride * (size - 1) + kernel - begin - end);
  return { begin, end, outputPadding, outputSize: out };
}

/** The fields both convolution layer types share. */
export interface ConvFields {
  readonly filters: number;
  readonly kernelSize: number;
  readonly strides: number;
  readonly padding: 'same' | 'valid';
}

/**
 * Validates a convolution's fields against its HWC `input` and returns its output shape
 * `[oh, ow, filters]` (`transpose`: TF's Conv2DTranspose size rule).
 */
export function convOutputShape(
  layer: ConvFields & { readonly activation: unknown },
  input: readonly number[],
  path: string,
  transpose: boolean,
): number[] {
  if (input.length !== 3) specFail(path, 'an HWC input of rank 3 (add a reshape layer)', input);
  positiveInt(layer.filters, `${path}.filters`);
  positiveInt(layer.kernelSize, `${path}.kernelSize`);
  positiveInt(layer.strides, `${path}.strides`);
  if (layer.padding !== 'same' && layer.padding !== 'valid') specFail(`${path}.padding`, 'same|valid', layer.padding);
  checkActivation(layer.activation, `${path}.activation`);
  checkUseBias((layer as { useBias?: unknown }).useBias, `${path}.useBias`);
  const rule = transpose ? convTransposePadding : convPadding;
  const h = rule(input[0]!, layer.kernelSize, layer.strides, layer.padding).outputSize;
  const w = rule(input[1]!, layer.kernelSize, layer.strides, layer.padding).outputSize;
  if (h <= 0 || w <= 0) specFail(path, 'a kernel no larger than its input', { input, kernelSize: layer.kernelSize });
  return [h, w, layer.filters];
}

/** The ONNX Conv/ConvTranspose attributes of a layer over an `[h, w]` input. */
export function convAttributes(
  layer: ConvFields,
  h: number,
  w: number,
  transpose: boolean,
): Record<string, readonly number[] | number> {
  const rule = transpose ? convTransposePadding : convPadding;
  const ph = rule(h, layer.kernelSize, layer.strides, layer.padding);
  const pw = rule(w, layer.kernelSize, layer.strides, layer.padding);
  const k = layer.kernelSize;
  return {
    kernel_shape: [k, k],
    strides: [layer.strides, layer.strides],
    pads: [ph.begin, pw.begin, ph.end, pw.end],
    ...(transpose ? { output_padding: [ph.outputPadding, pw.outputPadding] } : {}),
    dilations: [1, 1],
    group: 1,
  };
}

/**
 * Kernel, bias (unless `useBias: false`) of a convolution over `inC` channels: conv2d keeps TF's
 * `[k, k, inC, outC]`, conv2d-transpose `[k, k, outC, inC]` (fans swap accordingly).
 */
export function convState(
  layer: ConvFields & { readonly useBias?: boolean },
  inC: number,
  transpose: boolean,
): LayerStateInfo[] {
  const k = layer.kernelSize;
  const outC = layer.filters;
  const common = { fanIn: k * k * (transpose ? outC : inC), fanOut: k * k * (transpose ? inC : outC), trainable: true };
  return [
    { suffix: 'kernel', shape: transpose ? [k, k, outC, inC] : [k, k, inC, outC], init: 'glorot-uniform', ...common },
    ...biasState(layer, { suffix: 'bias', shape: [outC], init: 'zeros' as const, ...common }),
  ];
}

/**
 * Emits an NCHW Conv (or ConvTranspose with the kernel as `[inC, outC, kh, kw]`) with TF's padding as
 * explicit pads, then the activation.
 */
export function emitConv(
  e: LayerEmitter,
  layer: ConvFields & { readonly useBias?: boolean; readonly activation: Activation },
  shape: LayerShape,
  input: LayerValue,
  transpose: boolean,
): LayerValue {
  const x = toNchw(e, input, shape.prefix);
  const [h, w] = x.shape as [number, number];
  const [oh, ow, oc] = shape.outputShape as [number, number, number];
  const kernel = e.state('kernel', { perm: [3, 2, 0, 1], channelAxis: transpose ? 1 : 0 });
  const bias = layer.useBias === false ? [] : [e.state('bias')];
  const y = e.op(transpose ? 'ConvTranspose' : 'Conv', [x.t, kernel, ...bias], convAttributes(layer, h, w, transpose), [
    'batch',
    oc,
    oh,
    ow,
  ]);
  return { t: emitActivation(e, layer.activation, y), shape: shape.outputShape, layout: 'nchw' };
}
