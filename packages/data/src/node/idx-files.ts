import { access, stat } from 'node:fs/promises';
import { basename, dirname, join } from 'node:path';
import type { ImageDataset } from '../dataset.js';
import type { ImageSplit } from '../image-split.js';
import { parseIdx, parseIdxHeader, type IdxArray, type IdxHeader } from '../idx.js';
import { sizeText } from '@vae/core';
import { convertChannels } from '../resize.js';
import { readFileBounded } from './bounded-read.js';

/** Largest IDX content {@link readIdxFile} decodes unless told otherwise: 1 GiB (MNIST train is 47 MB). */
export const MAX_IDX_BYTES = 2 ** 30;

/** Limits of {@link readIdxFile}, checked against the file's header before its data is decoded. */
export interface IdxLimits {
  /** Most data bytes accepted (default {@link MAX_IDX_BYTES}). */
  readonly maxBytes?: number;
  /** The dimensions after the first that the file must have, e.g. `[28, 28]` for images of a 28×28 model. */
  readonly itemDims?: readonly number[];
  /**
   * The image shape `[H, W, C]` the items must have: `[H, W]` in a rank-3 file (grey, C = 1) or
   * `[H, W, C]` in a rank-4 one.
   */
  readonly itemShape?: readonly [number, number, number];
}

/** Checks an IDX header against `limits` before anything else is read. */
function checkIdxHeader(path: string, header: IdxHeader, limits: IdxLimits): void {
  const max = limits.maxBytes ?? MAX_IDX_BYTES;
  const shape = `[${header.dims.join(', ')}]`;
  if (header.dataBytes > max)
    throw new RangeError(
      `${path}: expected at most ${max} bytes of IDX data, the header claims ${shape} = ${header.dataBytes}; not decoded`,
    );
  const shape3 = limits.itemShape;
  const item =
    limits.itemDims ??
    (shape3 &&
      (header.dims.length === 3 && shape3[2] === 1 ? shape3.slice(0, 2) : shape3.slice(0, header.dims.length - 1)));
  if (item && header.dims.slice(1).join() !== item.join())
    throw new RangeError(
      `${path}: expected items of ${itemText(item)}, the header says ${itemText(header.dims.slice(1))} (${shape}); not decoded`,
    );
}

/** An item's dimensions: images (`[H, W]` or `[H, W, C]`) with each dimension named, others as `a×b×…`. */
function itemText(dims: readonly number[]): string {
  return dims.length === 2 || dims.length === 3 ? sizeText(dims[0]!, dims[1]!, dims[2]) : dims.join('×');
}

/**
 * Reads one IDX ubyte file (gzip-compressed or raw) of rank `rank`; errors name the file and what is
 * wrong, with `fix` appended. The header is read and checked against `limits` first; then exactly
 * the bytes it announces are decompressed (see {@link readFileBounded}), so a gzip bomb is refused
 * or cut off at its claimed size instead of being expanded.
 */
export async function readIdxFile(
  path: string,
  rank: number | readonly number[],
  fix: string,
  limits: IdxLimits = {},
): Promise<IdxArray> {
  let bytes: Uint8Array;
  try {
    bytes = await readFileBounded(path, (head) => {
      const header = parseIdxHeader(head, path, rank);
      if (!header) return null;
      checkIdxHeader(path, header, limits);
      return header.headerBytes + header.dataBytes;
    });
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    if (code === 'ENOENT') throw new Error(`${path}: file not found; ${fix}`);
    if (code) throw new Error(`${path}: could not be read (${(err as Error).message}); ${fix}`);
    const e = err as Error;
    e.message = `${e.message}; ${fix}`;
    throw e;
  }
  return parseIdx(bytes, path, rank);
}

const FILE_STEMS = Object.freeze({
  trainImages: [
    'train-images-idx3-ubyte',
    'train-images.idx3-ubyte',
    'train-images-idx4-ubyte',
    'train-images.idx4-ubyte',
  ],
  trainLabels: ['train-labels-idx1-ubyte', 'train-labels.idx1-ubyte'],
  testImages: ['t10k-images-idx3-ubyte', 't10k-images.idx3-ubyte', 't10k-images-idx4-ubyte', 't10k-images.idx4-ubyte'],
  testLabels: ['t10k-labels-idx1-ubyte', 't10k-labels.idx1-ubyte'],
});

async function exists(path: string): Promise<boolean> {
  try {
    await access(path);
    return true;
  } catch {
    return false;
  }
}

/** The first of `stems` (plain or `.gz`) present in `dir`, or null. */
async function findFile(dir: string, stems: readonly string[]): Promise<string | null> {
  for (const c of stems.flatMap((s) => [join(dir, s), join(dir, `${s}.gz`)])) if (await exists(c)) return c;
  return null;
}

/** The labels file beside an images IDX file (`…images-idx3-ubyte[.gz]` → `…labels-idx1-ubyte[.gz]`), if present. */
export async function labelsBeside(imagesPath: string): Promise<string | null> {
  const name = basename(imagesPath)
    .replace(/images-idx[34]/, 'labels-idx1')
    .replace(/images\.idx[34]/, 'labels.idx1');
  if (name === basename(imagesPath)) return null;
  const plain = name.replace(/\.gz$/, '');
  for (const candidate of [name, plain, `${plain}.gz`]) {
    const path = join(dirname(imagesPath), candidate);
    if (await exists(path)) return path;
  }
  return null;
}

