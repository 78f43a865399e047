import { statSync, type Stats } from 'node:fs';
import { readdir } from 'node:fs/promises';
import { join } from 'node:path';
import { createHash } from 'node:crypto';
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

/**
 * Lists the images of `dir`: either directly in it (no labels) or in class subfolders, torchvision's
 * ImageFolder layout (`dir/<class>/**`, labels = the index of the class in sorted order). Hidden
 * files are skipped; any other non-image file, an empty folder or class, or images beside class
 * folders is an error naming the path. Sizes and modification times go into the listing hash that
 * keys the pixel cache.
 */
export async function scanImageFolder(dir: string): Promise<FolderScan> {
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
  const hash = createHash('sha256');
  // Synchronous stats: ~10× cheaper per file than the thread pool's (200,000 files are listed before
  // a cached run's first step), and nothing else runs while a dataset loads.
  const LINES = 4096;
  for (let start = 0; start < files.length; start += LINES) {
    let lines = '';
    for (const f of files.slice(start, start + LINES)) {
      let s: Stats;
      try {
        s = statSync(join(dir, f));
      } catch (err) {
        throw new Error(
          `${join(dir, f)}: could not be read (${(err as NodeJS.ErrnoException).code ?? (err as Error).message})`,
        );
      }
      lines += `${f}\t${s.size}\t${s.mtimeMs}\n`;
    }
    hash.update(lines);
  }
  return { dir, files, labels, classNames: classDirs.length > 0 ? classDirs : null, listingHash: hash.digest('hex') };
}
