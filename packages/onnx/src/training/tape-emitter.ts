import type {
  EmitDim,
  EmitTensor,
  EmitAttributes,
  LayerEmitter,
  LayerShape,
  NetworkEmitter,
  StateOptions,
} from '@vae/core';
import type { Tape, TapeValue } from './tape.js';

/** Options of {@link tapeEmitter}. */
export interface TapeEmitterOptions {
  /** State tensors (graph inputs) by canonical name. */
  readonly state: Readonly<Record<string, TapeValue>>;
  /** Training mode: layers use batch statistics and report buffer updates. */
  readonly training: boolean;
  /** Receives `name → new value` for each buffer a layer updates (training mode; dropped when absent). */
  readonly bufferUpdates?: Map<string, TapeValue>;
}

/**
 * The training implementation of core's layer emitter interface over a {@link Tape}: state tensors
 * are graph inputs (permuted in-graph, so their gradients flow back in TF layout) and every op is
 * recorded for reverse-mode differentiation. Values are the tape's own {@link TapeValue}s.
 */
export function tapeEmitter(tape: Tape, o: TapeEmitterOptions): NetworkEmitter {
  const base = {
    training: o.training,
    op: (type: string, inputs: readonly EmitTensor[], attrs: EmitAttributes, shape: readonly EmitDim[]): EmitTensor =>
      tape.op(type, inputs as readonly TapeValue[], attrs, shape),
    ints: (values: readonly number[]): EmitTensor => tape.ints(values),
    scalar: (value: number): EmitTensor => tape.scalar(value),
    batchSize: (x: EmitTensor): EmitTensor => tape.batchSize(x as TapeValue),
  };
  return {
    ...base,
    layer(l: LayerShape): LayerEmitter {
      return {
        ...base,
        state(suffix: string, so: StateOptions = {}): EmitTensor {
          const name = `${l.prefix}.${suffix}`;
          const v = o.state[name];
          if (!v) throw new RangeError(`params: missing ${JSON.stringify(name)} for ${l.prefix} (${l.layer.type})`);
          return so.perm ? tape.transpose(v, so.perm) : v;
        },
        updateBuffer(suffix: string, value: EmitTensor): void {
          const name = `${l.prefix}.${suffix}`;
          if (!o.training) throw new Error(`${name}: buffers are updated only in training graphs`);
          o.bufferUpdates?.set(name, value as TapeValue);
        },
      };
    },
  };
}
