import type { Activation, LayerSpec } from '../model-spec.js';
import type { LayerEmitter, LayerValue } from './op-emitter.js';

/** How a state tensor starts: Glorot-uniform (from `fanIn`/`fanOut`), all zeros or all ones. */
export type StateInit = 'glorot-uniform' | 'zeros' | 'ones';

/**
 * One state tensor of a model: a trainable parameter (updated by the optimizer) or a buffer
 * (`trainable: false`, e.g. batch-norm running statistics: checkpointed and exported, never given
 * optimizer moments, updated by the layer's own rule during training).
 */
export interface ParameterInfo {
  /** e.g. `encoder.0.kernel`, `encoder.mu.bias`, `decoder.2.running_mean`. */
  readonly name: string;
  readonly shape: readonly number[];
  readonly init: StateInit;
  /** Fan-in and fan-out used by Glorot initialization. */
  readonly fanIn: number;
  readonly fanOut: number;
  /** False for buffers. */
  readonly trainable: boolean;
}

/** Per-layer shapes (batch excluded) of one network, as walked by `describeLayers`. */
export interface LayerShape {
  /** Canonical state prefix, e.g. `decoder.1`; `encoder.mu` for heads. */
  readonly prefix: string;
  readonly layer: LayerSpec;
  /** The input as the layer consumes it (flattened, label included, for layers that take the label). */
  readonly inputShape: readonly number[];
  readonly outputShape: readonly number[];
}

/** A state tensor of one layer, named by its suffix (`kernel`, `bias`, `running_mean`, …). */
export type LayerStateInfo = Omit<ParameterInfo, 'name'> & { readonly suffix: string };

/**
 * Everything the product knows about one layer type, written once: validation and shape rule,
 * state (parameters and buffers) and its ONNX emission. The emission is written against
 * {@link LayerEmitter}, which both the exported inference graphs and the training tape implement,
 * so the training forward pass is the inference graph by construction. (TensorFlow.js needs its
 * own builder, registered by `@vae/train` under the same type name.)
 */
export interface LayerDefinition<L extends { readonly type: string } = LayerSpec> {
  readonly type: L['type'];
  /** One line for docs and errors. */
  readonly description: string;
  /**
   * Flattens its input (HWC order) and, for conditional models, takes the one-hot label
   * concatenated to the input of the first such layer of the encoder.
   */
  readonly takesLabel?: boolean;
  /**
   * Validates the layer's fields and returns its output shape for `input` (batch excluded; the
   * flattened input, label included, for {@link takesLabel} layers). Errors are `RangeError`s
   * naming `path.field`, the expected and the actual value.
   */
  outputShape(layer: L, input: readonly number[], path: string): number[];
  /** Parameters and buffers of the layer (none when omitted). */
  state?(layer: L, shape: LayerShape): LayerStateInfo[];
  /** The activation the layer ends with, if it has one. */
  activation?(layer: L): Activation;
  /** Emits the layer; returns its output value (shape {@link LayerShape.outputShape}). */
  emit(e: LayerEmitter, layer: L, shape: LayerShape, input: LayerValue): LayerValue;
}

const registry = new Map<string, LayerDefinition<{ readonly type: string }>>();

/** Registers (or replaces) the definition of layer type `def.type`. */
export function registerLayer<L extends { readonly type: string }>(def: LayerDefinition<L>): void {
  if (!def || typeof def.type !== 'string' || def.type.length === 0)
    throw new TypeError(`def.type: expected a non-empty string, got ${JSON.stringify(def?.type)}`);
  for (const fn of ['outputShape', 'emit'] as const) {
    if (typeof def[fn] !== 'function')
      throw new TypeError(`def.${fn}: expected a function for layer type ${def.type}, got ${typeof def[fn]}`);
  }
  registry.set(def.type, def as unknown as LayerDefinition<{ readonly type: string }>);
}

/** The registered layer types, in registration order. */
export function listLayerTypes(): string[] {
  return [...registry.keys()];
}

/** The definition of `type`; an unknown type throws a `RangeError` naming it and the registered ones. */
export function getLayerDefinition(type: unknown, path: string): LayerDefinition {
  const def = typeof type === 'string' ? registry.get(type) : undefined;
  if (!def)
    throw new RangeError(`${path}.type: expected one of ${listLayerTypes().join('|')}, got ${JSON.stringify(type)}`);
  return def as unknown as LayerDefinition;
}
