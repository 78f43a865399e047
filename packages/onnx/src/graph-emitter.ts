import type {
  EmitDim,
  EmitTensor,
  LayerEmitter,
  LayerShape,
  NetworkEmitter,
  ParameterSet,
  Precision,
  StateOptions,
} from '@vae/core';
import type { GraphBuilder } from './graph-builder.js';
import { permute } from './permute-impl.js';
import { weightWriter } from './precision-weights.js';

/**
 * The inference implementation of core's layer emitter interface over a {@link GraphBuilder}:
 * state tensors become initializers (permuted to ONNX layout at export time, stored at the graph's
 * weight precision), buffers are read as constants and never updated.
 */
export function graphEmitter(g: GraphBuilder, params: ParameterSet, precision: Precision): NetworkEmitter {
  const write = weightWriter(precision);
  const base = {
    training: false,
    op: (
      type: string,
      inputs: readonly EmitTensor[],
      attrs: Parameters<NetworkEmitter['op']>[2],
      shape: readonly EmitDim[],
    ): EmitTensor => ({
      name: g.op(
        type,
        inputs.map((i) => i.name),
        attrs,
      ),
      shape,
    }),
    ints: (values: readonly number[]): EmitTensor => ({ name: g.constInt64('ints', values), shape: [values.length] }),
    scalar: (value: number): EmitTensor => ({ name: g.constFloat32('scalar', [value], []), shape: [] }),
    batchSize: (x: EmitTensor): EmitTensor => {
      const n = g.op('Cast', [g.op('Shape', [x.name], { start: 0, end: 1 })], { to: 1 });
      return { name: g.op('Reshape', [n, g.constInt64('scalar_shape', [], [0])]), shape: [] };
    },
  };
  return {
    ...base,
    layer(l: LayerShape): LayerEmitter {
      return {
        ...base,
        state(suffix: string, o: StateOptions = {}): EmitTensor {
          const name = `${l.prefix}.${suffix}`;
          const t = params[name];
          if (!t) throw new RangeError(`params: missing ${JSON.stringify(name)} for ${l.prefix} (${l.layer.type})`);
          const p = o.perm ? permute(t.data, t.shape, o.perm) : { data: t.data, dims: t.shape };
          return {
            name: write(g, { name, dims: p.dims, data: p.data, channelAxis: o.channelAxis ?? null }),
            shape: p.dims,
          };
        },
        updateBuffer(suffix: string): void {
          throw new Error(`${l.prefix}.${suffix}: an inference graph cannot update buffers`);
        },
      };
    },
  };
}
