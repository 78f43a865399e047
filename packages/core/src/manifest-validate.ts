import { decoderSignature, encoderSignature, scorerSignature, type GraphSignature } from './graph-signature.js';
import {
  MANIFEST_SCHEMA,
  MANIFEST_VERSION,
  PRECISIONS,
  type GraphInfo,
  type ModelManifest,
  type Provenance,
  type TensorInfo,
} from './manifest.js';
import './kinds/builtin-kinds.js';
import { listModelKinds, modelKindInfo } from './model-kinds.js';
import { assertModelFileName } from './model-source.js';
import { validateModelSpec } from './model-shapes.js';
import { LIKELIHOODS, type ModelSpec } from './model-spec.js';

/** A malformed `manifest.json`; `field` is the path of the offending field, e.g. `manifest.graphs.encoder.sha256`. */
export class ManifestError extends Error {
  override readonly name = 'ManifestError';
  constructor(
    readonly field: string,
    expected: string,
    actual: unknown,
  ) {
    super(`${field}: expected ${expected}, got ${describe(actual)}`);
  }
}

function describe(v: unknown): string {
  if (v === undefined) return 'nothing (missing)';
  try {
    const s = JSON.stringify(v);
    return s.length > 120 ? `${s.slice(0, 117)}...` : s;
  } catch {
    return String(v);
  }
}

type Obj = Record<string, unknown>;

function object(v: unknown, field: string): Obj {
  if (v === null || typeof v !== 'object' || Array.isArray(v)) throw new ManifestError(field, 'an object', v);
  return v as Obj;
}

function string(v: unknown, field: string): string {
  if (typeof v !== 'string' || v.length === 0) throw new ManifestError(field, 'a non-empty string', v);
  return v;
}

function integer(v: unknown, field: string, min: number): number {
  if (typeof v !== 'number' || !Number.isInteger(v) || v < min)
    throw new ManifestError(field, `an integer ≥ ${min}`, v);
  return v;
}

function finite(v: unknown, field: string): number {
  if (typeof v !== 'number' || !Number.isFinite(v)) throw new ManifestError(field, 'a finite number', v);
  return v;
}

function oneOf<T extends string>(v: unknown, field: string, choices: readonly T[]): T {
  if (typeof v !== 'string' || !(choices as readonly string[]).includes(v))
    throw new ManifestError(field, `one of ${choices.join('|')}`, v);
  return v as T;
}

function tensorInfo(v: unknown, field: string): TensorInfo {
  const o = object(v, field);
  string(o.name, `${field}.name`);
  if (!Array.isArray(o.shape) || o.shape.length === 0)
    throw new ManifestError(`${field}.shape`, "a non-empty array of sizes or 'batch'", o.shape);
  o.shape.forEach((d, i) => {
    if (d !== 'batch') integer(d, `${field}.shape[${i}]`, 1);
  });
  oneOf(o.dtype, `${field}.dtype`, ['float32']);
  return o as unknown as TensorInfo;
}

function tensorInfos(v: unknown, field: string): void {
  if (!Array.isArray(v) || v.length === 0)
    throw new ManifestError(field, 'a non-empty array of { name, shape, dtype }', v);
  const names = new Set<string>();
  v.forEach((t, i) => {
    const info = tensorInfo(t, `${field}[${i}]`);
    if (names.has(info.name))
      throw new ManifestError(`${field}[${i}].name`, 'a name not used by another entry', info.name);
    names.add(info.name);
  });
}

/** File name, SHA-256 and size of a graph or golden entry. */
function fileInfo(v: unknown, field: string): Obj {
  const o = object(v, field);
  try {
    assertModelFileName(o.file, `${field}.file`);
  } catch {
    throw new ManifestError(`${field}.file`, 'a relative file name inside the model directory', o.file);
  }
  if (typeof o.sha256 !== 'string' || !/^[0-9a-f]{64}$/.test(o.sha256))
    throw new ManifestError(`${field}.sha256`, '64 lower-case hex digits', o.sha256);
  integer(o.bytes, `${field}.bytes`, 1);
  return o;
}

