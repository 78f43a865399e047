import { LOGVAR_CLAMP, modelKindInfo, validateModelSpec, type LayerShape, type ModelSpec, type SpecLayout } from '@vae/core';
import { TF_ACTIVATIONS } from './activations-tf.js';
import { conv2dOp, conv2dTransposeOp } from './tfjs-conv.js';
import { tf } from './tf.js';

/** tfjs tensors (usually `tf.Variable`s) keyed by canonical parameter name. */
export type TfParameterMap = Readonly<Record<string, tf.Tensor>>;

/** What the encoder produces: μ and log σ² (raw, unclamped) for variational kinds, else the code. */
export type TfEncoding = { readonly mu: tf.Tensor2D; readonly logvar: tf.Tensor2D } | { readonly code: tf.Tensor2D };

/**
 * A forward pass of a spec over tfjs parameters. Built only from the {@link ModelSpec} (via
 * `validateModelSpec`) so every parameter maps 1:1 to `listParameters(spec)`.
 */
export interface TfNetwork {
  readonly spec: ModelSpec;
  readonly layout: SpecLayout;
  readonly variational: boolean;
  readonly conditional: boolean;
  /** `x` `[B, D]` (+ one-hot `y` `[B, K]`) → μ/log σ² or the code. */
  encode(x: tf.Tensor2D, y?: tf.Tensor2D): TfEncoding;
  /** `z` `[B, L]` (+ `y`) → logits (Bernoulli) or mean (Gaussian), `[B, D]`. */
  decode(z: tf.Tensor2D, y?: tf.Tensor2D): tf.Tensor2D;
}

function param(params: TfParameterMap, name: string): tf.Tensor {
  const p = params[name];
  if (!p) throw new RangeError(`params: missing parameter ${JSON.stringify(name)}`);
  return p;
}

function applyLayers(layers: readonly LayerShape[], input: tf.Tensor, params: TfParameterMap, y: tf.Tensor2D | undefined): tf.Tensor {
  let h = input;
  let firstDense = true;
  for (const l of layers) {
    const batch = h.shape[0]!;
    const { layer } = l;
    switch (layer.type) {
      case 'dense': {
        let flat = h.reshape([batch, -1]) as tf.Tensor2D;
        if (firstDense && y) flat = tf.concat([flat, y], 1);
        firstDense = false;
        const out = tf.add(tf.matMul(flat, param(params, `${l.prefix}.kernel`) as tf.Tensor2D), param(params, `${l.prefix}.bias`));
        h = TF_ACTIVATIONS[layer.activation](out);
        break;
      }
      case 'conv2d': {
        const x4 = h.reshape([batch, ...l.inputShape]) as tf.Tensor4D;
        const out = conv2dOp(x4, param(params, `${l.prefix}.kernel`) as tf.Tensor4D, layer.strides, layer.padding);
        h = TF_ACTIVATIONS[layer.activation](tf.add(out, param(params, `${l.prefix}.bias`)));
        break;
      }
      case 'conv2d-transpose': {
        const x4 = h.reshape([batch, ...l.inputShape]) as tf.Tensor4D;
        const out = conv2dTransposeOp(x4, param(params, `${l.prefix}.kernel`) as tf.Tensor4D, l.outputShape as [number, number, number], layer.strides, layer.padding);
        h = TF_ACTIVATIONS[layer.activation](tf.add(out, param(params, `${l.prefix}.bias`)));
        break;
      }
      case 'reshape':
        h = h.reshape([batch, ...layer.shape]);
        break;
      case 'flatten':
        h = h.reshape([batch, -1]);
        break;
    }
  }
  return h;
}

/** Builds the forward pass of `spec` over `params` (validated against `listParameters` by the caller). */
export function createTfNetwork(spec: ModelSpec, params: TfParameterMap): TfNetwork {
  const layout = validateModelSpec(spec);
  const info = modelKindInfo(spec.kind);
  const hasDense = spec.encoder.some((l) => l.type === 'dense');
  const head = (features: tf.Tensor2D, name: string): tf.Tensor2D =>
    tf.add(tf.matMul(features, param(params, `encoder.${name}.kernel`) as tf.Tensor2D), param(params, `encoder.${name}.bias`)) as tf.Tensor2D;
  const checkY = (y: tf.Tensor2D | undefined, batch: number, name: string): tf.Tensor2D | undefined => {
    if (!info.conditional) return undefined;
    if (!y || y.shape[0] !== batch || y.shape[1] !== spec.numClasses) {
      throw new RangeError(`${name}: expected a one-hot label tensor of shape [${batch}, ${spec.numClasses}] for kind ${spec.kind}, got ${y ? `[${y.shape.join(', ')}]` : 'none'}`);
    }
    return y;
  };
  return {
    spec,
    layout,
    variational: info.variational,
    conditional: info.conditional,
    encode(x, y) {
      const batch = x.shape[0];
      const label = checkY(y, batch, 'y');
      let features = applyLayers(layout.encoder, x, params, label).reshape([batch, -1]) as tf.Tensor2D;
      if (label && !hasDense) features = tf.concat([features, label], 1);
      if (info.variational) return { mu: head(features, 'mu'), logvar: head(features, 'logvar') };
      return { code: TF_ACTIVATIONS[spec.codeActivation](head(features, 'code')) as tf.Tensor2D };
    },
    decode(z, y) {
      const batch = z.shape[0];
      const label = checkY(y, batch, 'y');
      const input = label ? tf.concat([z, label], 1) : z;
      return applyLayers(layout.decoder, input, params, undefined).reshape([batch, -1]) as tf.Tensor2D;
    },
  };
}

/** Clamps log σ² to `LOGVAR_CLAMP` (the same range core's losses use). */
export function clampLogvarTf(logvar: tf.Tensor): tf.Tensor {
  return tf.clipByValue(logvar, LOGVAR_CLAMP[0], LOGVAR_CLAMP[1]);
}

