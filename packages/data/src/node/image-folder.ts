import { open, type FileHandle } from 'node:fs/promises';
import { join } from 'node:path';
import type { ImageDataset, StoredSplit } from '../dataset.js';
import { CACHE_FILES, ensureImageCache, type ImageCacheOptions } from './pixel-cache.js';

/** Pixel bytes above which an image folder's rows stay on disk instead of in memory: 1 GiB. */
export const DEFAULT_MEMORY_BYTES = 2 ** 30;
/** Bytes per block of rows read at once from a cache on disk: 4 MiB. */
export const BLOCK_BYTES = 4 * 2 ** 20;

/** Options of {@link loadImageFolder}. */
export interface ImageFolderOptions extends ImageCacheOptions {
  /** Pixel bytes above which the rows are read from disk in blocks (default {@link DEFAULT_MEMORY_BYTES}). */
  readonly memoryBytes?: number;
}

/** Most bytes one read asks for (a single read is limited to 2 GiB). */
const READ_PIECE = 2 ** 30;
/** Reads above this size are split into concurrent pieces of at least this size: 16 MiB. */
const PARALLEL_PIECE = 16 * 2 ** 20;
/** Concurrent pieces of a large read (libuv's default thread pool has 4 threads). */
const READ_THREADS = 4;

/** Fills `out[at, at + length)` from `file` at byte `base + at`; throws when the file ends first. */
async function readFully(
  handle: FileHandle,
  out: Uint8Array,
  at: number,
  length: number,
  base: number,
  file: string,
): Promise<void> {
  for (let filled = 0; filled < length; ) {
    const { bytesRead } = await handle.read(out, at + filled, length - filled, base + at + filled);
    if (bytesRead === 0) throw new Error(`${file}: ended at byte ${base + at + filled}; the cache is damaged`);
    filled += bytesRead;
  }
}

/** Rows of a cache's pixel file, read on demand (one open per read: nothing to close). */
function storedRows(file: string, count: number, labels: Uint8Array, rowBytes: number): StoredSplit {
  return {
    count,
    labels,
    rowBytes,
    blockRows: Math.max(1, Math.floor(BLOCK_BYTES / rowBytes)),
    async read(start, end) {
      if (!Number.isInteger(start) || !Number.isInteger(end) || start < 0 || end > count || end < start)
        throw new RangeError(`rows: expected 0 ≤ start ≤ end ≤ ${count}, got [${start}, ${end})`);
      const out = new Uint8Array((end - start) * rowBytes);
      const handle = await open(file, 'r');
      try {
        // Large reads in concurrent pieces: most of their cost is the first touch of the fresh
        // buffer's pages, which the thread pool then shares among the cores.
        const piece = Math.min(READ_PIECE, Math.max(PARALLEL_PIECE, Math.ceil(out.length / READ_THREADS)));
        const pieces: Promise<void>[] = [];
        for (let at = 0; at < out.length; at += piece)
          pieces.push(readFully(handle, out, at, Math.min(piece, out.length - at), start * rowBytes, file));
        // Every piece settles before the handle closes; the first failure is the error.
        const failed = (await Promise.allSettled(pieces)).find((r) => r.status === 'rejected');
        if (failed) throw failed.reason;
      } finally {
        await handle.close();
      }
      return out;
    },
  };
}

/**
 * An image folder as a dataset (see `ensureImageCache`): all rows are the training split (no test
 * split: training carves its validation from them), labelled by class subfolder when there are
 * some. Rows up to `memoryBytes` are read into memory; a larger folder stays on disk and is read
 * in blocks ({@link StoredSplit}).
 */
export async function loadImageFolder(dir: string, o: ImageFolderOptions = {}): Promise<ImageDataset> {
  const cache = await ensureImageCache(dir, o);
  const { index, labels } = cache;
  const [h, w, c] = index.imageShape;
  const rowBytes = h * w * c;
  const file = join(cache.path, CACHE_FILES.pixels);
  const inMemory = index.count * rowBytes <= (o.memoryBytes ?? DEFAULT_MEMORY_BYTES);
  const stored = storedRows(file, index.count, labels, rowBytes);
  const train = inMemory ? { images: await stored.read(0, index.count), labels, count: index.count } : stored;
  return {
    name: 'images',
    imageShape: [h, w, c],
    numClasses: index.classNames?.length ?? 1,
    classNames: index.classNames,
    train,
    test: null,
    source: `${dir} (cache ${cache.path}${inMemory ? '' : ', read from disk'})`,
    files: index.files,
  };
}
