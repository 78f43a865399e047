/**
 * `vae parity --bisect` on model directories: the encoder, decoder and scorer graphs of the model
 * under test (candidate runtime) against the reference model (reference runtime), on the parity
 * inputs (x, y, z by name; other inputs seeded uniform).
 */
import type { Precision } from '@vae/core';
import type { ModelDirectory } from '@vae/onnx';
import { runBisect, type BisectGraph, type BisectResult } from './bisect.js';
import { analyzeGraph } from './graph-analysis.js';
import { graphFeeds } from './graph-feeds.js';
import type { ParityInputs } from './parity-inputs.js';
import type { ParityRuntime } from './parity-runtime.js';
import { getParityRuntime } from './runtime-registry.js';
import type { ToleranceOverride } from './tolerances.js';

/** What {@link bisectModels} needs from a resolved `runParity` call. */
export interface ModelBisectOptions {
  readonly model: ModelDirectory;
  readonly referenceModel: ModelDirectory;
  readonly sameModel: boolean;
  readonly reference: ParityRuntime;
  /** `--runtimes` as given (null: all). */
  readonly requested: readonly string[] | null;
  readonly inputs: ParityInputs;
  readonly precision: Precision;
  readonly tolerances?: readonly ToleranceOverride[];
  readonly threads?: number;
  readonly reproPrefix: string;
}

/**
 * The one runtime compared with the reference: the only one of `--runtimes` besides the reference
 * (with two models, the reference runtime itself when none is given).
 */
export function bisectCandidate(
  reference: ParityRuntime,
  requested: readonly string[] | null,
  sameModel: boolean,
): ParityRuntime {
  const others = (requested ?? []).filter((r) => !(sameModel && r === reference.name));
  if (others.length === 0 && !sameModel) return reference;
  if (others.length !== 1)
    throw new RangeError(
      `--bisect: expected one runtime to compare with the reference ${reference.name} in --runtimes (e.g. --runtimes ${reference.name},ort-web-wasm), got ${requested ? others.join(',') || 'none besides the reference' : 'all'}`,
    );
  return getParityRuntime(others[0], '--runtimes');
}

const GRAPHS = ['encoder', 'decoder', 'scorer'] as const;

/** The graphs both model directories have, with their feeds. */
function modelGraphs(o: ModelBisectOptions): BisectGraph[] {
  const given = { x: o.inputs.x, z: o.inputs.z, ...(o.inputs.y ? { y: o.inputs.y } : {}) };
  const dims = { batch: o.inputs.x.shape[0]! };
  return GRAPHS.flatMap((name) => {
    const [reference, candidate] = [o.referenceModel[name], o.model[name]];
    if (!reference || !candidate) return [];
    const inputs = analyzeGraph(candidate, name).inputs;
    return [{ name, reference, candidate, feeds: graphFeeds(inputs, { seed: o.inputs.seed + 3, dims, given }, name) }];
  });
}

/** Bisects the model under test against the reference model (see the module doc). */
export function bisectModels(o: ModelBisectOptions): Promise<BisectResult> {
  return runBisect({
    graphs: modelGraphs(o),
    reference: o.reference,
    candidate: bisectCandidate(o.reference, o.requested, o.sameModel),
    precision: o.precision,
    reproPrefix: o.reproPrefix,
    ...(o.tolerances ? { tolerances: o.tolerances } : {}),
    ...(o.threads === undefined ? {} : { threads: o.threads }),
  });
}