/** Options of {@link readIdxImages}. */
export interface IdxImagesOptions extends IdxLimits {
  /** Convert to this many channels (grey ↔ colour); default: the file's. */
  readonly channels?: 1 | 3 | null;
}

/**
 * Reads an IDX images file of rank 3 (`[n, H, W]`, grey) or 4 (`[n, H, W, C]`, C = 1 or 3) and its
 * labels file when given (one byte per image; refused before decoding when it claims more).
 */
export async function readIdxImages(
  imagePath: string,
  labelPath: string | null,
  fix: string,
  o: IdxImagesOptions = {},
): Promise<{ split: ImageSplit; shape: [number, number, number]; labelled: boolean }> {
  const img = await readIdxFile(imagePath, [3, 4], fix, o);
  const [count, h, w] = img.dims as [number, number, number];
  const c = img.dims[3] ?? 1;
  if (c !== 1 && c !== 3)
    throw new RangeError(
      `${imagePath}: expected 1 or 3 channels in the last IDX dimension, got ${c} ([${img.dims.join(', ')}]); ${fix}`,
    );
  let labels: Uint8Array = new Uint8Array(count);
  if (labelPath) {
    const lab = await readIdxFile(labelPath, 1, fix, { maxBytes: count });
    if (lab.dims[0] !== count)
      throw new Error(
        `${labelPath}: expected ${count} labels (as many as images in ${imagePath}), got ${lab.dims[0]}; the files do not belong together`,
      );
    labels = lab.data;
  }
  const want = o.channels ?? c;
  const images =
    want === c ? img.data : convertChannels({ width: count * h * w, height: 1, channels: c, pixels: img.data }, want);
  return { split: { images, labels, count }, shape: [h, w, want], labelled: labelPath !== null };
}

/** Options of {@link loadIdxDirectory}. */
export interface IdxDirectoryOptions extends IdxImagesOptions {
  /** Fail when there are no `t10k-*` test files (MNIST, Fashion-MNIST); default: no test split then. */
  readonly requireTest?: boolean;
  /** Fail when there is no training labels file; default: every label 0. */
  readonly requireLabels?: boolean;
}

/**
 * Reads IDX files: a directory (`train-images-idx3-ubyte` or `…-idx4-ubyte`, `train-labels-idx1-ubyte`,
 * and when present `t10k-images…`, `t10k-labels…`, each optionally `.gz`) or one images file (its
 * labels file beside it when there is one). Without test files the dataset has no test split
 * (training carves its validation from the training images); without labels, every label is 0.
 * `fix` is appended to every error (how to obtain the files).
 */
export async function loadIdxDirectory(
  name: string,
  path: string,
  fix: string,
  o: IdxDirectoryOptions = {},
): Promise<ImageDataset<ImageSplit>> {
  const isFile = await stat(path).then(
    (s) => s.isFile(),
    () => false,
  );
  const dir = isFile ? dirname(path) : path;
  const missing = (stems: readonly string[]): Error =>
    new Error(`${join(dir, `${stems[0]}[.gz]`)}: file not found; ${fix}`);
  const trainImages = isFile ? path : await findFile(dir, FILE_STEMS.trainImages);
  if (!trainImages) throw missing(FILE_STEMS.trainImages);
  const trainLabels = isFile ? await labelsBeside(path) : await findFile(dir, FILE_STEMS.trainLabels);
  if (!trainLabels && o.requireLabels) throw missing(FILE_STEMS.trainLabels);
  const train = await readIdxImages(trainImages, trainLabels, fix, o);
  const testImages = isFile ? null : await findFile(dir, FILE_STEMS.testImages);
  if (!testImages && o.requireTest) throw missing(FILE_STEMS.testImages);
  let test: ImageSplit | null = null;
  if (testImages) {
    const testLabels = await findFile(dir, FILE_STEMS.testLabels);
    if (!testLabels && trainLabels) throw missing(FILE_STEMS.testLabels);
    const t = await readIdxImages(testImages, testLabels, fix, { ...o, channels: train.shape[2] as 1 | 3 });
    if (train.shape.join() !== t.shape.join())
      throw new Error(
        `${dir}: training images are ${train.shape.join('×')} but test images are ${t.shape.join('×')}; ${fix}`,
      );
    test = t.split;
  }
  let maxLabel = 0;
  for (const l of train.split.labels) if (l > maxLabel) maxLabel = l;
  return {
    name,
    imageShape: train.shape,
    numClasses: maxLabel + 1,
    classNames: train.labelled ? Array.from({ length: maxLabel + 1 }, (_, k) => String(k)) : null,
    train: train.split,
    test,
    source: path,
  };
}

/** Where Debian's `dataset-fashion-mnist` package installs its files. */
export const FASHION_MNIST_DIR = '/usr/share/datasets/fashion-mnist';
