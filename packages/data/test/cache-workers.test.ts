import { mkdir, readdir, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { PNG } from 'pngjs';
import { describe, expect, it } from 'vitest';
import { CACHE_FILES, ensureImageCache } from '../src/node/index.js';
import { tempDirs } from './temp-dirs.js';

const tempDir = tempDirs();

/** A `w × h` PNG: grey (colour type 0) or colour, with pixels that depend on `seed`. */
function png(w: number, h: number, seed: number, grey: boolean): Buffer {
  const image = new PNG({ width: w, height: h });
  for (let i = 0; i < w * h; i++) {
    const v = (seed * 37 + i * 7) % 256;
    image.data.set([v, grey ? v : (v * 3) % 256, grey ? v : 255 - v, 255], 4 * i);
  }
  return PNG.sync.write(image, grey ? { colorType: 0 } : {});
}

/** 300 grey 6×5 images in two class folders: enough (≥ 256) for the decoding workers to start. */
async function bigFolder(): Promise<string> {
  const dir = await tempDir('vae-big-');
  for (const c of ['a', 'b']) await mkdir(join(dir, c));
  for (let i = 0; i < 300; i++)
    await writeFile(join(dir, i % 2 ? 'a' : 'b', `f${String(i).padStart(3, '0')}.png`), png(6, 5, i, true));
  return dir;
}

async function entryFiles(path: string): Promise<Buffer[]> {
  return Promise.all([CACHE_FILES.pixels, CACHE_FILES.labels].map((f) => readFile(join(path, f))));
}

describe('image cache with decoding workers', () => {
  it('writes the same rows as the main thread alone, and names a differing image a worker decoded (channels, size)', async () => {
    const dir = await bigFolder();
    const [alone, withWorker] = [await tempDir('vae-cache-'), await tempDir('vae-cache-')];
    const main = await ensureImageCache(dir, { cacheDir: alone, workers: 0 });
    const shared = await ensureImageCache(dir, { cacheDir: withWorker, workers: 1 });
    expect(shared.built).toBe(true);
    expect(shared.index.count).toBe(300);
    expect(shared.index.imageShape).toEqual([5, 6, 1]);
    expect(shared.index.files).toEqual(main.index.files);
    expect(await entryFiles(shared.path)).toEqual(await entryFiles(main.path));
    // Batches of 64 in listing order (a/ first): the main thread decodes batch 0 before the worker
    // takes batches 1 and 2 (two in flight), so a/f299 (row 149 of the listing) is the worker's.
    await writeFile(join(dir, 'a', 'f299.png'), png(6, 5, 299, false));
    const failed = await tempDir('vae-cache-');
    await expect(ensureImageCache(dir, { cacheDir: failed, workers: 1 })).rejects.toThrow(
      /a\/f299\.png: expected 1 channel \(grey\) like a\/f001\.png, got 3 channels \(colour\); pass --channels 1/,
    );
    await writeFile(join(dir, 'a', 'f299.png'), png(6, 7, 299, true));
    await expect(ensureImageCache(dir, { cacheDir: failed, workers: 1 })).rejects.toThrow(
      /a\/f299\.png: expected 5 high × 6 wide like a\/f001\.png, got 7 high × 6 wide \(read from its header; not decoded\)/,
    );
    expect(await readdir(failed)).toEqual([]);
  });
});