function graphInfo(v: unknown, field: string): GraphInfo {
  const o = fileInfo(v, field);
  tensorInfos(o.inputs, `${field}.inputs`);
  tensorInfos(o.outputs, `${field}.outputs`);
  return o as unknown as GraphInfo;
}

function goldenInfo(v: unknown, graphs: readonly (GraphInfo | undefined)[]): void {
  const o = fileInfo(v, 'manifest.golden');
  if (graphs.some((g) => g?.file === o.file))
    throw new ManifestError('manifest.golden.file', 'a file other than the graphs', o.file);
}

function provenance(v: unknown, field: string): Provenance {
  const o = object(v, field);
  string(o.dataset, `${field}.dataset`);
  integer(o.epochs, `${field}.epochs`, 0);
  if (typeof o.seed !== 'number' || !Number.isInteger(o.seed))
    throw new ManifestError(`${field}.seed`, 'an integer', o.seed);
  if (o.valElbo !== null) finite(o.valElbo, `${field}.valElbo`);
  string(o.engine, `${field}.engine`);
  string(o.backend, `${field}.backend`);
  if (o.commit !== null && (typeof o.commit !== 'string' || !/^[0-9a-f]{7,64}$/.test(o.commit))) {
    throw new ManifestError(`${field}.commit`, 'a hex git commit or null', o.commit);
  }
  if (typeof o.exportedAt !== 'string' || Number.isNaN(Date.parse(o.exportedAt)))
    throw new ManifestError(`${field}.exportedAt`, 'an ISO-8601 time', o.exportedAt);
  if (o.paramsSha256 !== undefined && (typeof o.paramsSha256 !== 'string' || !/^[0-9a-f]{64}$/.test(o.paramsSha256))) {
    throw new ManifestError(`${field}.paramsSha256`, '64 lower-case hex digits (or absent)', o.paramsSha256);
  }
  if (o.trainedIn !== undefined) {
    const t = object(o.trainedIn, `${field}.trainedIn`);
    if (t.platform !== 'browser' && t.platform !== 'node')
      throw new ManifestError(`${field}.trainedIn.platform`, 'browser|node', t.platform);
    string(t.agent, `${field}.trainedIn.agent`);
    string(t.device, `${field}.trainedIn.device`);
  }
  return o as unknown as Provenance;
}

/** The graph entries must be the signature the model fields imply (names in order, shapes, dtype). */
function matchesSignature(g: GraphInfo, sig: GraphSignature, field: string): void {
  for (const kind of ['inputs', 'outputs'] as const) {
    const text = (l: readonly TensorInfo[]) => l.map((t) => `${t.name} [${t.shape.join(', ')}] ${t.dtype}`).join(', ');
    if (text(g[kind]) !== text(sig[kind])) {
      throw new ManifestError(
        `${field}.${kind}`,
        `${text(sig[kind])} (from manifest.kind, imageShape, latentDim, numClasses)`,
        text(g[kind]),
      );
    }
  }
}

function sameJson(a: unknown, b: unknown): boolean {
  return JSON.stringify(a) === JSON.stringify(b);
}

/**
 * Validates a parsed `manifest.json` completely and returns it typed (a deep copy). Throws a
 * {@link ManifestError} naming the field, the expected and the actual value: wrong schema or
 * version, unknown kind/likelihood/precision, a spec that does not validate or disagrees with the
 * top-level fields, malformed graph entries (file, SHA-256, bytes, inputs/outputs) or provenance.
 */
