import { concatRows, sliceRows, type Tensor, type TensorInfo, type VaeModel } from '@vae/core';
import { MicroBatcher } from './micro-batcher.js';
import type { V2ModelMetadata, V2ModelParameters, V2TensorMetadata } from './v2-protocol.js';

/** Named float32 tensors of one request (graph input or output names). */
export type NamedTensors = Readonly<Record<string, Tensor>>;

/** Batching settings shared by the encoder and decoder endpoints. */
export interface BatchingOptions {
  readonly enabled: boolean;
  readonly maxBatchSize: number;
  readonly maxQueueDelayMs: number;
  readonly maxQueueSize: number;
}

/** One servable graph: its V2 metadata and the batcher that runs it. */
export interface ModelEndpoint {
  /** `encoder` or `decoder`. */
  readonly graph: 'encoder' | 'decoder';
  readonly metadata: V2ModelMetadata;
  readonly batcher: MicroBatcher<NamedTensors, NamedTensors>;
}

/** Platform string reported in model metadata (as Triton names ONNX Runtime models). */
export const V2_PLATFORM = 'onnxruntime_onnx';
/** The single version every model is served under. */
export const V2_VERSION = '1';

function tensorMetadata(t: TensorInfo): V2TensorMetadata {
  return { name: t.name, datatype: 'FP32', shape: t.shape.map((d) => (d === 'batch' ? -1 : d)) };
}

/** Device, backend and golden check of `graph` as V2 metadata `parameters`. */
export function modelParameters(model: VaeModel, graph: 'encoder' | 'decoder'): V2ModelParameters {
  const v = model.verification;
  const own = v.outputs.filter((o) => o.graph === graph);
  return {
    device: model.device,
    backend: model.backend,
    verification: v.status,
    ...(own.length > 0 ? { verification_max_abs_error: Math.max(...own.map((o) => o.maxAbs)) } : {}),
    ...(v.reason === undefined ? {} : { verification_reason: v.reason }),
  };
}

/** The body of `GET /api/model`: what the model is, where it runs and its golden check. */
export function apiModelInfo(model: VaeModel, name: string): Record<string, unknown> {
  const m = model.manifest;
  return {
    name,
    kind: m.kind,
    precision: m.precision,
    latentDim: m.latentDim,
    numClasses: m.numClasses,
    imageShape: m.imageShape,
    parts: model.parts,
    device: model.device,
    backend: model.backend,
    fallbacks: model.fallbacks,
    verification: model.verification,
  };
}

function split(t: Tensor, counts: readonly number[]): Tensor[] {
  const out: Tensor[] = [];
  let start = 0;
  for (const n of counts) {
    out.push(sliceRows(t, start, start + n));
    start += n;
  }
  return out;
}

/** Concatenates each named input over the requests of a batch. */
function concatInputs(names: readonly string[], inputs: readonly NamedTensors[]): Record<string, Tensor> {
  const merged: Record<string, Tensor> = {};
  for (const name of names) {
    if (inputs[0]![name] === undefined) continue;
    merged[name] =
      inputs.length === 1
        ? inputs[0]![name]!
        : concatRows(
            inputs.map((i) => i[name]!),
            name,
          );
  }
  return merged;
}

/** Splits named batch outputs back into one record per request. */
function splitOutputs(out: NamedTensors, counts: readonly number[]): NamedTensors[] {
  const parts = Object.entries(out).map(([name, t]) => [name, split(t, counts)] as const);
  return counts.map((_, i) => Object.fromEntries(parts.map(([name, ts]) => [name, ts[i]!])));
}

/**
 * The encoder and decoder of `model` as two V2 models, `<name>-encoder` and `<name>-decoder`, each
 * with a {@link MicroBatcher} that merges concurrent requests into one model run.
 */
export function createModelEndpoints(
  model: VaeModel,
  name: string,
  batching: BatchingOptions,
  onBatch: (graph: 'encoder' | 'decoder', rows: number, requests: number) => void,
): Record<string, ModelEndpoint> {
  const { encoder, decoder } = model.manifest.graphs;
  const rows = (i: NamedTensors): number => Object.values(i)[0]!.shape[0]!;
  const encNames = encoder.outputs.map((t) => t.name);
  const decNames = decoder.outputs.map((t) => t.name);
  const endpoint = (
    graph: 'encoder' | 'decoder',
    info: typeof encoder,
    run: (merged: Record<string, Tensor>) => Promise<NamedTensors>,
  ): ModelEndpoint => ({
    graph,
    metadata: {
      name: `${name}-${graph}`,
      versions: [V2_VERSION],
      platform: V2_PLATFORM,
      inputs: info.inputs.map(tensorMetadata),
      outputs: info.outputs.map(tensorMetadata),
      parameters: modelParameters(model, graph),
    },
    batcher: new MicroBatcher<NamedTensors, NamedTensors>({
      ...batching,
      rows,
      onBatch: (r, n) => onBatch(graph, r, n),
      run: async (inputs) => {
        const merged = concatInputs(
          info.inputs.map((t) => t.name),
          inputs,
        );
        return splitOutputs(await run(merged), inputs.map(rows));
      },
    }),
  });
  const enc = endpoint('encoder', encoder, async (m) => {
    const e = await model.encode(m[encoder.inputs[0]!.name]!, m.y);
    return 'mu' in e ? { [encNames[0]!]: e.mu, [encNames[1]!]: e.logvar } : { [encNames[0]!]: e.z };
  });
  const dec = endpoint('decoder', decoder, async (m) => {
    const d = await model.decode(m[decoder.inputs[0]!.name]!, m.y);
    return { [decNames[0]!]: d.logits, [decNames[1]!]: d.mean };
  });
  return { [enc.metadata.name]: enc, [dec.metadata.name]: dec };
}
