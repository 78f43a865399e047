import { assertShape, inputSize, validateParameters, type ModelSpec, type ParameterSet, type Tensor } from '@vae/core';
import { createTfNetwork, type TfNetwork } from './tfjs-network.js';
import { tf } from './tf.js';
import type { TfjsEncoding, TfjsModel } from '../tfjs-contract.js';

export type { TfjsEncoding, TfjsModel };

/**
 * Copies a tfjs tensor to a core tensor (float32) synchronously. tfjs' WebGPU backend cannot read
 * synchronously in Node (it needs OffscreenCanvas), so use {@link fromTfAsync} there.
 */
export function fromTf(t: tf.Tensor): Tensor {
  if (tf.getBackend() === 'webgpu') {
    throw new Error(
      'fromTf: synchronous reads are not possible on the tfjs webgpu backend in Node; use the async API (encodeAsync/decodeAsync) or another backend',
    );
  }
  return { data: t.dataSync() as Float32Array, shape: [...t.shape] };
}

/** Copies a tfjs tensor to a core tensor (float32); works on every backend. */
export async function fromTfAsync(t: tf.Tensor): Promise<Tensor> {
  return { data: (await t.data()) as Float32Array, shape: [...t.shape] };
}

/** A tfjs float32 tensor holding a copy of a core tensor. */
export function toTf<R extends tf.Rank>(t: Tensor): tf.Tensor<R> {
  return tf.tensor(t.data, [...t.shape], 'float32') as unknown as tf.Tensor<R>;
}

/**
 * Builds a TensorFlow.js model from `spec` and `params` (named and shaped exactly as
 * `listParameters(spec)` says, TensorFlow layout) on the current tfjs backend (see `selectBackend`).
 * Throws a `RangeError` when a parameter is missing or mis-shaped, or when an input has the wrong shape.
 */
export function createTfjsModel(spec: ModelSpec, params: ParameterSet): TfjsModel {
  validateParameters(spec, params);
  const weights: Record<string, tf.Tensor> = {};
  for (const [name, t] of Object.entries(params)) weights[name] = toTf(t);
  const runner = createTfRunner(spec, weights);
  return {
    spec,
    encode(x, y) {
      const out = runner.encode(x, y);
      try {
        return asEncoding(out.map(fromTf));
      } finally {
        tf.dispose(out);
      }
    },
    async encodeAsync(x, y) {
      const out = runner.encode(x, y);
      try {
        return asEncoding(await Promise.all(out.map(fromTfAsync)));
      } finally {
        tf.dispose(out);
      }
    },
    decode(z, y) {
      const out = runner.decode(z, y);
      try {
        return fromTf(out);
      } finally {
        out.dispose();
      }
    },
    async decodeAsync(z, y) {
      const out = runner.decode(z, y);
      try {
        return await fromTfAsync(out);
      } finally {
        out.dispose();
      }
    },
    dispose() {
      runner.dispose();
    },
  };
}

/** The tensor-level half of a {@link TfjsModel}: checks inputs, runs the network, owns the weights. */
interface TfRunner {
  /** `[mu, logvar]` for a variational kind, `[code]` otherwise; the caller disposes them. */
  encode(x: Tensor, y: Tensor | undefined): tf.Tensor[];
  /** The decoder's output; the caller disposes it. */
  decode(z: Tensor, y: Tensor | undefined): tf.Tensor;
  /** Disposes the weights once; later encode/decode calls throw. */
  dispose(): void;
}

function createTfRunner(spec: ModelSpec, weights: Record<string, tf.Tensor>): TfRunner {
  const net: TfNetwork = createTfNetwork(spec, weights);
  const d = inputSize(spec);
  let disposed = false;
  const live = (): void => {
    if (disposed) throw new Error('model: used after dispose()');
  };
  return {
    encode(x, y) {
      live();
      assertShape(x, [null, d], 'x');
      return tf.tidy(() => {
        const enc = net.encode(toTf<tf.Rank.R2>(x), labelTensor(spec, net, y, x.shape[0]!));
        return 'mu' in enc ? [enc.mu, enc.logvar] : [enc.code];
      });
    },
    decode(z, y) {
      live();
      assertShape(z, [null, spec.latentDim], 'z');
      return tf.tidy(() => net.decode(toTf<tf.Rank.R2>(z), labelTensor(spec, net, y, z.shape[0]!)));
    },
    dispose() {
      if (disposed) return;
      disposed = true;
      for (const t of Object.values(weights)) t.dispose();
    },
  };
}

/** The one-hot labels of a conditional network as a tfjs tensor; `undefined` for an unconditional one. */
function labelTensor(spec: ModelSpec, net: TfNetwork, y: Tensor | undefined, batch: number): tf.Tensor2D | undefined {
  if (!net.conditional) return undefined;
  if (!y)
    throw new RangeError(
      `y: expected a one-hot label tensor of shape [${batch}, ${spec.numClasses}] for kind ${spec.kind}, got none`,
    );
  assertShape(y, [batch, spec.numClasses], 'y');
  return toTf<tf.Rank.R2>(y);
}

function asEncoding(parts: Tensor[]): TfjsEncoding {
  return parts.length === 2 ? { mu: parts[0]!, logvar: parts[1]! } : { z: parts[0]! };
}
