import { mkdir, readdir, symlink, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import jpeg from 'jpeg-js';
import { PNG } from 'pngjs';
import { describe, expect, it } from 'vitest';
import { Rng } from '@vae/core';
import {
  BlockShuffler,
  holdOutValidation,
  inMemory,
  isStoredSplit,
  readRows,
  resizeCover,
  type StoredSplit,
} from '../src/index.js';
import { ensureImageCache, loadImageFolder, scanImageFolder } from '../src/node/index.js';
import { tempDirs } from './temp-dirs.js';

const tempDir = tempDirs();

/** RGBA pixels of a `w × h` image: a colour that depends on `seed`, a gradient, and a square in its centre. */
function rgba(w: number, h: number, seed: number, grey = false): Buffer {
  const data = Buffer.alloc(w * h * 4);
  for (let y = 0; y < h; y++)
    for (let x = 0; x < w; x++) {
      const o = 4 * (y * w + x);
      const inside = Math.abs(x - w / 2) < w / 4 && Math.abs(y - h / 2) < h / 4;
      const r = inside ? (seed * 53) % 256 : (x * 4) % 256;
      const g = inside ? (seed * 97) % 256 : (y * 4) % 256;
      const b = inside ? 255 - ((seed * 31) % 256) : 128;
      const v = grey ? Math.round((r + g + b) / 3) : 0;
      data.set(grey ? [v, v, v, 255] : [r, g, b, 255], o);
    }
  return data;
}

function pngFile(w: number, h: number, seed: number, grey = false): Buffer {
  const png = new PNG({ width: w, height: h, colorType: grey ? 0 : 6, inputColorType: 6 });
  png.data = rgba(w, h, seed, grey);
  return PNG.sync.write(png, { colorType: grey ? 0 : 6, inputColorType: 6 });
}

function jpegFile(w: number, h: number, seed: number): Buffer {
  return Buffer.from(jpeg.encode({ width: w, height: h, data: rgba(w, h, seed) }, 92).data);
}

/** A folder of `n` colour images per class, PNG and JPEG of mixed sizes, in class subfolders. */
async function colourFolder(n: number, classes = ['cats', 'dogs']): Promise<string> {
  const dir = await tempDir('vae-images-');
  for (const [k, c] of classes.entries()) {
    await mkdir(join(dir, c));
    for (let i = 0; i < n; i++) {
      const w = 20 + ((i * 7) % 13);
      const h = 18 + ((i * 5) % 11);
      const file = i % 2 === 0 ? `${c}-${i}.png` : `${c}-${i}.jpg`;
      await writeFile(join(dir, c, file), i % 2 === 0 ? pngFile(w, h, i + 10 * k) : jpegFile(w, h, i + 10 * k));
    }
  }
  return dir;
}

/** The entries of a cache folder that are complete cache entries (no temps). */
async function cacheEntries(cacheDir: string): Promise<{ entries: string[]; temps: string[] }> {
  const names = await readdir(cacheDir).catch(() => [] as string[]);
  return { entries: names.filter((n) => !n.includes('.tmp-')), temps: names.filter((n) => n.includes('.tmp-')) };
}

describe('resizeCover', () => {
  it('keeps an image of the target size, averages a reduction, and crops the long side in the centre', () => {
    const same = Uint8Array.from({ length: 4 * 4 * 3 }, (_, i) => i);
    expect(resizeCover(same, 4, 4, 3, 4)).toEqual(same);
    const checker = Uint8Array.from({ length: 8 * 8 }, (_, i) => (((i % 8) + Math.floor(i / 8)) % 2 === 0 ? 0 : 254));
    const small = resizeCover(checker, 8, 8, 1, 4);
    // Interior outputs average 2×2 cells with PIL's triangle taps (1/8, 3/8, 3/8, 1/8): exactly half grey.
    for (const i of [5, 6, 9, 10]) expect(small[i]).toBe(127);
    // 6×2 with a distinct value per column: the centre 2×2 (columns 2 and 3) survives a 2×2 output.
    const wide = Uint8Array.from({ length: 12 }, (_, i) => (i % 6) * 40);
    expect(Array.from(resizeCover(wide, 6, 2, 1, 2))).toEqual([80, 120, 80, 120]);
    const flat = new Uint8Array(30 * 20 * 3).fill(77);
    expect(resizeCover(flat, 30, 20, 3, [7, 9]).every((v) => v === 77)).toBe(true);
  });

  it('names each dimension of the size it expected when the pixels do not fit it', () => {
    expect(() => resizeCover(new Uint8Array(10), 6, 2, 1, 2)).toThrow(
      'pixels: expected 2 high × 6 wide × 1 channel = 12 bytes, got 10',
    );
  });
});

describe('image folders', () => {
  it('decodes PNG and JPEG of mixed sizes in class subfolders once into the cache; a second load reads the cache', async () => {
    const dir = await colourFolder(6);
    const cacheDir = await tempDir('vae-cache-');
    const scan = await scanImageFolder(dir);
    expect(scan.classNames).toEqual(['cats', 'dogs']);
    expect(scan.files.slice(0, 3)).toEqual(['cats/cats-0.png', 'cats/cats-1.jpg', 'cats/cats-2.png']);
    const first = await ensureImageCache(dir, { size: 16, cacheDir });
    expect(first.built).toBe(true);
    expect(first.index.imageShape).toEqual([16, 16, 3]);
    const ds = await loadImageFolder(dir, { size: 16, cacheDir });
    expect(ds.imageShape).toEqual([16, 16, 3]);
    expect(ds.classNames).toEqual(['cats', 'dogs']);
    expect(ds.test).toBeNull();
    const rows = inMemory(ds.train);
    expect(rows.count).toBe(12);
    // Rows are a fixed shuffle of the sorted files; labels and file names follow them.
    for (let r = 0; r < rows.count; r++)
      expect(ds.files![r]!.startsWith(rows.labels[r] === 0 ? 'cats/' : 'dogs/')).toBe(true);
    expect(new Set(ds.files).size).toBe(12);
    const again = await ensureImageCache(dir, { size: 16, cacheDir });
    expect(again.built).toBe(false);
    expect(again.path).toBe(first.path);
    // Asking for what the data has anyway (colour) is the same entry; other options are another one.
    expect((await ensureImageCache(dir, { size: [16, 16], channels: 3, cacheDir })).path).toBe(first.path);
    await ensureImageCache(dir, { size: 8, cacheDir, channels: 1 });
    expect((await cacheEntries(cacheDir)).entries.length).toBe(2);
    // A touched folder is another key.
    await writeFile(join(dir, 'cats', 'cats-0.png'), pngFile(21, 18, 99));
    expect((await ensureImageCache(dir, { size: 16, cacheDir })).built).toBe(true);
    expect(await cacheEntries(cacheDir)).toMatchObject({ temps: [] });
  });

  it('without --image-size takes the first image’s size and channels, and names a file that differs', async () => {
    const dir = await tempDir('vae-flat-');
    const cacheDir = await tempDir('vae-cache-');
    for (let i = 0; i < 3; i++) await writeFile(join(dir, `g${i}.png`), pngFile(10, 12, i, true));
    const grey = await loadImageFolder(dir, { cacheDir });
    expect(grey.imageShape).toEqual([12, 10, 1]);
    expect(grey.classNames).toBeNull();
    expect(Array.from(grey.train.labels)).toEqual([0, 0, 0]);
    await writeFile(join(dir, 'g3.png'), pngFile(10, 12, 3));
    await expect(loadImageFolder(dir, { cacheDir })).rejects.toThrow(
      /g3\.png: expected 1 channel \(grey\) like g0\.png, got 3 channels \(colour\); pass --channels 1 or --channels 3/,
    );
    const colour = await loadImageFolder(dir, { cacheDir, channels: 3 });
    expect(colour.imageShape).toEqual([12, 10, 3]);
    await writeFile(join(dir, 'g4.png'), pngFile(11, 12, 3, true));
    await expect(loadImageFolder(dir, { cacheDir, channels: 1 })).rejects.toThrow(
      /g4\.png: expected 12 high × 10 wide like g0\.png, got 12 high × 11 wide \(read from its header; not decoded\); pass --image-size N/,
    );
    expect((await cacheEntries(cacheDir)).temps).toEqual([]);
  });

  it('refuses bad input naming the file, and writes no cache entry', async () => {
    const cacheDir = await tempDir('vae-cache-');
    const cases: [string, Buffer | string, RegExp][] = [
      ['b.png', pngFile(20, 20, 1).subarray(0, 60), /b\.png: expected a PNG image, got undecodable bytes/],
      ['b.jpg', jpegFile(20, 20, 1).subarray(0, 300), /b\.jpg: expected a JPEG image, got undecodable bytes/],
      ['b.png', 'not an image at all', /b\.png: expected a PNG or JPEG image, got bytes starting 6e 6f 74 20/],
      [
        'notes.txt',
        'hello',
        /notes\.txt: expected only PNG or JPEG images \(\.png, \.jpg, \.jpeg\) in .*; move it out/,
      ],
      [
        'b.png',
        bombPng(30_000, 30_000),
        /b\.png: expected an image of 1 to 16777216 pixels, got 30000 high × 30000 wide = 900000000 pixels/,
      ],
      [
        'b.jpg',
        bombJpeg(60_000, 60_000),
        /b\.jpg: expected an image of 1 to 16777216 pixels, got 60000 high × 60000 wide = 3600000000 pixels/,
      ],
    ];
    for (const [name, bytes, message] of cases) {
      const dir = await tempDir('vae-bad-');
      await writeFile(join(dir, 'a.png'), pngFile(20, 20, 0));
      await writeFile(join(dir, name), bytes);
      await expect(loadImageFolder(dir, { size: 16, cacheDir }), name).rejects.toThrow(message);
    }
    const unreadable = await tempDir('vae-bad-');
    await writeFile(join(unreadable, 'a.png'), pngFile(20, 20, 0));
    await symlink(join(unreadable, 'gone.png'), join(unreadable, 'c.png'));
    await expect(loadImageFolder(unreadable, { size: 16, cacheDir })).rejects.toThrow(
      /c\.png: could not be read \(ENOENT\)/,
    );
    const empty = await tempDir('vae-empty-');
    await expect(loadImageFolder(empty, { cacheDir })).rejects.toThrow(
      /vae-empty-\w+: expected PNG or JPEG images \(directly or in class subfolders\), got none/,
    );
    await mkdir(join(empty, 'cats'));
    await expect(loadImageFolder(empty, { cacheDir })).rejects.toThrow(
      /cats: expected PNG or JPEG images in class folder cats, got none/,
    );
    await writeFile(join(empty, 'stray.png'), pngFile(4, 4, 0));
    await expect(loadImageFolder(empty, { cacheDir })).rejects.toThrow(/got both \(stray\.png beside cats\/\)/);
    await expect(loadImageFolder(join(empty, 'nope'), { cacheDir })).rejects.toThrow(
      /data: expected a folder of PNG or JPEG images, got .*nope \(no such folder\)/,
    );
    expect(await cacheEntries(cacheDir)).toEqual({ entries: [], temps: [] });
  });

  it('removes a half-built entry of a dead process instead of using it', async () => {
    const dir = await colourFolder(2, ['only']);
    const cacheDir = await tempDir('vae-cache-');
    const stale = join(cacheDir, 'deadbeef.tmp-999999999-0badcafe');
    await mkdir(stale, { recursive: true });
    await writeFile(join(stale, 'pixels.u8'), 'half');
    const ds = await loadImageFolder(dir, { size: 8, cacheDir });
    expect(ds.train.count).toBe(2);
    expect(await cacheEntries(cacheDir)).toMatchObject({ temps: [] });
  });

  it('keeps a folder over the memory budget on disk and reads it in shuffled blocks, every row once per epoch', async () => {
    const dir = await colourFolder(20);
    const cacheDir = await tempDir('vae-cache-');
    const inMem = await loadImageFolder(dir, { size: 8, cacheDir });
    const onDisk = await loadImageFolder(dir, { size: 8, cacheDir, memoryBytes: 0 });
    expect(isStoredSplit(onDisk.train)).toBe(true);
    const d = 8 * 8 * 3;
    const all = inMemory(inMem.train);
    expect((await readRows(onDisk.train, d, 5, 9)).images).toEqual(all.images.subarray(5 * d, 9 * d));
    const { train, val } = await holdOutValidation(onDisk.train, d, 6);
    expect(val.images).toEqual(all.images.subarray(34 * d));
    // Blocks of 3 rows, two blocks per buffer: small enough to cross buffers within a batch.
    const stored: StoredSplit = { ...(train as StoredSplit), blockRows: 3 };
    const shuffler = new BlockShuffler(stored, { bufferBytes: 6 * d });
    for (const seed of [1, 2]) {
      const plan = shuffler.epochPlan(new Rng(seed));
      expect([...plan.order].sort((a, b) => a - b)).toEqual(Array.from({ length: 34 }, (_, i) => i));
      const rows = [await shuffler.rows(0, 16), await shuffler.rows(16, 34)];
      for (const [part, start] of [
        [rows[0]!, 0],
        [rows[1]!, 16],
      ] as const)
        for (let i = 0; i < part.count; i++) {
          const r = plan.order[start + i]!;
          expect(part.images.subarray(i * d, (i + 1) * d)).toEqual(all.images.subarray(r * d, (r + 1) * d));
          expect(part.labels[i]).toBe(all.labels[r]);
        }
    }
    expect(shuffler.epochPlan(new Rng(1)).order).toEqual(shuffler.epochPlan(new Rng(1)).order);
  });
});

/** A PNG whose IHDR claims `w × h` RGB pixels, with one tiny IDAT (a decompression bomb's header). */
function bombPng(w: number, h: number): Buffer {
  const png = pngFile(4, 4, 0);
  const out = Buffer.from(png);
  out.writeUInt32BE(w, 16);
  out.writeUInt32BE(h, 20);
  out[25] = 2;
  return out;
}

/** SOI, APP0, and a SOF0 segment claiming `w × h` × 3 components. */
function bombJpeg(w: number, h: number): Buffer {
  return Buffer.from([
    0xff,
    0xd8,
    0xff,
    0xe0,
    0,
    4,
    0,
    0,
    0xff,
    0xc0,
    0,
    17,
    8,
    h >> 8,
    h & 255,
    w >> 8,
    w & 255,
    3,
    1,
    0x11,
    0,
    2,
    0x11,
    1,
    3,
    0x11,
    1,
  ]);
}
