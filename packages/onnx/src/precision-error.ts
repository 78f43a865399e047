import {
  Rng,
  modelKindInfo,
  oneHot,
  type Backend,
  type ModelSpec,
  type ParameterSet,
  type Precision,
  type Tensor,
} from '@vae/core';
import { buildDecoderGraph, buildEncoderGraph } from './inference-graphs.js';

/** Options of {@link measurePrecisionError}. */
export interface PrecisionErrorOptions {
  readonly spec: ModelSpec;
  readonly params: ParameterSet;
  readonly precision: Precision;
  /** Runs the graphs (e.g. `onnxruntimeNodeBackend` from `@vae/runtime-node`) on its `cpu` device. */
  readonly backend: Backend;
  /** Seed of the fixed batch (default 0). */
  readonly seed?: number;
  /** Rows of the fixed batch (default 64). */
  readonly batch?: number;
  /** Graph bytes of the variant when already built (e.g. read back from an export). */
  readonly encoder?: Uint8Array;
  readonly decoder?: Uint8Array;
}

/** Max |variant − fp32| per graph output on the fixed batch. */
export interface PrecisionError {
  readonly precision: Precision;
  readonly batch: number;
  readonly seed: number;
  /** e.g. `{ mu, logvar }` or `{ z }`. */
  readonly encoder: Readonly<Record<string, number>>;
  /** `{ x_logits, x_mean }`. */
  readonly decoder: Readonly<Record<string, number>>;
}

function maxAbs(a: Tensor, b: Tensor): number {
  let m = 0;
  for (let i = 0; i < a.data.length; i++) m = Math.max(m, Math.abs(a.data[i]! - b.data[i]!));
  return m;
}

async function runOnce(
  backend: Backend,
  model: Uint8Array,
  feeds: Record<string, Tensor>,
): Promise<Record<string, Tensor>> {
  const session = await backend.createSession(model, { device: 'cpu', threads: 1 });
  try {
    return await session.run(feeds);
  } finally {
    await session.release();
  }
}

/**
 * The error of a precision variant against the fp32 graphs on a fixed seeded batch: encoder on
 * `x` ~ U[0, 1] (+ one-hot `y`), decoder on `z` ~ N(0, I) (+ `y`), all drawn from `new Rng(seed)`.
 */
export async function measurePrecisionError(o: PrecisionErrorOptions): Promise<PrecisionError> {
  const seed = o.seed ?? 0;
  const batch = o.batch ?? 64;
  const { spec } = o;
  const rng = new Rng(seed);
  const [h, w, c] = spec.imageShape;
  const x: Tensor = {
    data: Float32Array.from({ length: batch * h * w * c }, () => rng.uniform()),
    shape: [batch, h * w * c],
  };
  const y = modelKindInfo(spec.kind).conditional
    ? oneHot(
        Array.from({ length: batch }, () => rng.int(spec.numClasses)),
        spec.numClasses,
      )
    : null;
  const z: Tensor = { data: rng.normals(batch * spec.latentDim), shape: [batch, spec.latentDim] };
  const label: Record<string, Tensor> = y ? { y } : {};
  const result = {
    precision: o.precision,
    batch,
    seed,
    encoder: {} as Record<string, number>,
    decoder: {} as Record<string, number>,
  };
  const graphs: [keyof typeof result & ('encoder' | 'decoder'), Uint8Array, Uint8Array, Record<string, Tensor>][] = [
    [
      'encoder',
      buildEncoderGraph(spec, o.params),
      o.encoder ?? buildEncoderGraph(spec, o.params, { precision: o.precision }),
      { x, ...label },
    ],
    [
      'decoder',
      buildDecoderGraph(spec, o.params),
      o.decoder ?? buildDecoderGraph(spec, o.params, { precision: o.precision }),
      { z, ...label },
    ],
  ];
  for (const [part, ref, variant, feeds] of graphs) {
    const a = await runOnce(o.backend, ref, feeds);
    const b = await runOnce(o.backend, variant, feeds);
    for (const [name, t] of Object.entries(a)) {
      const other = b[name];
      if (!other) throw new Error(`${part}: the ${o.precision} graph has no output ${JSON.stringify(name)}`);
      result[part][name] = maxAbs(t, other);
    }
  }
  return result;
}
