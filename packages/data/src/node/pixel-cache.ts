import { createHash } from 'node:crypto';
import { closeSync, fsyncSync, openSync } from 'node:fs';
import { mkdir, readFile, rename, rm, stat } from 'node:fs/promises';
import { availableParallelism, homedir } from 'node:os';
import { join } from 'node:path';
import { Rng, getLogger, sizeText } from '@vae/core';
import { sizeOfTarget, type TargetSize } from '../resize.js';
import { removeStaleTemps, syncDir, tempPathFor, writeFileDurable } from './atomic-write.js';
import { readImageHeader } from '../image-header.js';
import { decodeRowsToFile, readImageFile, type DecodeTarget } from './decode-file.js';
import type { DecodeReply, DecodeRequest } from './decode-worker.js';
import { faultPoint } from './fault-points.js';
import { scanImageFolder, type FolderScan } from './folder-scan.js';
import { WorkerRequests } from './worker-requests.js';

const log = getLogger('data:cache');

/** Version of the cache layout; a change makes new keys, so old caches are never misread. */
export const CACHE_FORMAT = 2;
/** Environment variable overriding where image folders are cached. */
export const CACHE_DIR_ENV = 'VAE_CACHE_DIR';
/** Files of one cache entry. */
export const CACHE_FILES = Object.freeze({ index: 'index.json', pixels: 'pixels.u8', labels: 'labels.u8' });
/** Seed of the fixed row order: rows are stored shuffled, so a contiguous block is a random sample. */
const ROW_ORDER_SEED = 0x1ca4e;
/** Files per decoding request to a worker. */
const DECODE_BATCH = 64;
/** Folders smaller than this are decoded on the main thread (a worker's start costs more). */
const MIN_FILES_FOR_WORKERS = 256;

/**
 * Where image folders are cached unless told otherwise: `$VAE_CACHE_DIR`, else
 * `$XDG_CACHE_HOME/vae-everywhere/images`, else `~/.cache/vae-everywhere/images`.
 */
export function defaultCacheDir(): string {
  const env = process.env[CACHE_DIR_ENV];
  if (env) return env;
  const xdg = process.env.XDG_CACHE_HOME;
  return join(xdg && xdg !== '' ? xdg : join(homedir(), '.cache'), 'vae-everywhere', 'images');
}

/** What a cache entry's `index.json` records. */
export interface CacheIndex {
  readonly format: number;
  /** The folder it was decoded from. */
  readonly source: string;
  readonly imageShape: readonly [number, number, number];
  readonly count: number;
  readonly classNames: readonly string[] | null;
  /** Relative path of each row's file, in row order (rows are a fixed shuffle of the sorted files). */
  readonly files: readonly string[];
  /** The decode options the key was made from. */
  readonly options: { readonly size: TargetSize | null; readonly channels: 1 | 3 | null };
  readonly decodeSeconds: number;
}

/** Options of {@link ensureImageCache}. */
export interface ImageCacheOptions {
  readonly size?: TargetSize | null;
  readonly channels?: 1 | 3 | null;
  readonly cacheDir?: string | null;
  readonly maxPixels?: number;
  readonly maxFileBytes?: number;
  /** Decoding worker threads beside the main thread (default: the cores − 1, at most 3; 0: the main thread only). */
  readonly workers?: number;
}

/** A cache entry ready to read. */
export interface ImageCache {
  /** Its folder (`<cacheDir>/<key>`). */
  readonly path: string;
  readonly index: CacheIndex;
  /** Labels in row order. */
  readonly labels: Uint8Array;
  /** Whether this call decoded the folder (false: it was cached). */
  readonly built: boolean;
}

/** What the first file's header says: the size and channels every row gets unless told otherwise. */
type Probe = ReturnType<typeof readImageHeader>;

/**
 * The entry's key: the listing and the resolved output shape (the first image's size and channels
 * where none is asked for), so `--channels 3` on a colour folder, or `--image-size` equal to the
 * images' size, finds the entry an automatic run made (the pixels are the same).
 */
function cacheKey(scan: FolderScan, o: ImageCacheOptions, probe: Probe): string {
  const size = o.size === undefined || o.size === null ? [probe.height, probe.width] : sizeOfTarget(o.size);
  const channels = o.channels ?? (probe.colour ? 3 : 1);
  return createHash('sha256')
    .update(JSON.stringify({ format: CACHE_FORMAT, listing: scan.listingHash, size, channels }))
    .digest('hex')
    .slice(0, 32);
}

