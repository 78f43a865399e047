import { existsSync } from 'node:fs';
import { readFile, readdir } from 'node:fs/promises';
import { basename, dirname, join } from 'node:path';
import type { VaeModel } from '@vae/core';
import { sharedBytes } from './chunk-preparer.js';
import { type GreyImage, loadDataset, readIdxFile, readPngGrey, type ImageSplit } from '@vae/train';

/** Where a corpus comes from. */
export const CORPUS_SOURCES = ['mnist', 'fashion-mnist', 'idx', 'images'] as const;
export type CorpusSource = (typeof CORPUS_SOURCES)[number];
/** Which part of a dataset: its train or test split, or both (train first, then test). */
export const CORPUS_SPLITS = ['train', 'test', 'all'] as const;
export type CorpusSplit = (typeof CORPUS_SPLITS)[number];

/** Options of {@link loadCorpus}. */
export interface CorpusOptions {
  readonly dataset: CorpusSource;
  /** Default `all` (the only choice for `idx` and `images`, which are one file or folder). */
  readonly split?: CorpusSplit;
  /** `idx`: an images IDX file; `images`: a folder of PNGs; mnist/fashion-mnist: a directory of IDX files instead of the default. */
  readonly data?: string;
  /** Keep only the first `limit` items. */
  readonly limit?: number;
  /**
   * The image shape `[H, W, C]` the corpus must have (the model's): PNG and IDX headers are checked
   * against it before anything is decoded, so an oversized file costs nothing.
   */
  readonly imageShape?: readonly number[];
  /** Most bytes of IDX image data decoded (default `MAX_IDX_BYTES` of @vae/train, 1 GiB). */
  readonly maxBytes?: number;
}

/** Images of a corpus as bytes, with their labels. Item `i` has id `i` (its position in the split). */
export interface Corpus {
  /** `dataset/split`, e.g. `mnist/train`. */
  readonly name: string;
  readonly dataset: CorpusSource;
  readonly split: CorpusSplit;
  readonly imageShape: readonly [number, number, number];
  readonly inputSize: number;
  readonly count: number;
  /** `count × inputSize` grey levels 0–255 (in a SharedArrayBuffer). */
  readonly pixels: Uint8Array;
  /** `count` labels, -1 where the corpus has none. */
  readonly labels: Int32Array;
  /** Where the data was read from. */
  readonly source: string;
}

function oneOf<T extends string>(value: unknown, allowed: readonly T[], name: string): T {
  if (typeof value !== 'string' || !(allowed as readonly string[]).includes(value))
    throw new RangeError(`${name}: expected one of ${allowed.join('|')}, got ${JSON.stringify(value)}`);
  return value as T;
}

function concat(splits: readonly ImageSplit[]): { pixels: Uint8Array; labels: Int32Array } {
  if (splits.length === 1) return { pixels: splits[0]!.images, labels: Int32Array.from(splits[0]!.labels) };
  const pixels = new Uint8Array(splits.reduce((n, s) => n + s.images.length, 0));
  const labels = new Int32Array(splits.reduce((n, s) => n + s.count, 0));
  let p = 0;
  let l = 0;
  for (const s of splits) {
    pixels.set(s.images, p);
    labels.set(s.labels, l);
    p += s.images.length;
    l += s.count;
  }
  return { pixels, labels };
}

/** The labels file beside an images IDX file (`…images-idx3-ubyte[.gz]` → `…labels-idx1-ubyte[.gz]`), if present. */
function labelsBeside(imagesPath: string): string | null {
  const name = basename(imagesPath).replace('images-idx3', 'labels-idx1').replace('images.idx3', 'labels.idx1');
  if (name === basename(imagesPath)) return null;
  for (const candidate of [name, name.replace(/\.gz$/, ''), `${name.replace(/\.gz$/, '')}.gz`]) {
    const path = join(dirname(imagesPath), candidate);
    if (existsSync(path)) return path;
  }
  return null;
}

type CorpusBody = Omit<Corpus, 'name' | 'dataset' | 'split'>;

async function loadIdxFile(path: string, o: CorpusOptions): Promise<CorpusBody> {
  const fix = 'expected an IDX images file (e.g. train-images-idx3-ubyte[.gz]) in --data, of at most --max-data-mb';
  const img = await readIdxFile(path, 3, fix, {
    ...(o.imageShape ? { itemDims: o.imageShape.slice(0, 2) } : {}),
    ...(o.maxBytes === undefined ? {} : { maxBytes: o.maxBytes }),
  });
  const [count, h, w] = img.dims as [number, number, number];
  const labelsPath = labelsBeside(path);
  let labels = new Int32Array(count).fill(-1);
  if (labelsPath) {
    const lab = await readIdxFile(labelsPath, 1, 'expected an IDX labels file beside the images', { maxBytes: count });
    if (lab.dims[0] !== count)
      throw new RangeError(
        `${labelsPath}: expected ${count} labels (as many as images in ${path}), got ${lab.dims[0]}`,
      );
    labels = Int32Array.from(lab.data);
  }
  return { imageShape: [h, w, 1], inputSize: h * w, count, pixels: img.data, labels, source: path };
}

