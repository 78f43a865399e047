import { chmod, mkdir, mkdtemp, readdir, rename, rm, stat, writeFile } from 'node:fs/promises';
import { basename, dirname, join, resolve } from 'node:path';
import { MANIFEST_FILE, decoderSignature, encoderSignature, getLogger, parametersSha256, parseManifest, sha256Hex, validateModelSpec, validateParameters, type ModelManifest, type ModelSpec, type ParameterSet, type Precision } from '@vae/core';
import { buildDecoderGraph, buildEncoderGraph } from './inference-graphs.js';
import { MODEL_FILES, createManifest, type ProvenanceInput } from './manifest-build.js';
import { weightWriter } from './precision-weights.js';

const log = getLogger('onnx:export');

/** Options of {@link exportModel}. */
export interface ExportOptions {
  readonly spec: ModelSpec;
  readonly params: ParameterSet;
  readonly provenance: ProvenanceInput;
  /** Model directory to create (replaced only after the new one is complete). */
  readonly outDir: string;
  /** Weight precision (default `fp32`). */
  readonly precision?: Precision;
  /** Model name in the manifest (default: the directory name). */
  readonly name?: string;
}

/** Result of {@link exportModel}. */
export interface ExportResult {
  /** Absolute path of the model directory. */
  readonly outDir: string;
  readonly manifest: ModelManifest;
  /** File sizes in bytes. */
  readonly sizes: { readonly encoder: number; readonly decoder: number; readonly manifest: number };
}

async function statOrNull(path: string): Promise<Awaited<ReturnType<typeof stat>> | null> {
  try {
    return await stat(path);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return null;
    throw err;
  }
}

/** Refuses to replace anything but a model directory (or an empty one), so `--out .` cannot wipe a tree. */
async function assertReplaceable(outDir: string): Promise<boolean> {
  const s = await statOrNull(outDir);
  if (!s) return false;
  if (!s.isDirectory()) throw new Error(`outDir: expected a directory path, got an existing file ${outDir}`);
  const entries = await readdir(outDir);
  if (entries.length > 0 && !entries.includes(MANIFEST_FILE)) {
    throw new Error(`outDir: expected a new, empty or model directory (with ${MANIFEST_FILE}), got ${outDir} holding ${entries.length} other entries; refusing to replace it`);
  }
  return true;
}

function errorText(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}

/**
 * Exports `spec` + `params` as a model directory: `encoder.onnx`, `decoder.onnx` and a validated
 * `manifest.json` (SHA-256 per graph). Graphs are built in memory first; files are written to a
 * temp directory beside `outDir` which is then renamed into place. An existing model directory at
 * `outDir` is replaced only after the new one is complete; on any error nothing is left behind.
 */
export async function exportModel(o: ExportOptions): Promise<ExportResult> {
  if (o === null || typeof o !== 'object') throw new TypeError(`options: expected { spec, params, provenance, outDir, precision?, name? }, got ${String(o)}`);
  if (typeof o.outDir !== 'string' || o.outDir.length === 0) throw new TypeError(`outDir: expected a directory path, got ${JSON.stringify(o.outDir)}`);
  const precision = o.precision ?? 'fp32';
  weightWriter(precision);
  validateModelSpec(o.spec);
  validateParameters(o.spec, o.params);
  const outDir = resolve(o.outDir);
  const name = o.name ?? basename(outDir);
  if (typeof name !== 'string' || name.length === 0) throw new TypeError(`name: expected a non-empty string, got ${JSON.stringify(name)}`);

  const encoder = buildEncoderGraph(o.spec, o.params, { precision });
  const decoder = buildDecoderGraph(o.spec, o.params, { precision });
  const manifest = parseManifest(
    createManifest({
      name,
      spec: o.spec,
      precision,
      encoder: { signature: encoderSignature(o.spec), sha256: await sha256Hex(encoder), bytes: encoder.length },
      decoder: { signature: decoderSignature(o.spec), sha256: await sha256Hex(decoder), bytes: decoder.length },
      provenance: { ...o.provenance, paramsSha256: await parametersSha256(o.spec, o.params) },
    }),
  );
  const manifestBytes = new TextEncoder().encode(`${JSON.stringify(manifest, null, 2)}\n`);

  const parent = dirname(outDir);
  let tmp: string | null = null;
  try {
    const exists = await assertReplaceable(outDir);
    await mkdir(parent, { recursive: true });
    tmp = await mkdtemp(join(parent, `.${basename(outDir)}.tmp-`));
    await chmod(tmp, 0o755);
    await writeFile(join(tmp, MODEL_FILES.encoder), encoder);
    await writeFile(join(tmp, MODEL_FILES.decoder), decoder);
    await writeFile(join(tmp, MANIFEST_FILE), manifestBytes);
    if (exists) {
      const old = `${tmp.replace(/\.tmp-([^/]*)$/, '.old-$1')}`;
      await rename(outDir, old);
      try {
        await rename(tmp, outDir);
      } catch (err) {
        await rename(old, outDir);
        throw err;
      }
      tmp = null;
      await rm(old, { recursive: true, force: true });
    } else {
      await rename(tmp, outDir);
      tmp = null;
    }
  } catch (err) {
    if (tmp) await rm(tmp, { recursive: true, force: true }).catch(() => undefined);
    throw new Error(`outDir: could not write the model directory ${outDir} (${errorText(err)})`, { cause: err });
  }
  log.debug(`exported ${name} (${o.spec.kind}, ${precision}) to ${outDir}: encoder ${encoder.length} B, decoder ${decoder.length} B`);
  return { outDir, manifest, sizes: { encoder: encoder.length, decoder: decoder.length, manifest: manifestBytes.length } };
}
