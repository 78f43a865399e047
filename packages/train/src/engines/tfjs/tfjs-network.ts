import {
  LOGVAR_CLAMP,
  getLayerDefinition,
  modelKindInfo,
  validateModelSpec,
  type LayerShape,
  type ModelSpec,
  type SpecLayout,
} from '@vae/core';
import './tfjs-batch-norm.js';
import { getTfLayer } from './tfjs-layers.js';
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

/** How a network runs: a training step (batch statistics, buffer updates) or evaluation. */
export interface TfRunMode {
  training: boolean;
  /** Buffer updates of the last training forward pass, by canonical name (kept tensors). */
  readonly bufferUpdates: Map<string, tf.Tensor>;
}

function applyLayers(
  layers: readonly LayerShape[],
  input: tf.Tensor,
  params: TfParameterMap,
  y: tf.Tensor2D | undefined,
  mode: TfRunMode,
): tf.Tensor {
  let h = input;
  let label = y;
  for (const l of layers) {
    const batch = h.shape[0]!;
    const def = getLayerDefinition(l.layer.type, l.prefix);
    let x = h.reshape([batch, ...(def.takesLabel ? [-1] : l.inputShape)]);
    if (def.takesLabel && label) {
      x = tf.concat([x as tf.Tensor2D, label], 1);
      label = undefined;
    }
    h = getTfLayer(
      l.layer.type,
      l.prefix,
    )({
      layer: l.layer,
      shape: l,
      x,
      training: mode.training,
      state: (suffix) => {
        const p = params[`${l.prefix}.${suffix}`];
        if (!p) throw new RangeError(`params: missing parameter ${JSON.stringify(`${l.prefix}.${suffix}`)}`);
        return p;
      },
      updateBuffer: (suffix, value) => {
        if (!mode.training) throw new Error(`${l.prefix}.${suffix}: buffers are updated only in training steps`);
        mode.bufferUpdates.set(`${l.prefix}.${suffix}`, tf.keep(value));
      },
    });
  }
  return h;
}

/** Builds the forward pass of `spec` over `params` (validated against `listParameters` by the caller). */
export function createTfNetwork(
  spec: ModelSpec,
  params: TfParameterMap,
  mode: TfRunMode = { training: false, bufferUpdates: new Map() },
): TfNetwork {
  const layout = validateModelSpec(spec);
  const info = modelKindInfo(spec.kind);
  const labelTaken = layout.encoder.some((l) => getLayerDefinition(l.layer.type, l.prefix).takesLabel);
  const heads = (features: tf.Tensor2D): Record<string, tf.Tensor2D> =>
    Object.fromEntries(
      layout.heads.map((h) => [
        h.prefix.slice('encoder.'.length),
        applyLayers([h], features, params, undefined, mode) as tf.Tensor2D,
      ]),
    );
  const checkY = (y: tf.Tensor2D | undefined, batch: number, name: string): tf.Tensor2D | undefined => {
    if (!info.conditional) return undefined;
    if (!y || y.shape[0] !== batch || y.shape[1] !== spec.numClasses) {
      throw new RangeError(
        `${name}: expected a one-hot label tensor of shape [${batch}, ${spec.numClasses}] for kind ${spec.kind}, got ${y ? `[${y.shape.join(', ')}]` : 'none'}`,
      );
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
      let features = applyLayers(layout.encoder, x, params, label, mode).reshape([batch, -1]) as tf.Tensor2D;
      if (label && !labelTaken) features = tf.concat([features, label], 1);
      const out = heads(features);
      return info.variational ? { mu: out.mu!, logvar: out.logvar! } : { code: out.code! };
    },
    decode(z, y) {
      const batch = z.shape[0];
      const label = checkY(y, batch, 'y');
      const input = label ? tf.concat([z, label], 1) : z;
      return applyLayers(layout.decoder, input, params, undefined, mode).reshape([batch, -1]) as tf.Tensor2D;
    },
  };
}

/** Clamps log σ² to `LOGVAR_CLAMP` (the same range core's losses use). */
export function clampLogvarTf(logvar: tf.Tensor): tf.Tensor {
  return tf.clipByValue(logvar, LOGVAR_CLAMP[0], LOGVAR_CLAMP[1]);
}