async function loadPngFolder(dir: string, shape: readonly number[] | undefined): Promise<CorpusBody> {
  let names: string[];
  try {
    names = (await readdir(dir)).filter((n) => n.toLowerCase().endsWith('.png')).sort();
  } catch (err) {
    throw new Error(
      `data: expected a folder of PNG images, got ${dir} (${(err as NodeJS.ErrnoException).code ?? (err as Error).message})`,
    );
  }
  if (names.length === 0)
    throw new RangeError(`data: expected a folder with at least one .png file, got none in ${dir}`);
  // The first image sets the size the others must have, unless the model's is given; each header is
  // checked before its pixels are decoded.
  let size: [number, number] | undefined = shape ? [shape[0]!, shape[1]!] : undefined;
  let pixels = new Uint8Array(0);
  for (const [i, n] of names.entries()) {
    const path = join(dir, n);
    const bytes = await readFile(path);
    let img: GreyImage;
    try {
      img = readPngGrey(bytes, path, size ? { size } : {});
    } catch (err) {
      if (i > 0 && !shape && err instanceof RangeError) err.message += ` (the size of ${names[0]})`;
      throw err;
    }
    size ??= [img.height, img.width];
    if (i === 0) pixels = new Uint8Array(names.length * img.width * img.height);
    pixels.set(img.pixels, i * img.pixels.length);
  }
  const [h, w] = size!;
  return {
    imageShape: [h, w, 1],
    inputSize: h * w,
    count: names.length,
    pixels,
    labels: new Int32Array(names.length).fill(-1),
    source: dir,
  };
}

/**
 * Loads a corpus: MNIST or Fashion-MNIST through @vae/train's dataset registry, one IDX images file
 * (labels read from the `labels-idx1` file beside it when there is one), or a folder of PNGs (sorted
 * by file name; colour converted to grey). Ids are positions in the chosen split, so they are stable
 * across runs of the same input.
 */
export async function loadCorpus(o: CorpusOptions): Promise<Corpus> {
  const dataset = oneOf(o.dataset, CORPUS_SOURCES, 'dataset');
  const split = oneOf(o.split ?? 'all', CORPUS_SPLITS, 'split');
  if (o.limit !== undefined && (!Number.isInteger(o.limit) || o.limit < 1))
    throw new RangeError(`limit: expected an integer ≥ 1, got ${String(o.limit)}`);
  let body: CorpusBody;
  if (dataset === 'idx' || dataset === 'images') {
    if (split !== 'all')
      throw new RangeError(
        `split: expected all for dataset ${dataset} (one ${dataset === 'idx' ? 'file' : 'folder'}), got ${split}`,
      );
    if (!o.data)
      throw new RangeError(
        `data: expected ${dataset === 'idx' ? 'an IDX images file' : 'a folder of PNGs'} for dataset ${dataset}, got none`,
      );
    body = dataset === 'idx' ? await loadIdxFile(o.data, o) : await loadPngFolder(o.data, o.imageShape);
  } else {
    const d = await loadDataset(dataset, { dataDir: o.data ?? null });
    const parts = split === 'all' ? [d.train, d.test] : [d[split]];
    const { pixels, labels } = concat(parts);
    const [h, w, c] = d.imageShape;
    body = { imageShape: d.imageShape, inputSize: h * w * c, count: labels.length, pixels, labels, source: d.source };
  }
  const count = o.limit === undefined ? body.count : Math.min(o.limit, body.count);
  return {
    ...body,
    name: `${dataset}/${split}`,
    dataset,
    split,
    count,
    // Shared memory: the worker thread that hashes and converts chunks reads it without a copy.
    pixels: sharedBytes(body.pixels.subarray(0, count * body.inputSize)),
    labels: body.labels.subarray(0, count),
  };
}

/** Throws a RangeError unless the corpus's images are the model's input (checked before any table is touched). */
export function assertCorpusFits(model: VaeModel, corpus: Corpus): void {
  if (corpus.inputSize !== model.inputSize)
    throw new RangeError(
      `dataset: expected images of ${model.manifest.imageShape.join('×')} for ${model.manifest.name}, got ${corpus.imageShape.join('×')} from ${corpus.name}`,
    );
}