export function parseManifest(json: unknown): ModelManifest {
  const m = object(json, 'manifest');
  if (m.schema !== MANIFEST_SCHEMA)
    throw new ManifestError('manifest.schema', JSON.stringify(MANIFEST_SCHEMA), m.schema);
  if (m.schemaVersion !== MANIFEST_VERSION) {
    const newer = typeof m.schemaVersion === 'number' && m.schemaVersion > MANIFEST_VERSION;
    throw new ManifestError(
      'manifest.schemaVersion',
      `${MANIFEST_VERSION}${newer ? ' (written by a newer version; upgrade this program)' : ''}`,
      m.schemaVersion,
    );
  }
  string(m.name, 'manifest.name');
  const kind = oneOf(m.kind, 'manifest.kind', listModelKinds());
  const variational = modelKindInfo(kind).variational;
  if (m.variational !== variational)
    throw new ManifestError('manifest.variational', `${variational} for kind ${kind}`, m.variational);
  oneOf(m.likelihood, 'manifest.likelihood', Object.keys(LIKELIHOODS) as (keyof typeof LIKELIHOODS)[]);
  if (finite(m.gaussianSigma, 'manifest.gaussianSigma') <= 0)
    throw new ManifestError('manifest.gaussianSigma', 'a positive number', m.gaussianSigma);
  integer(m.latentDim, 'manifest.latentDim', 1);
  integer(m.numClasses, 'manifest.numClasses', 0);
  if (!Array.isArray(m.imageShape) || m.imageShape.length !== 3)
    throw new ManifestError('manifest.imageShape', '[H, W, C]', m.imageShape);
  m.imageShape.forEach((d, i) => integer(d, `manifest.imageShape[${i}]`, 1));
  const norm = object(m.normalization, 'manifest.normalization');
  if (finite(norm.scale, 'manifest.normalization.scale') <= 0)
    throw new ManifestError('manifest.normalization.scale', 'a positive number', norm.scale);
  if (typeof norm.description !== 'string')
    throw new ManifestError('manifest.normalization.description', 'a string', norm.description);
  const clamp = m.logvarClamp;
  if (
    !Array.isArray(clamp) ||
    clamp.length !== 2 ||
    !clamp.every((v) => typeof v === 'number' && Number.isFinite(v)) ||
    !(clamp[0] < clamp[1])
  ) {
    throw new ManifestError('manifest.logvarClamp', '[min, max] with min < max', clamp);
  }
  oneOf(m.precision, 'manifest.precision', Object.keys(PRECISIONS) as (keyof typeof PRECISIONS)[]);
  integer(m.opset, 'manifest.opset', 1);
  integer(m.irVersion, 'manifest.irVersion', 1);
  const spec = object(m.spec, 'manifest.spec') as unknown as ModelSpec;
  try {
    validateModelSpec(spec);
  } catch (err) {
    throw new ManifestError(
      'manifest.spec',
      'a valid model spec',
      `${err instanceof Error ? err.message : String(err)}`,
    );
  }
  for (const key of ['kind', 'likelihood', 'latentDim', 'numClasses', 'imageShape', 'gaussianSigma'] as const) {
    if (!sameJson(spec[key], m[key]))
      throw new ManifestError(`manifest.spec.${key}`, `${describe(m[key])} (manifest.${key})`, spec[key]);
  }
  const graphs = object(m.graphs, 'manifest.graphs');
  const encoder = graphInfo(graphs.encoder, 'manifest.graphs.encoder');
  const decoder = graphInfo(graphs.decoder, 'manifest.graphs.decoder');
  if (encoder.file === decoder.file)
    throw new ManifestError('manifest.graphs.decoder.file', 'a file other than the encoder', decoder.file);
  matchesSignature(encoder, encoderSignature(spec), 'manifest.graphs.encoder');
  matchesSignature(decoder, decoderSignature(spec), 'manifest.graphs.decoder');
  if (graphs.scorer !== undefined) {
    if (!modelKindInfo(kind).variational)
      throw new ManifestError(
        'manifest.graphs.scorer',
        `no scorer for the non-variational kind ${kind}`,
        'a scorer entry',
      );
    const scorer = graphInfo(graphs.scorer, 'manifest.graphs.scorer');
    if (scorer.file === encoder.file || scorer.file === decoder.file)
      throw new ManifestError('manifest.graphs.scorer.file', 'a file other than the encoder and decoder', scorer.file);
    matchesSignature(scorer, scorerSignature(spec), 'manifest.graphs.scorer');
  }
  if (m.golden !== undefined) goldenInfo(m.golden, [encoder, decoder, graphs.scorer as GraphInfo | undefined]);
  provenance(m.provenance, 'manifest.provenance');
  return structuredClone(m) as unknown as ModelManifest;
}
