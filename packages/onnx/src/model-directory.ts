import { readFile, rename, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { GOLDEN_FILE, MANIFEST_FILE, parseManifest, sha256Hex, type GraphInfo, type ModelManifest } from '@vae/core';
import { buildGoldenFile, type GoldenBuildOptions } from './golden-build.js';

/** A verified model directory: its manifest and the bytes of its graphs. */
export interface ModelDirectory {
  readonly manifest: ModelManifest;
  readonly encoder: Uint8Array;
  readonly decoder: Uint8Array;
  /** The scorer graph, when the manifest lists one. */
  readonly scorer?: Uint8Array;
}

async function readGraph(dir: string, info: GraphInfo): Promise<Uint8Array> {
  const path = join(dir, info.file);
  const bytes = new Uint8Array(await readFile(path));
  if (bytes.length !== info.bytes)
    throw new Error(`${path}: expected ${info.bytes} bytes (manifest), got ${bytes.length}`);
  const digest = await sha256Hex(bytes);
  if (digest !== info.sha256)
    throw new Error(`${path}: checksum mismatch: expected SHA-256 ${info.sha256} (manifest), got ${digest}`);
  return bytes;
}

/**
 * Reads a model directory from disk (Node): parses and validates `manifest.json`, then checks the
 * size and SHA-256 of every graph. Throws naming the file and what is wrong with it.
 */
export async function readModelDirectory(dir: string): Promise<ModelDirectory> {
  const path = join(dir, MANIFEST_FILE);
  let text: string;
  try {
    text = await readFile(path, 'utf8');
  } catch (err) {
    throw new Error(
      `${path}: expected a model directory with ${MANIFEST_FILE} (${err instanceof Error ? err.message : String(err)})`,
      { cause: err },
    );
  }
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch (err) {
    throw new Error(`${path}: expected JSON, got a parse error (${err instanceof Error ? err.message : String(err)})`, {
      cause: err,
    });
  }
  let manifest: ModelManifest;
  try {
    manifest = parseManifest(json);
  } catch (err) {
    throw new Error(`${path}: malformed manifest: ${err instanceof Error ? err.message : String(err)}`, { cause: err });
  }
  const scorer = manifest.graphs.scorer ? await readGraph(dir, manifest.graphs.scorer) : null;
  return {
    manifest,
    encoder: await readGraph(dir, manifest.graphs.encoder),
    decoder: await readGraph(dir, manifest.graphs.decoder),
    ...(scorer ? { scorer } : {}),
  };
}

async function writeReplacing(path: string, bytes: Uint8Array): Promise<void> {
  const tmp = `${path}.tmp-${process.pid}`;
  await writeFile(tmp, bytes);
  await rename(tmp, path);
}

/** `manifest` with `golden` inserted after `graphs` (the order `vae export` writes). */
function withGolden(manifest: ModelManifest, golden: NonNullable<ModelManifest['golden']>): ModelManifest {
  const entries = Object.entries(manifest).filter(([k]) => k !== 'golden');
  const at = entries.findIndex(([k]) => k === 'graphs') + 1;
  entries.splice(at, 0, ['golden', golden]);
  return parseManifest(Object.fromEntries(entries));
}

/**
 * Writes (or rewrites) the golden set of an existing model directory from its own graphs, leaving
 * every graph byte-identical: `golden.json` first, then `manifest.json` with the new `golden` entry
 * (each written to a temp file and renamed). For models exported before golden sets existed.
 * Returns the golden file's size in bytes.
 */
export async function addGoldenFile(dir: string, o: GoldenBuildOptions): Promise<number> {
  const m = await readModelDirectory(dir);
  const golden = await buildGoldenFile(m.manifest.spec, m, o);
  const bytes = new TextEncoder().encode(`${JSON.stringify(golden)}\n`);
  const manifest = withGolden(m.manifest, { file: GOLDEN_FILE, sha256: await sha256Hex(bytes), bytes: bytes.length });
  await writeReplacing(join(dir, GOLDEN_FILE), bytes);
  await writeReplacing(join(dir, MANIFEST_FILE), new TextEncoder().encode(`${JSON.stringify(manifest, null, 2)}\n`));
  return bytes.length;
}
