import {
  GOLDEN_FILE,
  MANIFEST_FILE,
  decoderSignature,
  encoderSignature,
  modelKindInfo,
  scorerSignature,
  parametersSha256,
  parseManifest,
  sha256Hex,
  type ModelManifest,
  type ModelSpec,
  type ParameterSet,
  type Precision,
} from '@vae/core';
import { buildDecoderGraph, buildEncoderGraph } from './inference-graphs.js';
import { buildScorerGraph } from './scorer-graph.js';
import { buildGoldenFile, type GoldenBuildOptions } from './golden-build.js';
import { MODEL_FILES, createManifest, type ManifestGraph, type ProvenanceInput } from './manifest-build.js';

/** What {@link buildModelFiles} builds from. */
export interface ModelFilesOptions {
  readonly spec: ModelSpec;
  readonly params: ParameterSet;
  readonly provenance: ProvenanceInput;
  readonly precision: Precision;
  readonly name: string;
  /** Writes `golden.json` with reference rows computed on this backend (see `buildGoldenFile`); none when absent. */
  readonly golden?: GoldenBuildOptions;
}

async function goldenBytes(
  o: ModelFilesOptions,
  graphs: { encoder: Uint8Array; decoder: Uint8Array; scorer?: Uint8Array },
): Promise<Uint8Array | null> {
  if (!o.golden) return null;
  const golden = await buildGoldenFile(o.spec, graphs, o.golden);
  return new TextEncoder().encode(`${JSON.stringify(golden)}\n`);
}

/**
 * The files of a model directory, built in memory: `encoder.onnx`, `decoder.onnx`, `scorer.onnx`
 * (variational kinds), `golden.json` (when `golden` names a backend) and the validated
 * `manifest.json` naming them with their SHA-256. What
 * `exportModel` writes; also loadable straight from memory (e.g. to evaluate a checkpoint).
 */
export async function buildModelFiles(
  o: ModelFilesOptions,
): Promise<{ manifest: ModelManifest; files: Record<string, Uint8Array> }> {
  const { spec, params, precision } = o;
  const encoder = buildEncoderGraph(spec, params, { precision });
  const decoder = buildDecoderGraph(spec, params, { precision });
  const scorer = modelKindInfo(spec.kind).variational ? buildScorerGraph(spec, params, { precision }) : null;
  const entry = async (signature: ManifestGraph['signature'], bytes: Uint8Array): Promise<ManifestGraph> => ({
    signature,
    sha256: await sha256Hex(bytes),
    bytes: bytes.length,
  });
  const golden = await goldenBytes(o, { encoder, decoder, ...(scorer ? { scorer } : {}) });
  const manifest = parseManifest(
    createManifest({
      name: o.name,
      spec,
      precision,
      encoder: await entry(encoderSignature(spec), encoder),
      decoder: await entry(decoderSignature(spec), decoder),
      ...(scorer ? { scorer: await entry(scorerSignature(spec), scorer) } : {}),
      provenance: { ...o.provenance, paramsSha256: await parametersSha256(spec, params) },
      ...(golden ? { golden: { file: GOLDEN_FILE, sha256: await sha256Hex(golden), bytes: golden.length } } : {}),
    }),
  );
  const files: Record<string, Uint8Array> = { [MODEL_FILES.encoder]: encoder, [MODEL_FILES.decoder]: decoder };
  if (scorer) files[MODEL_FILES.scorer] = scorer;
  if (golden) files[GOLDEN_FILE] = golden;
  files[MANIFEST_FILE] = new TextEncoder().encode(`${JSON.stringify(manifest, null, 2)}\n`);
  return { manifest, files };
}
