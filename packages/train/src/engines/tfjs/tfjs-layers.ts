import type { Conv2dLayer, Conv2dTransposeLayer, DenseLayer, LayerShape, LayerSpec, ReshapeLayer } from '@vae/core';
import { listLayerTypes } from '@vae/core';
import { TF_ACTIVATIONS } from './activations-tf.js';
import { conv2dOp, conv2dTransposeOp } from './tfjs-conv.js';
import { tf } from './tf.js';

/** What a tfjs layer builder gets. */
export interface TfLayerContext<L extends { readonly type: string } = LayerSpec> {
  readonly layer: L;
  readonly shape: LayerShape;
  /** The input, `[batch, ...shape.inputShape]` (flattened, label included, for layers that take the label). */
  readonly x: tf.Tensor;
  /** The layer's state tensor `<prefix>.<suffix>`; throws naming it when missing. */
  state(suffix: string): tf.Tensor;
  /** Training step (batch statistics) rather than evaluation. */
  readonly training: boolean;
  /** Training only: the value buffer `<prefix>.<suffix>` takes after this step (kept; the engine assigns it). */
  updateBuffer(suffix: string, value: tf.Tensor): void;
}

/** Builds one layer in tfjs ops (differentiable); returns `[batch, ...shape.outputShape]`. */
export type TfLayerBuilder<L extends { readonly type: string } = LayerSpec> = (ctx: TfLayerContext<L>) => tf.Tensor;

const builders = new Map<string, TfLayerBuilder<{ readonly type: string }>>();

/**
 * Registers (or replaces) the TensorFlow.js builder of layer type `type`, the tfjs counterpart of
 * core's `registerLayer` (whose definition gives validation, shapes, state and ONNX emission).
 */
export function registerTfLayer<L extends { readonly type: string }>(type: L['type'], fn: TfLayerBuilder<L>): void {
  if (typeof type !== 'string' || type.length === 0)
    throw new TypeError(`type: expected a non-empty string, got ${JSON.stringify(type)}`);
  if (typeof fn !== 'function') throw new TypeError(`fn: expected a builder function for ${type}, got ${typeof fn}`);
  builders.set(type, fn as unknown as TfLayerBuilder<{ readonly type: string }>);
}

/** The tfjs builder of `type`; a type core knows but tfjs does not is an error naming both lists. */
export function getTfLayer(type: string, path: string): TfLayerBuilder {
  const fn = builders.get(type);
  if (!fn) {
    throw new RangeError(
      `${path}.type: expected a layer type with a TensorFlow.js builder (${[...builders.keys()].join('|')}), got ${JSON.stringify(type)} (core knows ${listLayerTypes().join('|')})`,
    );
  }
  return fn as unknown as TfLayerBuilder;
}

/** `y + bias` unless the layer has `useBias: false`. */
function addBias(layer: { readonly useBias?: boolean }, y: tf.Tensor, state: (suffix: string) => tf.Tensor): tf.Tensor {
  return layer.useBias === false ? y : tf.add(y, state('bias'));
}

registerTfLayer<DenseLayer>('dense', ({ layer, x, state }) =>
  TF_ACTIVATIONS[layer.activation](addBias(layer, tf.matMul(x as tf.Tensor2D, state('kernel') as tf.Tensor2D), state)),
);
registerTfLayer<Conv2dLayer>('conv2d', ({ layer, x, state }) =>
  TF_ACTIVATIONS[layer.activation](
    addBias(layer, conv2dOp(x as tf.Tensor4D, state('kernel') as tf.Tensor4D, layer.strides, layer.padding), state),
  ),
);
registerTfLayer<Conv2dTransposeLayer>('conv2d-transpose', ({ layer, shape, x, state }) => {
  const out = conv2dTransposeOp(
    x as tf.Tensor4D,
    state('kernel') as tf.Tensor4D,
    shape.outputShape as [number, number, number],
    layer.strides,
    layer.padding,
  );
  return TF_ACTIVATIONS[layer.activation](addBias(layer, out, state));
});
registerTfLayer<ReshapeLayer>('reshape', ({ layer, x }) => x.reshape([x.shape[0]!, ...layer.shape]));
registerTfLayer('flatten', ({ x }) => x.reshape([x.shape[0]!, -1]));
