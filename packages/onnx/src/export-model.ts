import { chmod, mkdir, mkdtemp, readdir, rename, rm, stat, writeFile } from 'node:fs/promises';
import { basename, dirname, join, resolve } from 'node:path';
import {
  GOLDEN_FILE,
  MANIFEST_FILE,
  getLogger,
  validateModelSpec,
  validateParameters,
  type ModelManifest,
  type ModelSpec,
  type ParameterSet,
  type Precision,
} from '@vae/core';
import { MODEL_FILES, type ProvenanceInput } from './manifest-build.js';
import { buildModelFiles } from './model-files.js';
import type { GoldenBuildOptions } from './golden-build.js';
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
  /** Writes `golden.json`, reference rows computed on this backend (`vae export` passes onnxruntime-node cpu). */
  readonly golden?: GoldenBuildOptions;
}

/** Result of {@link exportModel}. */
export interface ExportResult {
  /** Absolute path of the model directory. */
  readonly outDir: string;
  readonly manifest: ModelManifest;
  /** File sizes in bytes. */
  readonly sizes: {
    readonly encoder: number;
    readonly decoder: number;
    readonly scorer?: number;
    readonly golden?: number;
    readonly manifest: number;
  };
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
    throw new Error(
      `outDir: expected a new, empty or model directory (with ${MANIFEST_FILE}), got ${outDir} holding ${entries.length} other entries; refusing to replace it`,
    );
  }
  return true;
}

function errorText(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}

/**
 * Exports `spec` + `params` as a model directory: `encoder.onnx`, `decoder.onnx`, `scorer.onnx`, `golden.json` (with `golden`) and a validated
 * `manifest.json` (SHA-256 per graph). Graphs are built in memory first; files are written to a
 * temp directory beside `outDir` which is then renamed into place. An existing model directory at
 * `outDir` is replaced only after the new one is complete; on any error nothing is left behind.
 */
export async function exportModel(o: ExportOptions): Promise<ExportResult> {
  if (o === null || typeof o !== 'object')
    throw new TypeError(`options: expected { spec, params, provenance, outDir, precision?, name? }, got ${String(o)}`);
  if (typeof o.outDir !== 'string' || o.outDir.length === 0)
    throw new TypeError(`outDir: expected a directory path, got ${JSON.stringify(o.outDir)}`);
  const precision = o.precision ?? 'fp32';
  weightWriter(precision);
  validateModelSpec(o.spec);
  validateParameters(o.spec, o.params);
  const outDir = resolve(o.outDir);
  const name = o.name ?? basename(outDir);
  if (typeof name !== 'string' || name.length === 0)
    throw new TypeError(`name: expected a non-empty string, got ${JSON.stringify(name)}`);

  const { manifest, files } = await buildModelFiles({
    spec: o.spec,
    params: o.params,
    provenance: o.provenance,
    precision,
    name,
    ...(o.golden ? { golden: o.golden } : {}),
  });
  const manifestBytes = files[MANIFEST_FILE]!;
  const encoder = files[MODEL_FILES.encoder]!;
  const decoder = files[MODEL_FILES.decoder]!;
  const scorer = files[MODEL_FILES.scorer] ?? null;
  const golden = files[GOLDEN_FILE] ?? null;

  const parent = dirname(outDir);
  let tmp: string | null = null;
  try {
    const exists = await assertReplaceable(outDir);
    await mkdir(parent, { recursive: true });
    tmp = await mkdtemp(join(parent, `.${basename(outDir)}.tmp-`));
    await chmod(tmp, 0o755);
    for (const [file, bytes] of Object.entries(files)) await writeFile(join(tmp, file), bytes);
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
  log.debug(
    `exported ${name} (${o.spec.kind}, ${precision}) to ${outDir}: encoder ${encoder.length} B, decoder ${decoder.length} B${scorer ? `, scorer ${scorer.length} B` : ''}`,
  );
  return {
    outDir,
    manifest,
    sizes: {
      encoder: encoder.length,
      decoder: decoder.length,
      ...(scorer ? { scorer: scorer.length } : {}),
      ...(golden ? { golden: golden.length } : {}),
      manifest: manifestBytes.length,
    },
  };
}
