/** TensorFlow padding rules expressed as explicit ONNX pads, pure maths (one spatial axis). */

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
  if (padding === 'valid') return { begin: 0, end: 0, outputPadding: 0, outputSize: Math.floor((size - kernel) / stride) + 1 };
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
export function convTransposePadding(size: number, kernel: number, stride: number, padding: 'same' | 'valid'): AxisPadding {
  if (padding === 'valid') return { begin: 0, end: 0, outputPadding: 0, outputSize: (size - 1) * stride + kernel };
  const out = size * stride;
  const total = Math.max((size - 1) * stride + kernel - out, 0);
  const begin = Math.floor(total / 2);
  const end = total - begin;
  const outputPadding = out - (stride * (size - 1) + kernel - begin - end);
  return { begin, end, outputPadding, outputSize: out };
}
