import { LOGVAR_CLAMP } from '../losses-impl.js';
import type { SpecLayout } from '../model-shapes.js';
import { getLayerDefinition, type LayerShape } from './layer-registry.js';
import {
  concatFeatures,
  toFlat,
  type EmitTensor,
  type LayerEmitter,
  type LayerValue,
  type OpEmitter,
} from './op-emitter.js';

/** An {@link OpEmitter} that can also scope itself to one layer (to read and update its state). */
export interface NetworkEmitter extends OpEmitter {
  layer(l: LayerShape): LayerEmitter;
}

/** Result of {@link emitLayers}. */
export interface EmittedLayers {
  readonly output: LayerValue;
  /** Whether `label` was consumed (false when no layer takes it). */
  readonly labelUsed: boolean;
}

/**
 * Emits `layers` (as walked by `describeLayers`) through the layer registry from `input`; `label`
 * (flat `[batch, K]`) is concatenated to the input of the first layer that takes it.
 */
export function emitLayers(
  net: NetworkEmitter,
  layers: readonly LayerShape[],
  input: LayerValue,
  label?: EmitTensor,
): EmittedLayers {
  let value = input;
  let pending = label;
  for (const l of layers) {
    const def = getLayerDefinition(l.layer.type, l.prefix);
    if (def.takesLabel && pending) {
      value = concatFeatures(net, value, pending);
      pending = undefined;
    }
    value = def.emit(net.layer(l), l.layer, l, value);
    if (value.shape.join(',') !== l.outputShape.join(',')) {
      throw new RangeError(
        `${l.prefix} (${l.layer.type}): the emission produced shape [${value.shape.join(', ')}], expected [${l.outputShape.join(', ')}]`,
      );
    }
  }
  return { output: value, labelUsed: pending === undefined };
}

/**
 * Emits the encoder: the hidden layers from flat `x` `[batch, D]`, the label (conditional models)
 * and the dense heads. Returns each head's output by head name (`mu`, `logvar` or `code`); log σ²
 * is clipped to `LOGVAR_CLAMP`.
 */
export function emitEncoder(
  net: NetworkEmitter,
  layout: SpecLayout,
  x: EmitTensor,
  label?: EmitTensor,
): Record<string, EmitTensor> {
  const input: LayerValue = { t: x, shape: [x.shape[1] as number], layout: 'row-major' };
  const { output, labelUsed } = emitLayers(net, layout.encoder, input, label);
  const features = labelUsed ? toFlat(net, output) : concatFeatures(net, output, label!);
  const heads: Record<string, EmitTensor> = {};
  for (const h of layout.heads) {
    const name = h.prefix.slice(h.prefix.lastIndexOf('.') + 1);
    let t = emitLayers(net, [h], features).output.t;
    if (name === 'logvar')
      t = net.op('Clip', [t, net.scalar(LOGVAR_CLAMP[0]), net.scalar(LOGVAR_CLAMP[1])], {}, t.shape);
    heads[name] = t;
  }
  return heads;
}

/** Emits the decoder from `z` `[batch, L]` (+ `label`, as `[z, y]`); returns the flat `[batch, D]` output. */
export function emitDecoder(net: NetworkEmitter, layout: SpecLayout, z: EmitTensor, label?: EmitTensor): EmitTensor {
  const zv: LayerValue = { t: z, shape: [z.shape[1] as number], layout: 'row-major' };
  const input = label ? concatFeatures(net, zv, label) : zv;
  return toFlat(net, emitLayers(net, layout.decoder, input).output).t;
}