async function readIndex(path: string): Promise<ImageCache | null> {
  let text: string;
  try {
    text = await readFile(join(path, CACHE_FILES.index), 'utf8');
  } catch {
    return null;
  }
  const index = JSON.parse(text) as CacheIndex;
  const [h, w, c] = index.imageShape;
  const want = index.count * h * w * c;
  const got = (await stat(join(path, CACHE_FILES.pixels))).size;
  if (got !== want)
    throw new Error(
      `${join(path, CACHE_FILES.pixels)}: expected ${want} bytes (${index.count} images × ${sizeText(h, w, c)}), got ${got}; the cache is damaged: delete ${path}`,
    );
  const labels = new Uint8Array(await readFile(join(path, CACHE_FILES.labels)));
  return { path, index, labels, built: false };
}

/**
 * The pixel cache of image folder `dir`: decoded once into `<cacheDir>/<key>/` as uint8 rows
 * (a fixed shuffle of the sorted files), keyed by the folder's listing (paths, sizes, modification
 * times) and the decode options, so a second run only lists the folder. Built in a temp folder that
 * is renamed into place when complete: a failed or killed build leaves no entry (its temp is
 * removed now, or by the next build once its process is gone). The first image sets the size
 * (unless `size` is given) and the channels (unless `channels` is given); an image that differs is
 * an error naming it, the expected and the actual value.
 */
export async function ensureImageCache(dir: string, o: ImageCacheOptions = {}): Promise<ImageCache> {
  const scan = await scanImageFolder(dir);
  const first = join(scan.dir, scan.files[0]!);
  const probe = readImageHeader(await readImageFile(first, o.maxFileBytes), first);
  const root = o.cacheDir ?? defaultCacheDir();
  const path = join(root, cacheKey(scan, o, probe));
  const existing = await readIndex(path);
  if (existing) {
    log.info(`${dir}: ${existing.index.count} images from the cache ${path}`);
    return existing;
  }
  await mkdir(root, { recursive: true });
  await removeStaleTemps(root);
  const tmp = tempPathFor(path);
  await mkdir(tmp);
  try {
    const index = await buildCache(scan, tmp, o, probe);
    faultPoint('image-cache:built');
    await syncDir(tmp);
    try {
      await rename(tmp, path);
    } catch (err) {
      const code = (err as NodeJS.ErrnoException).code;
      if (code !== 'ENOTEMPTY' && code !== 'EEXIST') throw err;
      await rm(tmp, { recursive: true, force: true }); // another process finished the same entry first
    }
    await syncDir(root);
    log.info(`${dir}: decoded ${index.count} images in ${index.decodeSeconds.toFixed(1)} s → ${path}`);
    const done = await readIndex(path);
    if (!done) throw new Error(`${path}: the cache entry vanished after it was written`);
    return { ...done, built: true };
  } catch (err) {
    await rm(tmp, { recursive: true, force: true });
    throw err;
  }
}

function describe(colour: boolean): string {
  return colour ? '3 channels (colour)' : '1 channel (grey)';
}

/** The shape of a cache row and what each image is decoded to. */
interface RowLayout {
  /** The asked size (`null`: every image must have the first image's size). */
  readonly size: TargetSize | null;
  readonly h: number;
  readonly w: number;
  readonly channels: 1 | 3;
  readonly rowBytes: number;
  readonly target: DecodeTarget;
}

/**
 * The row layout of the cache: the asked size or the first image's (`first`, named when another
 * image differs), and the asked channels or its.
 */
function rowLayout(o: ImageCacheOptions, probe: Probe, first: string): RowLayout {
  const limits = {
    ...(o.maxPixels === undefined ? {} : { maxPixels: o.maxPixels }),
    ...(o.maxFileBytes === undefined ? {} : { maxFileBytes: o.maxFileBytes }),
  };
  // The first image fixes what the others must be: its size (without --image-size) and channels.
  const channels = o.channels ?? (probe.colour ? 3 : 1);
  const size = o.size ?? null;
  const [h, w] = size === null ? [probe.height, probe.width] : sizeOfTarget(size);
  const required = size === null ? { requireSize: [h, w] as const, requireSizeOf: first } : { requireSize: null };
  const target: DecodeTarget = { size, ...required, channels, ...limits };
  return { size, h, w, channels, rowBytes: h * w * channels, target };
}

async function buildCache(scan: FolderScan, tmp: string, o: ImageCacheOptions, probe: Probe): Promise<CacheIndex> {
  const started = performance.now();
  const n = scan.files.length;
  const layout = rowLayout(o, probe, scan.files[0]!);
  const rowOf = new Rng(ROW_ORDER_SEED).permutation(n);
  await decodeToPixelFile(scan, join(tmp, CACHE_FILES.pixels), o, probe, layout, rowOf, started);
  const labels = new Uint8Array(n);
  const files = new Array<string>(n);
  for (let i = 0; i < n; i++) {
    labels[rowOf[i]!] = scan.labels[i]!;
    files[rowOf[i]!] = scan.files[i]!;
  }
  const index: CacheIndex = {
    format: CACHE_FORMAT,
    source: scan.dir,
    imageShape: [layout.h, layout.w, layout.channels],
    count: n,
    classNames: scan.classNames,
    files,
    options: { size: layout.size, channels: o.channels ?? null },
    decodeSeconds: (performance.now() - started) / 1000,
  };
  await writeFileDurable(join(tmp, CACHE_FILES.labels), labels);
  await writeFileDurable(join(tmp, CACHE_FILES.index), `${JSON.stringify(index)}\n`);
  return index;
}

