/**
 * Image folders (`vae train --dataset images`): `tsx bench/images.ts [--decode-count 2000]
 * [--photos 60] [--count 200000] [--epochs 1] [--keep]`. Writes bench/images-results.json.
 *
 * 1. Decoders, in memory, ~100×100 colour JPEG and PNG to 64×64×3 (decode + resize short side +
 *    centre crop): the path this package uses (`decodeAndFit`: libjpeg-turbo WebAssembly with DCT
 *    scaling / zlib + unfilter for PNG, then its antialiased bilinear resize, one thread) vs sharp
 *    0.35 (libvips, prebuilt) as a competent user would call it (`resize(64, 64, { fit: 'cover' })
 *    .removeAlpha().raw()`, 2 × cores calls in flight on its thread pool), and sharp decoding with
 *    this package's resize. Images/s and CPU ms per image
 *    (process CPU time over all threads). The same for 640×480 photos, where sharp's
 *    shrink-on-load pays.
 * 2. First pass through the real cache builder (`ensureImageCache`, worker threads) on a folder
 *    of `--decode-count` files of ~100×100: images/s from listing to the renamed cache entry.
 * 3. A generated folder of `--count` 64×64 colour JPEGs in two class folders (2.4 GB of pixels at
 *    200,000): training (784-64-8-style MLP on 12,288 inputs, batch 256) in child processes: a
 *    first run that builds the cache, a second run from the cache (time from process start to
 *    the first step), and the same model on the same pixels held in memory (the baseline of the
 *    epoch time). Peak RSS of each. The folder and the cache are deleted afterwards (`--keep`
 *    keeps them).
 * The machine's load (`uptime`) is recorded: another process may share the cores.
 */
