import type { Precision } from '@vae/core';
import { toFloat16Array } from './float16-impl.js';
import type { GraphBuilder } from './graph-builder.js';
import { quantizePerChannel } from './quantize-impl.js';

/** A float32 weight in ONNX layout, to be stored at some precision. */
export interface WeightRequest {
  /** Initializer name (the canonical parameter name, e.g. `encoder.0.kernel`). */
  readonly name: string;
  readonly dims: readonly number[];
  readonly data: Float32Array;
  /** Output-channel axis of a kernel (int8 quantizes per index of it); `null` for biases. */
  readonly channelAxis: number | null;
}

/** Stores a weight and returns the name of a float32 value holding it (dequantized/cast in-graph). */
export type WeightWriter = (g: GraphBuilder, w: WeightRequest) => string;

/** How each precision stores weights; graph inputs and outputs stay float32 for all of them. */
export const WEIGHT_WRITERS: Readonly<Record<Precision, WeightWriter>> = Object.freeze({
  fp32: (g, w) => g.initializer(w.name, { dtype: 'float32', dims: w.dims, data: w.data }),
  fp16: (g, w) => {
    const half = g.initializer(`${w.name}.fp16`, { dtype: 'float16', dims: w.dims, data: toFloat16Array(w.data) });
    return g.op('Cast', [half], { to: 1 }, w.name);
  },
  int8: (g, w) => {
    if (w.channelAxis === null) return g.initializer(w.name, { dtype: 'float32', dims: w.dims, data: w.data });
    const { q, scale } = quantizePerChannel(w.data, w.dims, w.channelAxis);
    const qName = g.initializer(`${w.name}.int8`, { dtype: 'int8', dims: w.dims, data: q });
    const sName = g.initializer(`${w.name}.scale`, { dtype: 'float32', dims: [scale.length], data: scale });
    const zName = g.initializer(`${w.name}.zero_point`, {
      dtype: 'int8',
      dims: [scale.length],
      data: new Int8Array(scale.length),
    });
    return g.op('DequantizeLinear', [qName, sName, zName], { axis: w.channelAxis }, w.name);
  },
});

/** The writer for `precision`, or a `RangeError` listing the known precisions. */
export function weightWriter(precision: string): WeightWriter {
  const writer = (WEIGHT_WRITERS as Record<string, WeightWriter | undefined>)[precision];
  if (!writer)
    throw new RangeError(
      `precision: expected one of ${Object.keys(WEIGHT_WRITERS).join('|')}, got ${JSON.stringify(precision)}`,
    );
  return writer;
}
