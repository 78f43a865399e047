import { ModelFileNotFoundError, assertModelFileName, type ModelFileSource } from '@vae/core';
import type { FileLoad } from './worker-protocol.js';

/** Reports download progress of one file (bytes so far, expected total). */
export type ProgressSink = (path: string, loaded: number, total: number) => void;

/** Name of the demo's Cache API store. */
export const CACHE_NAME = 'vae-demo';

function hex(buffer: ArrayBuffer): string {
  return Array.from(new Uint8Array(buffer), (b) => b.toString(16).padStart(2, '0')).join('');
}

async function openCache(): Promise<Cache | null> {
  if (typeof caches === 'undefined') return null;
  try {
    return await caches.open(CACHE_NAME);
  } catch {
    return null;
  }
}

/** Whether the Cache API is usable here (it needs a secure context: https, localhost or 127.0.0.1). */
export async function cacheAvailable(): Promise<boolean> {
  return (await openCache()) !== null;
}

async function download(
  url: URL,
  path: string,
  total: number,
  onProgress: ProgressSink,
): Promise<Uint8Array<ArrayBuffer>> {
  const response = await fetch(url, { cache: 'no-store' });
  if (response.status === 404) throw new Error(`${path}: not found on the server (HTTP 404); rebuild the site`);
  if (!response.ok || !response.body)
    throw new Error(`${path}: expected HTTP 200, got ${response.status} ${response.statusText}`);
  const reader = response.body.getReader();
  const chunks: Uint8Array[] = [];
  let loaded = 0;
  for (;;) {
    const { done, value } = await reader.read();
    if (done) break;
    chunks.push(value);
    loaded += value.length;
    onProgress(path, loaded, Math.max(total, loaded));
  }
  const bytes = new Uint8Array(loaded);
  let at = 0;
  for (const c of chunks) {
    bytes.set(c, at);
    at += c.length;
  }
  return bytes;
}

/**
 * The bytes of `file` (site path, size and SHA-256) at `base`: from the Cache API when a copy with
 * this SHA-256 is stored, else downloaded (with progress), checked against the SHA-256 and stored;
 * copies of the same path with another SHA-256 are deleted, so a new model invalidates the old one.
 */
export async function cachedBytes(
  base: URL,
  file: { readonly path: string; readonly bytes: number; readonly sha256: string },
  onProgress: ProgressSink,
): Promise<{ bytes: Uint8Array; load: FileLoad }> {
  const url = new URL(file.path, base);
  const key = `${url.origin}${url.pathname}?sha256=${file.sha256}`;
  const cache = await openCache();
  const hit = await cache?.match(key);
  if (hit) {
    const bytes = new Uint8Array(await hit.arrayBuffer());
    onProgress(file.path, bytes.length, bytes.length);
    return { bytes, load: { path: file.path, bytes: bytes.length, source: 'cache' } };
  }
  const bytes = await download(url, file.path, file.bytes, onProgress);
  const actual = hex(await crypto.subtle.digest('SHA-256', bytes));
  if (actual !== file.sha256)
    throw new Error(`${file.path}: expected SHA-256 ${file.sha256}, got ${actual}; reload to fetch it again`);
  if (cache) {
    for (const old of await cache.keys())
      if (new URL(old.url).pathname === url.pathname && old.url !== key) await cache.delete(old);
    await cache.put(key, new Response(bytes));
  }
  return { bytes, load: { path: file.path, bytes: bytes.length, source: 'network' } };
}

/**
 * A model directory at `base` + `dir` as core's {@link ModelFileSource}: `manifest.json` is always
 * fetched (revalidated) and must have the SHA-256 `site.json` lists for it (a manifest swapped
 * together with its graphs, e.g. fp32 files under an int8 model's name, is refused naming both
 * hashes); the graphs come through {@link cachedBytes}, keyed by and checked against the manifest's
 * SHA-256.
 */
export function cachedModelSource(
  base: URL,
  dir: string,
  files: readonly { readonly path: string; readonly bytes: number; readonly sha256: string }[],
  onProgress: ProgressSink,
  loads: FileLoad[],
): ModelFileSource {
  const location = new URL(dir, base).href;
  const listed = new Map(files.map((f) => [f.path, f]));
  let graphs: Record<string, { file: string; sha256: string }> = {};
  return {
    location,
    read: async (file) => {
      assertModelFileName(file);
      const path = `${dir}${file}`;
      if (file === 'manifest.json') {
        const response = await fetch(new URL(path, base), { cache: 'no-cache' });
        if (response.status === 404) throw new ModelFileNotFoundError(location, file);
        if (!response.ok) throw new Error(`${path}: expected HTTP 200, got ${response.status}`);
        const bytes = new Uint8Array(await response.arrayBuffer());
        const expected = listed.get(path)?.sha256;
        const actual = hex(await crypto.subtle.digest('SHA-256', bytes));
        if (actual !== expected)
          throw new Error(
            `${path}: expected SHA-256 ${expected ?? '(not listed)'} as site.json lists it, got ${actual}; the model folder was changed after the site was built: rebuild the site (pnpm demo:build)`,
          );
        const parsed = JSON.parse(new TextDecoder().decode(bytes)) as {
          graphs?: typeof graphs;
          golden?: (typeof graphs)[string];
        };
        graphs = { ...parsed.graphs, ...(parsed.golden ? { golden: parsed.golden } : {}) };
        loads.push({ path, bytes: bytes.length, source: 'network' });
        onProgress(path, bytes.length, bytes.length);
        return bytes;
      }
      const graph = Object.values(graphs).find((g) => g.file === file);
      if (!graph)
        throw new Error(`${path}: expected a graph or golden file listed in manifest.json, got an unlisted file`);
      const { bytes, load } = await cachedBytes(
        base,
        { path, bytes: listed.get(path)?.bytes ?? 0, sha256: graph.sha256 },
        onProgress,
      );
      loads.push(load);
      return bytes;
    },
  };
}