import { execFile } from 'node:child_process';
import { mkdir, mkdtemp, rename, rm, writeFile } from 'node:fs/promises';
import { availableParallelism, cpus, loadavg, tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import sharp from 'sharp';
import { Rng, setLogLevel } from '@vae/core';
import { fitImage, holdOutValidation, pixelsToUnit } from '@vae/data';
import { epochRows } from '@vae/train';
import { decodeAndFit, ensureImageCache, loadDataset, scanImageFolder } from '@vae/data/node';
import { benchArg } from './lib/bench-arg.js';

setLogLevel('warn');
const here = dirname(fileURLToPath(import.meta.url));
const decodeCount = Number(benchArg('decode-count', '2000'));
const photos = Number(benchArg('photos', '60'));
const count = Number(benchArg('count', '200000'));
const epochs = Number(benchArg('epochs', '1'));
const keep = process.argv.includes('--keep');
const log = (s: string): void => void process.stderr.write(`[images] ${s}\n`);

/** Raw RGB pixels of a synthetic photo: a gradient, a coloured disc and noise (so JPEG has detail to code). */
function synth(i: number, w: number, h: number): Buffer {
  const px = Buffer.alloc(w * h * 3);
  let s = (i * 2654435761) >>> 0;
  const rnd = (): number => {
    s = (s * 1664525 + 1013904223) >>> 0;
    return s / 2 ** 32;
  };
  const cx = rnd() * w;
  const cy = rnd() * h;
  const r = (0.15 + rnd() * 0.3) * Math.min(w, h);
  const col = [rnd() * 255, rnd() * 255, rnd() * 255];
  for (let y = 0; y < h; y++)
    for (let x = 0; x < w; x++) {
      const o = (y * w + x) * 3;
      const inside = (x - cx) ** 2 + (y - cy) ** 2 < r * r;
      for (let c = 0; c < 3; c++) {
        const base = inside ? col[c]! : ((x * 255) / w + (y * 128) / h + c * 60) % 256;
        px[o + c] = Math.max(0, Math.min(255, Math.round(base + (rnd() - 0.5) * 24)));
      }
    }
  return px;
}

async function encode(i: number, w: number, h: number, format: 'jpeg' | 'png'): Promise<Buffer> {
  const img = sharp(synth(i, w, h), { raw: { width: w, height: h, channels: 3 } });
  return format === 'jpeg' ? img.jpeg({ quality: 90 }).toBuffer() : img.png().toBuffer();
}

async function measure(
  n: number,
  run: () => Promise<void>,
): Promise<{ imagesPerSecond: number; cpuMsPerImage: number; seconds: number }> {
  const cpu0 = process.cpuUsage();
  const t0 = performance.now();
  await run();
  const seconds = (performance.now() - t0) / 1000;
  const cpu = process.cpuUsage(cpu0);
  return { imagesPerSecond: n / seconds, cpuMsPerImage: (cpu.user + cpu.system) / 1000 / n, seconds };
}

/** Runs `work` over `items` with `inFlight` calls at a time. */
async function pool<T>(items: readonly T[], inFlight: number, work: (item: T) => Promise<unknown>): Promise<void> {
  let next = 0;
  await Promise.all(
    Array.from({ length: inFlight }, async () => {
      while (next < items.length) await work(items[next++]!);
    }),
  );
}

async function decoders(files: readonly Buffer[], size: number) {
  const out = new Uint8Array(size * size * 3);
  const inFlight = 2 * availableParallelism();
  const js = () =>
    measure(files.length, async () => {
      for (const [i, b] of files.entries()) decodeAndFit(b, `#${i}`, { size, channels: 3 }, {}, out);
    });
  const sharpFull = () =>
    measure(files.length, () =>
      pool(files, inFlight, (b) => sharp(b).resize(size, size, { fit: 'cover' }).removeAlpha().raw().toBuffer()),
    );
  const sharpDecode = () =>
    measure(files.length, () =>
      pool(files, inFlight, async (b) => {
        const { data, info } = await sharp(b).raw().toBuffer({ resolveWithObject: true });
        fitImage(
          { width: info.width, height: info.height, channels: info.channels, pixels: data },
          { size, channels: 3 },
          out,
        );
      }),
    );
  // One warm-up pass each (JIT, libvips start-up), then the measured pass.
  await js();
  await sharpFull();
  await sharpDecode();
  return { js: await js(), sharp: await sharpFull(), sharpDecodeJsResize: await sharpDecode() };
}

function trainChild(args: string[]): Promise<Record<string, unknown>> {
  return new Promise((done, fail) => {
    execFile(
      process.execPath,
      ['--import', 'tsx', join(here, 'lib', 'images-train.ts'), ...args],
      { maxBuffer: 64 << 20, timeout: 3600_000 },
      (err, stdout, stderr) => {
        if (err) fail(new Error(`images-train ${args.join(' ')}: ${err.message}\n${stderr}`));
        else done(JSON.parse(stdout.trim().split('\n').at(-1)!) as Record<string, unknown>);
      },
    );
  });
}

/**
 * The data side of an epoch alone, back to back in this process (so the machine's load hits both
 * alike): every training row's batch of 256 gathered into model input (floats in [0, 1]) from rows
 * held in memory, and from the cache on disk through `epochRows` (shuffled 4 MiB blocks, 128 MiB
 * buffers, the next buffer read while this one is used). Rows/s far above the trainer's step rate
 * mean the read cannot slow an epoch.
 */
async function dataPath(folder: string, cacheDir: string) {
  const rows = async (memoryBytes: number) => {
    const data = await loadDataset('images', { dataDir: folder, cacheDir, memoryBytes });
    const d = 64 * 64 * 3;
    const { train } = await holdOutValidation(data.train, d, Math.round(data.train.count / 12));
    const order = epochRows(train);
    const rng = new Rng(1);
    const input = new Float32Array(256 * d);
    const t0 = performance.now();
    order.start(rng);
    for (let start = 0; start < train.count; start += 256) {
      const end = Math.min(train.count, start + 256);
      const { split, indices } = await order.rows(start, end);
      for (const [r, i] of indices.entries())
        pixelsToUnit(split.images.subarray(i * d, (i + 1) * d), input.subarray(r * d, (r + 1) * d));
    }
    const seconds = (performance.now() - t0) / 1000;
    return { rows: train.count, seconds, rowsPerSecond: train.count / seconds, loadavg: loadavg() };
  };
  const streamed = await rows(0);
  const inMemory = await rows(Number.MAX_SAFE_INTEGER);
  const streamedAgain = await rows(0);
  return { streamed, inMemory, streamedAgain };
}

const report: Record<string, unknown> = {
  machine: { cpus: cpus().length, cpu: cpus()[0]?.model, loadavgAtStart: loadavg() },
  sharp: sharp.versions,
};

log(`decoders: ${decodeCount} images of ~100×100 (half JPEG q90, half PNG) → 64×64×3`);
const small: Buffer[] = [];
for (let i = 0; i < decodeCount; i++)
  small.push(await encode(i, 90 + (i % 21), 90 + ((i * 7) % 21), i % 2 === 0 ? 'jpeg' : 'png'));
const jpegs = small.filter((_, i) => i % 2 === 0);
const pngs = small.filter((_, i) => i % 2 === 1);
report.decode100 = { jpeg: await decoders(jpegs, 64), png: await decoders(pngs, 64) };
log(JSON.stringify(report.decode100));
const big: Buffer[] = [];
for (let i = 0; i < photos; i++) big.push(await encode(i, 640, 480, 'jpeg'));
report.decodePhotos640x480 = { jpeg: await decoders(big, 64) };
log(JSON.stringify(report.decodePhotos640x480));

const work = await mkdtemp(join(tmpdir(), 'vae-bench-images-'));
try {
  log(`first pass: ${decodeCount} files → cache (ensureImageCache, ${availableParallelism()} worker threads)`);
  const folder = join(work, 'small');
  await mkdir(folder);
  for (const [i, b] of small.entries())
    await writeFile(join(folder, `img-${String(i).padStart(6, '0')}.${i % 2 === 0 ? 'jpg' : 'png'}`), b);
  const t0 = performance.now();
  const cpu0 = process.cpuUsage();
  const built = await ensureImageCache(folder, { size: 64, cacheDir: join(work, 'cache-small') });
  const seconds = (performance.now() - t0) / 1000;
  const cpu = process.cpuUsage(cpu0);
  report.firstPass = {
    images: decodeCount,
    seconds,
    imagesPerSecond: decodeCount / seconds,
    // CPU time of every thread (the workers' included): the rate the cores would give unshared.
    cpuMsPerImage: (cpu.user + cpu.system) / 1000 / decodeCount,
    decodeSeconds: built.index.decodeSeconds,
    loadavg: loadavg(),
  };
  log(JSON.stringify(report.firstPass));

  if (count > 0) {
    const big = join(work, 'big');
    log(`generating ${count} 64×64 colour JPEGs in ${big}`);
    const g0 = performance.now();
    for (const c of ['a', 'b']) await mkdir(join(big, c), { recursive: true });
    await pool(
      Array.from({ length: count }, (_, i) => i),
      2 * availableParallelism(),
      async (i) =>
        writeFile(join(big, i % 2 ? 'b' : 'a', `${String(i).padStart(7, '0')}.jpg`), await encode(i, 64, 64, 'jpeg')),
    );
    report.generated = { images: count, seconds: (performance.now() - g0) / 1000, pixelBytes: count * 64 * 64 * 3 };
    const cache = join(work, 'cache-big');
    const common = ['--data', big, '--cache', cache, '--epochs', String(epochs)];
    log('run 1: builds the cache, then trains reading it from disk (memory budget 1 GiB)');
    const b0 = performance.now();
    const first = await trainChild([...common, '--run', join(work, 'run1'), '--memory-mb', '1024']);
    report.firstRun = { ...first, wallSeconds: (performance.now() - b0) / 1000, loadavg: loadavg() };
    log(JSON.stringify(report.firstRun));
    log('run 2: from the cache, streamed');
    const streamed = await trainChild([...common, '--run', join(work, 'run2'), '--memory-mb', '1024']);
    report.cachedStreamed = { ...streamed, loadavg: loadavg() };
    // What a cached start spends on the folder: listing and stat-ing every file (the key), then the entry.
    const s0 = performance.now();
    await scanImageFolder(big);
    const s1 = performance.now();
    const cached = await ensureImageCache(big, { cacheDir: cache });
    report.cachedLookup = {
      scanSeconds: (s1 - s0) / 1000,
      lookupSeconds: (performance.now() - s1) / 1000,
      built: cached.built,
      loadavg: loadavg(),
    };
    log(JSON.stringify(report.cachedLookup));
    log(JSON.stringify(report.cachedStreamed));
    log('run 3: from the cache, all pixels held in memory (the baseline)');
    const held = await trainChild([...common, '--run', join(work, 'run3'), '--memory-mb', String(1 << 20)]);
    report.cachedInMemory = { ...held, loadavg: loadavg() };
    log(JSON.stringify(report.cachedInMemory));
    const e = (r: Record<string, unknown>) => (r.epochTrainSeconds as number[])[0]!;
    report.epochStreamedOverInMemory = e(streamed) / e(held);
    report.dataPath = await dataPath(big, cache);
    log(JSON.stringify(report.dataPath));
  }
} finally {
  if (keep) log(`kept ${work}`);
  else await rm(work, { recursive: true, force: true });
}
report.loadavgAtEnd = loadavg();
const file = join(here, 'images-results.json');
await writeFile(`${file}.tmp`, `${JSON.stringify(report, null, 2)}\n`);
await rename(`${file}.tmp`, file);
log(`wrote ${file}`);
