import { existsSync } from 'node:fs';
import { mkdir, mkdtemp, readFile, readdir, rm, writeFile } from 'node:fs/promises';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runCliCaptured as run } from './cli-capture.js';
import { FAULT_POINT_ENV } from '@vae/data/node';
import { ROOT, runVae } from './parity-fixtures.js';

/** Encoders, resolved from @vae/data (which decodes with them). */
const req = createRequire(join(ROOT, 'packages/data/package.json'));
const { PNG } = req('pngjs') as typeof import('pngjs');
const jpeg = req('jpeg-js') as {
  encode(img: { width: number; height: number; data: Buffer }, quality: number): { data: Buffer };
};

let dir: string;
let folder: string;
let cache: string;

/** A colour image of `w × h`: a class colour square on a gradient that depends on `i`. */
function pixels(w: number, h: number, cls: number, i: number): Buffer {
  const data = Buffer.alloc(w * h * 4);
  for (let y = 0; y < h; y++)
    for (let x = 0; x < w; x++) {
      const inside = Math.abs(x - w / 2) < w / 4 && Math.abs(y - h / 2) < h / 4;
      const rgb = inside ? (cls === 0 ? [230, 40, 40] : [40, 60, 230]) : [(x * 6 + i * 9) % 256, (y * 6) % 256, 90];
      data.set([...rgb, 255], 4 * (y * w + x));
    }
  return data;
}

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'vae-images-cli-'));
  folder = join(dir, 'photos');
  cache = join(dir, 'cache');
  for (const [cls, name] of ['cats', 'dogs'].entries()) {
    await mkdir(join(folder, name), { recursive: true });
    for (let i = 0; i < 24; i++) {
      // dogs-07.jpg is larger than the model: the search below finds it through the shrinking path.
      const big = cls === 1 && i === 7;
      const w = big ? 100 : 20 + ((i * 7) % 17);
      const h = big ? 96 : 18 + ((i * 5) % 13);
      const data = pixels(w, h, cls, i);
      if (i % 2 === 0) {
        const png = new PNG({ width: w, height: h });
        png.data = data;
        await writeFile(join(folder, name, `${name}-${String(i).padStart(2, '0')}.png`), PNG.sync.write(png));
      } else {
        const bytes = jpeg.encode({ width: w, height: h, data }, 90).data;
        await writeFile(join(folder, name, `${name}-${String(i).padStart(2, '0')}.jpg`), bytes);
      }
    }
  }
});
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

