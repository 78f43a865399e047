import { mkdir, rename, stat, symlink, unlink, utimes, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { PNG } from 'pngjs';
import { describe, expect, it } from 'vitest';
import { ensureImageCache, scanImageFolder } from '../src/node/index.js';
import { tempDirs } from './temp-dirs.js';

const tempDir = tempDirs();

function png(seed: number): Buffer {
  const img = new PNG({ width: 6, height: 5 });
  img.data = Buffer.alloc(6 * 5 * 4, 255);
  for (let i = 0; i < 30; i++) img.data.set([(seed * 40 + i) % 256, (seed * 90) % 256, i * 8], 4 * i);
  return PNG.sync.write(img);
}

describe('the cache key follows the folder', () => {
  it('never reuses an entry after a file is added, removed, renamed or rewritten (even at the same size)', async () => {
    const dir = await tempDir('vae-changes-');
    for (const c of ['a', 'b']) {
      await mkdir(join(dir, c));
      for (let i = 0; i < 4; i++) await writeFile(join(dir, c, `${i}.png`), png(i + (c === 'b' ? 10 : 0)));
    }
    const cacheDir = await tempDir('vae-cache-');
    const load = () => ensureImageCache(dir, { cacheDir, size: 4 });
    const first = await load();
    expect(first.built).toBe(true);
    expect((await load()).built).toBe(false);
    const seen = new Set([first.path]);
    const changes: [string, () => Promise<void>][] = [
      ['added', () => writeFile(join(dir, 'a', '9.png'), png(9))],
      ['removed', () => unlink(join(dir, 'b', '3.png'))],
      ['renamed', () => rename(join(dir, 'a', '0.png'), join(dir, 'a', '0b.png'))],
      [
        'rewritten at the same size',
        async () => {
          const file = join(dir, 'b', '1.png');
          const before = await stat(file);
          const same = png(11); // seed 11's pixels in place of seed 1's: another image, the same byte length
          expect(same.length).toBe(before.size);
          await writeFile(file, same);
          await utimes(file, before.atime, new Date(before.mtimeMs + 2000));
        },
      ],
    ];
    for (const [what, change] of changes) {
      await change();
      const next = await load();
      expect(next.built, what).toBe(true);
      expect(seen.has(next.path), what).toBe(false);
      seen.add(next.path);
      expect((await load()).built, `${what}, loaded again`).toBe(false);
    }
  });

  it('stats in several threads to the same listing hash, and names a file a worker could not stat', async () => {
    const dir = await tempDir('vae-threads-');
    for (let i = 0; i < 9; i++) await writeFile(join(dir, `${i}.png`), png(i));
    const serial = await scanImageFolder(dir, { statThreads: 1 });
    const threaded = await scanImageFolder(dir, { statThreads: 3 });
    expect(threaded.listingHash).toBe(serial.listingHash);
    expect(threaded.files).toEqual(serial.files);
    await symlink(join(dir, 'gone.png'), join(dir, '7x.png')); // in the last thread's share
    await expect(scanImageFolder(dir, { statThreads: 3 })).rejects.toThrow(/7x\.png: could not be read \(ENOENT\)/);
  });
});
