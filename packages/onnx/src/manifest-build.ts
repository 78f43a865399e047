import {
  LOGVAR_CLAMP,
  MANIFEST_SCHEMA,
  MANIFEST_VERSION,
  modelKindInfo,
  type GoldenInfo,
  type GraphInfo,
  type ModelManifest,
  type ModelSpec,
  type Precision,
  type Provenance,
  type GraphSignature,
} from '@vae/core';
import { IR_VERSION, OPSET_VERSION } from './onnx-proto.js';

/** Provenance as the caller gives it; `exportedAt` defaults to now. */
export type ProvenanceInput = Omit<Provenance, 'exportedAt'> & { readonly exportedAt?: string };

/** File names inside an exported model directory. */
export const MODEL_FILES = Object.freeze({ encoder: 'encoder.onnx', decoder: 'decoder.onnx', scorer: 'scorer.onnx' });

/** How pixels map to model input in every exported model. */
export const PIXEL_NORMALIZATION = Object.freeze({
  scale: 1 / 255,
  description: 'x = pixel / 255 (intensities in [0, 1], per channel), flat [batch, H·W·C] in HWC (row-major) order',
});

/** One graph of {@link createManifest}: its signature and file facts. */
export interface ManifestGraph {
  readonly signature: GraphSignature;
  readonly sha256: string;
  readonly bytes: number;
}

/** The `manifest.json` object of an exported model. */
export function createManifest(o: {
  readonly name: string;
  readonly spec: ModelSpec;
  readonly precision: Precision;
  readonly encoder: ManifestGraph;
  readonly decoder: ManifestGraph;
  /** The scorer graph of a variational model (optional). */
  readonly scorer?: ManifestGraph;
  /** The golden set's file entry (optional). */
  readonly golden?: GoldenInfo;
  readonly provenance: ProvenanceInput;
}): ModelManifest {
  const { spec } = o;
  const graph = (file: string, g: ManifestGraph): GraphInfo => ({
    file,
    sha256: g.sha256,
    bytes: g.bytes,
    inputs: g.signature.inputs,
    outputs: g.signature.outputs,
  });
  return {
    schema: MANIFEST_SCHEMA,
    schemaVersion: MANIFEST_VERSION,
    name: o.name,
    kind: spec.kind,
    variational: modelKindInfo(spec.kind).variational,
    likelihood: spec.likelihood,
    gaussianSigma: spec.gaussianSigma,
    latentDim: spec.latentDim,
    numClasses: spec.numClasses,
    imageShape: [...spec.imageShape],
    normalization: { ...PIXEL_NORMALIZATION },
    logvarClamp: [...LOGVAR_CLAMP],
    precision: o.precision,
    opset: OPSET_VERSION,
    irVersion: IR_VERSION,
    spec,
    graphs: {
      encoder: graph(MODEL_FILES.encoder, o.encoder),
      decoder: graph(MODEL_FILES.decoder, o.decoder),
      ...(o.scorer ? { scorer: graph(MODEL_FILES.scorer, o.scorer) } : {}),
    },
    ...(o.golden ? { golden: { ...o.golden } } : {}),
    provenance: {
      dataset: o.provenance.dataset,
      epochs: o.provenance.epochs,
      seed: o.provenance.seed,
      valElbo: o.provenance.valElbo,
      engine: o.provenance.engine,
      backend: o.provenance.backend,
      commit: o.provenance.commit,
      exportedAt: o.provenance.exportedAt ?? new Date().toISOString(),
      ...(o.provenance.paramsSha256 ? { paramsSha256: o.provenance.paramsSha256 } : {}),
      ...(o.provenance.trainedIn ? { trainedIn: { ...o.provenance.trainedIn } } : {}),
    },
  };
}
