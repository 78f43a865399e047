import { statSync } from 'node:fs';
import { readdir } from 'node:fs/promises';
import { availableParallelism } from 'node:os';
import { join } from 'node:path';
import { createHash } from 'node:crypto';
import { Worker } from 'node:worker_threads';
import { isImageFileName } from '../image-header.js';

/** The image files of a folder, in the order the cache stores them before shuffling (sorted by path). */
export interface FolderScan {
  readonly dir: string;
  /** Paths relative to `dir`, `/`-separated, sorted. */
  readonly files: readonly string[];
  /** Label of each file: the index of its class subfolder in `classNames` (0 without classes). */
  readonly labels: Uint8Array;
  /** Sorted class subfolder names (ImageFolder layout), or null when the images sit directly in `dir`. */
  readonly classNames: readonly string[] | null;
  /** SHA-256 of the listing: every path with its size and modification time. */
  readonly listingHash: string;
}

/** Options of {@link scanImageFolder}. */
export interface ScanOptions {
  /** Threads that stat the files, the main thread included (default: one per 10,000 files, at most the cores and 4). */
  readonly statThreads?: number;
}

/** Most classes (labels are stored as bytes). */
export const MAX_CLASSES = 256;

function isHidden(name: string): boolean {
  return name.startsWith('.');
}

/** Appends the image files under `dir` to `out` as `/`-separated paths relative to `root` (`prefix` is `dir`'s). */
async function walk(dir: string, root: string, prefix: string, out: string[]): Promise<void> {
  const entries = await readdir(dir, { withFileTypes: true });
  for (const e of entries) {
    if (isHidden(e.name)) continue;
    const path = join(dir, e.name);
    if (e.isDirectory()) await walk(path, root, `${prefix}${e.name}/`, out);
    else if (isImageFileName(e.name)) out.push(`${prefix}${e.name}`);
    else
      throw new RangeError(
        `${path}: expected only PNG or JPEG images (.png, .jpg, .jpeg) in ${root}, got a file named ${JSON.stringify(e.name)}; move it out of the folder`,
      );
  }
}

async function readFolder(dir: string): Promise<import('node:fs').Dirent[]> {
  try {
    return await readdir(dir, { withFileTypes: true });
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    throw new Error(
      `data: expected a folder of PNG or JPEG images, got ${dir} (${code === 'ENOENT' ? 'no such folder' : code === 'ENOTDIR' ? 'not a folder' : (err as Error).message})`,
    );
  }
}

/** Files from which the stats are shared among threads (below, one thread is quicker than starting more). */
const MIN_FILES_PER_STAT_THREAD = 10_000;

/**
 * The stat worker, plain JavaScript (it needs no TypeScript loader, so it starts in milliseconds):
 * size and modification time of `files` (relative to `dir`), or the first file it could not stat.
 */
const STAT_WORKER = `
const { parentPort, workerData } = require('node:worker_threads');
const { statSync } = require('node:fs');
const { join } = require('node:path');
const { dir, files } = workerData;
const stats = new Float64Array(2 * files.length);
let failed = null;
for (let i = 0; i < files.length; i++) {
  try {
    const s = statSync(join(dir, files[i]));
    stats[2 * i] = s.size;
    stats[2 * i + 1] = s.mtimeMs;
  } catch (err) {
    failed = { index: i, code: err.code ?? err.message };
    break;
  }
}
parentPort.postMessage({ stats, failed }, [stats.buffer]);
`;

interface StatPart {
  readonly stats: Float64Array;
  readonly failed: { readonly index: number; readonly code: string } | null;
}

/** Size and modification time of `files` (relative to `dir`), synchronously. */
function statPart(dir: string, files: readonly string[]): StatPart {
  const stats = new Float64Array(2 * files.length);
  for (let i = 0; i < files.length; i++) {
    try {
      const s = statSync(join(dir, files[i]!));
      stats[2 * i] = s.size;
      stats[2 * i + 1] = s.mtimeMs;
    } catch (err) {
      return { stats, failed: { index: i, code: (err as NodeJS.ErrnoException).code ?? (err as Error).message } };
    }
  }
  return { stats, failed: null };
}

