import type { LayerSpec, Tensor } from '@vae/core';
import type { GraphBuilder } from './graph-builder.js';

/**
 * A value flowing through a network graph. `shape` is the logical per-example shape (batch
 * excluded, HWC for spatial values); `layout` says how it is stored: `row-major` is
 * `[batch, ...shape]`, `nchw` is `[batch, C, H, W]` for a logical `[H, W, C]`.
 */
export interface GraphValue {
  readonly name: string;
  readonly shape: readonly number[];
  readonly layout: 'row-major' | 'nchw';
}

/** Everything a layer converter needs. */
export interface LayerConverterContext {
  readonly g: GraphBuilder;
  readonly layer: LayerSpec;
  /** Canonical parameter prefix, e.g. `decoder.2`. */
  readonly prefix: string;
  /** Path for error messages, e.g. `decoder[2] (conv2d-transpose)`. */
  readonly path: string;
  readonly input: GraphValue;
  /** Expected logical output shape (from `describeLayers`). */
  readonly outputShape: readonly number[];
  /** The float32 TF-layout parameter `<prefix>.<suffix>`; throws naming it when missing. */
  param(suffix: 'kernel' | 'bias'): Tensor;
  /**
   * Stores a weight already in ONNX layout at the graph's precision and returns the name of the
   * float32 value; `channelAxis` is the output-channel axis of kernels (`null` for biases).
   */
  weight(name: string, dims: readonly number[], data: Float32Array, channelAxis: number | null): string;
}

/** Converts one layer; returns its output value. */
export type LayerConverter = (ctx: LayerConverterContext) => GraphValue;

const registry = new Map<string, LayerConverter>();

/** Registers (or replaces) the converter of layer type `type`. */
export function registerLayerConverter(type: string, fn: LayerConverter): void {
  if (typeof type !== 'string' || type.length === 0) throw new TypeError(`type: expected a non-empty string, got ${JSON.stringify(type)}`);
  if (typeof fn !== 'function') throw new TypeError(`fn: expected a converter function for ${type}, got ${typeof fn}`);
  registry.set(type, fn);
}

/** Layer types with a registered converter. */
export function listLayerConverters(): string[] {
  return [...registry.keys()];
}

/** The converter of `type`; an unknown type throws a `RangeError` naming the layer at `path`. */
export function getLayerConverter(type: string, path: string): LayerConverter {
  const fn = registry.get(type);
  if (!fn) throw new RangeError(`${path}: unsupported layer type ${JSON.stringify(type)}; expected one of ${listLayerConverters().join('|')}`);
  return fn;
}
