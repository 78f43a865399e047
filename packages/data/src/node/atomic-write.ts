import { randomBytes } from 'node:crypto';
import { rmSync } from 'node:fs';
import { mkdir, open, readdir, rename, rm } from 'node:fs/promises';
import { basename, dirname, join } from 'node:path';
import { cleanupOnExit } from './exit-cleanup.js';

const TEMP_MARK = '.tmp-';
const TEMP_NAME = /^(.+)\.tmp-(\d+)-[0-9a-f]{8}$/;

/** A temp path next to `path` (same directory, so `rename` stays atomic). */
export function tempPathFor(path: string): string {
  return `${path}${TEMP_MARK}${process.pid}-${randomBytes(4).toString('hex')}`;
}

/** The final name and writer pid of a temp path made by {@link tempPathFor}, or null for other names. */
export function parseTempPath(path: string): { readonly target: string; readonly pid: number } | null {
  const m = TEMP_NAME.exec(basename(path));
  return m ? { target: join(dirname(path), m[1]!), pid: Number(m[2]) } : null;
}

/** Writes `data` to a new file at `path` and flushes it to disk (`fsync`) before returning. */
export async function writeFileDurable(path: string, data: string | Uint8Array): Promise<void> {
  const handle = await open(path, 'wx');
  try {
    await handle.writeFile(data);
    await handle.sync();
  } finally {
    await handle.close();
  }
}

/** Flushes a directory's entries (renames, creations, removals) to disk. */
export async function syncDir(path: string): Promise<void> {
  const handle = await open(path, 'r');
  try {
    await handle.sync();
  } finally {
    await handle.close();
  }
}

/**
 * Writes `data` to `path` atomically and durably: a temp file in the same directory, fsynced, renamed
 * over `path`, then the directory fsynced. A crash at any point leaves the old or the new file; the
 * temp is removed if the process exits meanwhile (`cleanupOnExit`; a kill leaves it to {@link removeStaleTemps}).
 */
export async function writeFileAtomic(path: string, data: string | Uint8Array): Promise<void> {
  await mkdir(dirname(path), { recursive: true });
  const tmp = tempPathFor(path);
  const forget = cleanupOnExit(() => rmSync(tmp, { force: true }));
  try {
    await writeFileDurable(tmp, data);
    await rename(tmp, path);
  } catch (err) {
    await rm(tmp, { force: true });
    throw err;
  } finally {
    forget();
  }
  await syncDir(dirname(path));
}

function processAlive(pid: number): boolean {
  if (pid === process.pid) return true;
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/**
 * Removes the temp files and folders ({@link tempPathFor}) in `dir` left by processes that no longer
 * run (a crash or kill mid-write); temps of live processes are kept. Returns the paths removed.
 */
export async function removeStaleTemps(dir: string, keep: (path: string) => boolean = () => false): Promise<string[]> {
  let names: string[];
  try {
    names = await readdir(dir);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return [];
    throw err;
  }
  const removed: string[] = [];
  for (const name of names) {
    const path = join(dir, name);
    const temp = parseTempPath(path);
    if (!temp || processAlive(temp.pid) || keep(path)) continue;
    await rm(path, { recursive: true, force: true });
    removed.push(path);
  }
  return removed;
}
