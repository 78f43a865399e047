import type { GraphBuilder } from './graph-builder.js';
import type { GraphValue } from './layer-converters.js';

/** `value` in row-major (HWC) layout, transposing NCHW → NHWC when needed. */
export function toRowMajor(g: GraphBuilder, value: GraphValue): GraphValue {
  if (value.layout === 'row-major') return value;
  return { name: g.op('Transpose', [value.name], { perm: [0, 2, 3, 1] }), shape: value.shape, layout: 'row-major' };
}

/** `value` (logical HWC) in NCHW layout, transposing NHWC → NCHW when needed. */
export function toNchw(g: GraphBuilder, value: GraphValue, path: string): GraphValue {
  if (value.layout === 'nchw') return value;
  if (value.shape.length !== 3) throw new RangeError(`${path}: expected an HWC input of rank 3, got [${value.shape.join(', ')}]`);
  return { name: g.op('Transpose', [value.name], { perm: [0, 3, 1, 2] }), shape: value.shape, layout: 'nchw' };
}

/** `value` as a flat `[batch, n]` row-major tensor (HWC order kept). */
export function toFlat(g: GraphBuilder, value: GraphValue): GraphValue {
  const rm = toRowMajor(g, value);
  if (rm.shape.length === 1) return rm;
  const n = rm.shape.reduce((a, b) => a * b, 1);
  return { name: g.op('Flatten', [rm.name], { axis: 1 }), shape: [n], layout: 'row-major' };
}
