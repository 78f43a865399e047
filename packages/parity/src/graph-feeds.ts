/**
 * Feeds for raw ONNX graphs (`vae parity --onnx`, `--bisect`): given tensors by name, the rest
 * seeded uniform [0, 1) values (Polygraphy's default range) with symbolic dimensions from `--dim`
 * (default 1). Browser-safe.
 */
import { Rng, sizeOf, type Tensor } from '@vae/core';
import { ONNX_TYPES, type GraphInputInfo } from './graph-analysis.js';

/** Options of {@link graphFeeds}. */
export interface GraphFeedOptions {
  /** Seed of the random inputs. */
  readonly seed: number;
  /** Sizes of symbolic dimensions by name (`--dim batch=8`); unnamed ones are 1. */
  readonly dims?: Readonly<Record<string, number>>;
  /** Tensors fed as given (`--load-inputs`, the model's parity inputs), by input name. */
  readonly given?: Readonly<Record<string, Tensor>>;
}

/** The shape of `input` with symbolic dimensions resolved from `dims` (default 1). */
export function resolveShape(input: GraphInputInfo, dims: Readonly<Record<string, number>> = {}): number[] {
  return input.dims.map((d) => (typeof d === 'number' ? d : (dims[d] ?? 1)));
}

function checkGiven(input: GraphInputInfo, t: Tensor, shape: readonly number[], what: string): Tensor {
  const fixedOk =
    input.dims.length === t.shape.length && input.dims.every((d, i) => typeof d !== 'number' || d === t.shape[i]);
  if (!fixedOk)
    throw new RangeError(
      `${what}: expected input ${input.name} of shape [${input.dims.join(', ')}] (e.g. [${shape.join(', ')}]), got [${t.shape.join(', ')}]`,
    );
  return t;
}

/**
 * One float32 tensor per graph input: `given` when it has the input, else seeded uniform [0, 1).
 * Throws for a non-float32 input (the runtime contract is float32) and for a given tensor whose
 * shape contradicts the graph's fixed dimensions.
 */
export function graphFeeds(
  inputs: readonly GraphInputInfo[],
  o: GraphFeedOptions,
  what = 'inputs',
): Record<string, Tensor> {
  const rng = new Rng(o.seed);
  const feeds: Record<string, Tensor> = {};
  for (const input of inputs) {
    if (input.elemType !== ONNX_TYPES.float32)
      throw new RangeError(
        `${what}: expected float32 graph inputs (the runtime contract is float32), got input ${input.name} of ONNX type ${input.elemType}`,
      );
    const shape = resolveShape(input, o.dims);
    const given = o.given?.[input.name];
    if (given) feeds[input.name] = checkGiven(input, given, shape, what);
    else feeds[input.name] = { data: Float32Array.from({ length: sizeOf(shape) }, () => rng.uniform()), shape };
  }
  return feeds;
}