describe('your own images: vae train → export → embed → search on a colour PNG + JPEG folder', () => {
  it('trains a conv model on the folder resized to 64×64×3 with labels from its subfolders, exports it, passes parity, embeds the folder and finds an image by its file', async () => {
    const runDir = join(dir, 'run');
    /** The folder at 64×64 through the shared cache, as both training runs read it. */
    const folderArgs = ['--dataset', 'images', '--data', folder, '--image-size', '64', '--cache-dir', cache];
    const tr = await run([
      'train',
      ...folderArgs,
      '--arch',
      'conv',
      '--binarize',
      'none',
      '--latent',
      '4',
      '--epochs',
      '1',
      '--batch-size',
      '16',
      '--run-dir',
      runDir,
      '--json',
    ]);
    expect(tr.code, tr.stderr).toBe(0);
    const config = JSON.parse(await readFile(join(runDir, 'config.json'), 'utf8'));
    expect(config.spec.imageShape).toEqual([64, 64, 3]);
    expect(config.config).toMatchObject({ dataset: 'images', dataDir: folder, imageSize: 64, channels: null });
    // 48 images, no test split: 4 held out for validation (1/12), 44 trained on in 3 steps.
    expect(JSON.parse(tr.stdout)).toMatchObject({ epoch: 1, step: 3 });
    expect((await readdir(cache)).length).toBe(1);
    // From the cache, with the rows kept on disk and read in shuffled blocks: same data, same steps.
    const streamed = await run([
      'train',
      ...folderArgs,
      '--memory-mb',
      '0',
      '--binarize',
      'none',
      '--hidden',
      '8',
      '--latent',
      '2',
      '--epochs',
      '2',
      '--batch-size',
      '16',
      '--run-dir',
      join(dir, 'run-streamed'),
      '--no-plots',
      '--json',
    ]);
    expect(streamed.code, streamed.stderr).toBe(0);
    expect(streamed.stderr).toMatch(/48 images from the cache/);
    expect(JSON.parse(streamed.stdout)).toMatchObject({ epoch: 2, step: 6 });
    expect((await readdir(cache)).length).toBe(1);

    const modelDir = join(dir, 'model');
    const ex = await run(['export', '--run', runDir, '--out', modelDir]);
    expect(ex.code, ex.stderr).toBe(0);
    expect(JSON.parse(await readFile(join(modelDir, 'manifest.json'), 'utf8')).imageShape).toEqual([64, 64, 3]);

    // The trained checkpoint on TensorFlow.js against the exported graphs on onnxruntime-node and
    // onnxruntime-web (every runtime runs in parity-cli.test.ts); 4 images and K = 2 keep it to seconds
    // (TensorFlow.js's CPU backend decodes the 64×64×3 conv model slowly: 8 × 4 took ~8 s).
    const parityJson = join(dir, 'parity.json');
    const pa = await run([
      'parity',
      '--model',
      modelDir,
      '--run',
      runDir,
      '--runtimes',
      'tfjs-cpu,ort-node-cpu,ort-web-wasm',
      '--batch',
      '4',
      '--samples',
      '2',
      '--json',
      parityJson,
    ]);
    expect(pa.code, pa.stderr).toBe(0);
    const parity = JSON.parse(await readFile(parityJson, 'utf8'));
    expect(parity.passed).toBe(true);
    expect(parity.runtimes.map((r: { runtime: string; status: string }) => `${r.runtime}:${r.status}`)).toEqual([
      'tfjs-cpu:reference',
      'ort-node-cpu:pass',
      'ort-web-wasm:pass',
    ]);

    const table = join(dir, 'emb', 'photos.lance');
    const em = await run([
      'embed',
      '--model',
      modelDir,
      '--dataset',
      'images',
      '--data-dir',
      folder,
      '--cache-dir',
      cache,
      '--out',
      table,
      '--index',
      'none',
      '--json',
    ]);
    expect(em.code, em.stderr).toBe(0);
    expect(JSON.parse(em.stdout)).toMatchObject({ items: 48, rows: 48, corpus: 'images/all' });

    // Ids follow the sorted files: dogs/dogs-07.jpg (100×96, shrunk with JPEG DCT scaling as the cache
    // shrank it) is id 24 + 7. Its own embedding is at distance 0.
    const se = await run([
      'search',
      '--table',
      table,
      '--image',
      join(folder, 'dogs', 'dogs-07.jpg'),
      '--k',
      '5',
      '--json',
    ]);
    expect(se.code, se.stderr).toBe(0);
    const neighbours = JSON.parse(se.stdout).neighbours as { id: number; label: number; distance: number }[];
    expect(neighbours).toHaveLength(5);
    expect(neighbours[0]).toMatchObject({ id: 31, label: 1 });
    expect(neighbours[0]!.distance).toBeLessThan(1e-9);
  }, 240_000);

  it('a build killed before its rename leaves no cache entry; the next run removes the temp and decodes again', async () => {
    const killedCache = join(dir, 'killed-cache');
    const args = ['train', '--dataset', 'images', '--data', folder, '--image-size', '8', '--cache-dir', killedCache];
    const k = await runVae([...args, '--run-dir', join(dir, 'run-killed'), '--epochs', '1', '--hidden', '8'], 120_000, {
      [FAULT_POINT_ENV]: 'image-cache:built',
    });
    expect(k.signal).toBe('SIGKILL');
    const left = await readdir(killedCache);
    expect(left).toHaveLength(1);
    expect(left[0]).toMatch(/\.tmp-\d+-[0-9a-f]{8}$/);
    const again = await run([
      ...args,
      '--run-dir',
      join(dir, 'run-again'),
      '--epochs',
      '1',
      '--hidden',
      '8',
      '--latent',
      '2',
    ]);
    expect(again.code, again.stderr).toBe(0);
    const now = await readdir(killedCache);
    expect(now).toHaveLength(1);
    expect(now[0]).toMatch(/^[0-9a-f]{32}$/);
  });

  it('an empty folder or a decompression bomb fails naming the file, leaving no run folder and no cache entry', async () => {
    const empty = join(dir, 'empty');
    await mkdir(empty);
    const runDir = join(dir, 'run-empty');
    const a = await run(['train', '--dataset', 'images', '--data', empty, '--cache-dir', cache, '--run-dir', runDir]);
    expect(a.code).not.toBe(0);
    expect(a.stderr).toMatch(/empty: expected PNG or JPEG images \(directly or in class subfolders\), got none/);
    expect(existsSync(runDir)).toBe(false);

    const bombs = join(dir, 'bombs');
    await mkdir(bombs);
    await writeFile(join(bombs, 'a.png'), await readFile(join(folder, 'cats', 'cats-00.png')));
    const bomb = Buffer.from(await readFile(join(folder, 'cats', 'cats-02.png')));
    bomb.writeUInt32BE(30_000, 16);
    bomb.writeUInt32BE(30_000, 20);
    await writeFile(join(bombs, 'b.png'), bomb);
    const before = await readdir(cache);
    const b = await run([
      'train',
      '--dataset',
      'images',
      '--data',
      bombs,
      '--image-size',
      '16',
      '--cache-dir',
      cache,
      '--run-dir',
      runDir,
    ]);
    expect(b.code).not.toBe(0);
    expect(b.stderr).toMatch(
      /b\.png: expected an image of 1 to 16777216 pixels, got 30000 high × 30000 wide = 900000000 pixels/,
    );
    expect(existsSync(runDir)).toBe(false);
    expect(await readdir(cache)).toEqual(before);

    const c = await run(['train', '--dataset', 'images', '--run-dir', runDir]);
    expect(c.code).not.toBe(0);
    expect(c.stderr).toMatch(/data: expected a path for dataset images \(pass --data\), got none/);
    const d = await run(['train', '--dataset', 'images', '--data', folder, '--channels', '2', '--run-dir', runDir]);
    expect(d.code).not.toBe(0);
    expect(d.stderr).toMatch(/--channels: expected 1 or 3, got "2"/);
  });

  it('a folder of mixed sizes fails naming the file that differs, the first image, and which size is the height', async () => {
    const mixed = join(dir, 'mixed');
    await mkdir(mixed);
    for (const [name, w, h] of [
      ['a.png', 28, 28],
      ['b.png', 28, 32],
    ] as const) {
      const png = new PNG({ width: w, height: h });
      png.data = pixels(w, h, 0, 0);
      await writeFile(join(mixed, name), PNG.sync.write(png));
    }
    const runDir = join(dir, 'run-mixed');
    const r = await run(['train', '--dataset', 'images', '--data', mixed, '--cache-dir', cache, '--run-dir', runDir]);
    expect(r.code).not.toBe(0);
    expect(r.stderr).toMatch(
      /mixed\/b\.png: expected 28 high × 28 wide like a\.png, got 32 high × 28 wide \(read from its header; not decoded\); pass --image-size N/,
    );
    expect(existsSync(runDir)).toBe(false);
  });
});