function statInWorker(dir: string, files: readonly string[]): Promise<StatPart> {
  return new Promise((resolve, reject) => {
    const worker = new Worker(STAT_WORKER, { eval: true, workerData: { dir, files } });
    worker.once('message', (m: StatPart) => {
      resolve(m);
      void worker.terminate();
    });
    worker.once('error', reject);
  });
}

/**
 * `[size, mtimeMs]` of every file, interleaved. Synchronous stats (~10× cheaper per file than the
 * thread pool's); a large folder's are shared between the main thread and a worker per further
 * core (at most 4 threads), since a cached run lists and stats the whole folder before its first
 * step. Throws naming the first file (in `files` order) that could not be stat-ed.
 */
async function statFiles(dir: string, files: readonly string[], threadCount?: number): Promise<Float64Array> {
  const threads = Math.max(
    1,
    Math.min(
      files.length,
      threadCount ?? Math.min(4, availableParallelism(), Math.floor(files.length / MIN_FILES_PER_STAT_THREAD)),
    ),
  );
  const per = Math.ceil(files.length / threads);
  const slices = Array.from({ length: threads }, (_, k) => files.slice(k * per, (k + 1) * per));
  const remote = slices.slice(1).map((part) => statInWorker(dir, part));
  const parts = [statPart(dir, slices[0]!), ...(await Promise.all(remote))];
  const stats = new Float64Array(2 * files.length);
  for (const [k, part] of parts.entries()) {
    if (part.failed) {
      const path = join(dir, files[k * per + part.failed.index]!);
      throw new Error(`${path}: could not be read (${part.failed.code})`);
    }
    stats.set(part.stats, 2 * k * per);
  }
  return stats;
}

/**
 * Lists the images of `dir`: either directly in it (no labels) or in class subfolders, torchvision's
 * ImageFolder layout (`dir/<class>/**`, labels = the index of the class in sorted order). Hidden
 * files are skipped; any other non-image file, an empty folder or class, or images beside class
 * folders is an error naming the path. Sizes and modification times go into the listing hash that
 * keys the pixel cache.
 */
export async function scanImageFolder(dir: string, o: ScanOptions = {}): Promise<FolderScan> {
  const top = (await readFolder(dir)).filter((e) => !isHidden(e.name));
  const classDirs = top
    .filter((e) => e.isDirectory())
    .map((e) => e.name)
    .sort();
  const topFiles = top.filter((e) => !e.isDirectory());
  if (classDirs.length > 0 && topFiles.length > 0)
    throw new RangeError(
      `${dir}: expected either images directly in the folder or class subfolders (ImageFolder layout), got both (${topFiles[0]!.name} beside ${classDirs[0]}/)`,
    );
  if (classDirs.length > MAX_CLASSES)
    throw new RangeError(`${dir}: expected at most ${MAX_CLASSES} class subfolders, got ${classDirs.length}`);
  const files: string[] = [];
  if (classDirs.length === 0) await walk(dir, dir, '', files);
  for (const name of classDirs) {
    const before = files.length;
    await walk(join(dir, name), dir, `${name}/`, files);
    if (files.length === before)
      throw new RangeError(`${join(dir, name)}: expected PNG or JPEG images in class folder ${name}, got none`);
  }
  if (files.length === 0)
    throw new RangeError(`${dir}: expected PNG or JPEG images (directly or in class subfolders), got none`);
  files.sort(); // code-unit order, the same on every platform
  const classOf = new Map(classDirs.map((name, k) => [name, k]));
  const labels = new Uint8Array(files.length);
  if (classDirs.length > 0) for (const [i, f] of files.entries()) labels[i] = classOf.get(f.slice(0, f.indexOf('/')))!;
  const stats = await statFiles(dir, files, o.statThreads);
  const hash = createHash('sha256');
  const LINES = 4096;
  for (let start = 0; start < files.length; start += LINES) {
    let lines = '';
    for (let i = start; i < Math.min(files.length, start + LINES); i++)
      lines += `${files[i]}\t${stats[2 * i]}\t${stats[2 * i + 1]}\n`;
    hash.update(lines);
  }
  return { dir, files, labels, classNames: classDirs.length > 0 ? classDirs : null, listingHash: hash.digest('hex') };
}