/**
 * Decodes every file of `scan` into row `rowOf[i]` of the new file `pixelsPath` and syncs it; the
 * decoding workers are stopped before the file is closed, whether or not decoding failed.
 */
async function decodeToPixelFile(
  scan: FolderScan,
  pixelsPath: string,
  o: ImageCacheOptions,
  probe: Probe,
  { target, rowBytes }: RowLayout,
  rowOf: Uint32Array,
  started: number,
): Promise<void> {
  const n = scan.files.length;
  const fd = openSync(pixelsPath, 'wx');
  const workers: WorkerRequests<DecodeRequest, DecodeReply>[] = [];
  try {
    const finish = batchChecker(scan, o, probe, progressLogger(scan.dir, n, started));
    // The main thread and one worker per further core take batches from one counter; each thread
    // reads its files and writes their rows itself, and a worker has two batches in flight, so it
    // never waits for the main thread. (Measured on 2 cores, 5,000 files: this beat one worker per
    // core with the main thread only handing out batches, 2,450 vs 2,150 images/s from sources.)
    const count = n < MIN_FILES_FOR_WORKERS ? 0 : (o.workers ?? Math.min(3, availableParallelism() - 1));
    for (let k = 0; k < count; k++) workers.push(new WorkerRequests(import.meta.url, 'decode-worker'));
    const batches = decodeBatches(scan, rowOf);
    const local = async (): Promise<void> => {
      for (let job = batches.take(); job; job = batches.take()) {
        finish(job.first, decodeRowsToFile(job.paths, job.rows, target, rowBytes, fd));
        await new Promise<void>((r) => setImmediate(r)); // let the workers' replies in
      }
    };
    const remote = async (worker: WorkerRequests<DecodeRequest, DecodeReply>): Promise<void> => {
      for (let job = batches.take(); job; job = batches.take())
        finish(job.first, (await worker.request({ paths: job.paths, rows: job.rows, target, rowBytes, fd })).colour);
    };
    try {
      await Promise.all([local(), ...workers.flatMap((w) => [remote(w), remote(w)])]);
    } catch (err) {
      batches.stop(); // no more batches; the workers are stopped before the descriptor is closed
      throw err;
    }
    fsyncSync(fd);
  } finally {
    await Promise.all(workers.map((w) => w.close()));
    closeSync(fd);
  }
}

/** Consecutive files to decode: the first one's index in listing order, their paths and their rows. */
interface DecodeBatch {
  readonly first: number;
  readonly paths: string[];
  readonly rows: Int32Array;
}

/** Hands out batches of {@link DECODE_BATCH} files in listing order until all are taken or `stop` is called. */
function decodeBatches(scan: FolderScan, rowOf: Uint32Array): { take(): DecodeBatch | null; stop(): void } {
  const n = scan.files.length;
  let next = 0;
  let failed = false;
  return {
    take: () => {
      if (next >= n || failed) return null;
      const first = next;
      next = Math.min(n, next + DECODE_BATCH);
      return {
        first,
        paths: Array.from({ length: next - first }, (_, k) => join(scan.dir, scan.files[first + k]!)),
        rows: Int32Array.from({ length: next - first }, (_, k) => rowOf[first + k]!),
      };
    },
    stop: () => {
      failed = true;
    },
  };
}

/**
 * Checks a decoded batch's colour flags against the first image's (unless `channels` was given:
 * then every image is converted) and reports the progress.
 */
function batchChecker(
  scan: FolderScan,
  o: ImageCacheOptions,
  probe: Probe,
  progress: (done: number) => void,
): (first: number, colour: Uint8Array) => void {
  let done = 0;
  return (first, colour) => {
    for (let k = 0; k < colour.length; k++)
      if (o.channels == null && (colour[k] === 1) !== probe.colour)
        throw new RangeError(
          `${join(scan.dir, scan.files[first + k]!)}: expected ${describe(probe.colour)} like ${scan.files[0]}, got ${describe(colour[k] === 1)}; pass --channels 1 or --channels 3 to convert every image`,
        );
    done += colour.length;
    progress(done);
  };
}

/** Logs decoding progress at most every 5 s. */
function progressLogger(dir: string, n: number, started: number): (done: number) => void {
  let last = started;
  return (done) => {
    const now = performance.now();
    if (now - last < 5000 || done === n) return;
    last = now;
    log.info(`${dir}: decoded ${done}/${n} images (${Math.round((done * 1000) / (now - started))}/s)`);
  };
}
