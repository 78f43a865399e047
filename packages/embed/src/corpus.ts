import { sizeText, type VaeModel } from '@vae/core';
import { readRows, type ImageDataset, type ImageSplit } from '@vae/data';
import { datasetInfo, datasetNames, loadDataset } from '@vae/data/node';
import { sharedBytes } from './chunk-preparer.js';

/** A dataset registered with `@vae/data` (`mnist`, `fashion-mnist`, `idx`, `images`, `shapes`, `color-shapes`, …). */
export type CorpusSource = string;
/** Which part of a dataset: its train or test split, or both (train first, then test). */
export const CORPUS_SPLITS = ['train', 'test', 'all'] as const;
export type CorpusSplit = (typeof CORPUS_SPLITS)[number];

/** The datasets a corpus can come from: every one registered with `@vae/data` (asked, not listed here). */
export function corpusSources(): string[] {
  return datasetNames();
}

/** Options of {@link loadCorpus}. */
export interface CorpusOptions {
  readonly dataset: CorpusSource;
  /** Default `all` (train then test; datasets without a test split have only train). */
  readonly split?: CorpusSplit;
  /** Where to read from (`--data`): an IDX images file or directory, a folder of images, or instead of a dataset's default. */
  readonly data?: string;
  /** Keep only the first `limit` items. */
  readonly limit?: number;
  /**
   * The image shape `[H, W, C]` the corpus must have (the model's): image folders are decoded to
   * it (resized, centre-cropped, converted to C channels); IDX headers are checked against it
   * before anything is decoded, so an oversized file costs nothing.
   */
  readonly imageShape?: readonly number[];
  /** Most bytes of IDX image data decoded (default `MAX_IDX_BYTES` of @vae/data, 1 GiB). */
  readonly maxBytes?: number;
  /** Image folders: the pixel cache directory (default: `@vae/data`'s). */
  readonly cacheDir?: string;
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
  /** `count × inputSize` pixel bytes 0–255, HWC (in a SharedArrayBuffer). */
  readonly pixels: Uint8Array;
  /** `count` labels, -1 where the corpus has none. */
  readonly labels: Int32Array;
  /** Where the data was read from. */
  readonly source: string;
  /** Image folders: the file of each item (relative to the folder), so ids map back to files. */
  readonly files?: readonly string[];
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

/** An image folder's rows (a fixed shuffle in its cache) back in file-name order, so ids follow the sorted files. */
function inFileOrder(
  split: ImageSplit,
  files: readonly string[],
  d: number,
): { split: ImageSplit; files: readonly string[] } {
  const order = files.map((_, i) => i).sort((a, b) => (files[a]! < files[b]! ? -1 : files[a]! > files[b]! ? 1 : 0));
  const images = new Uint8Array(split.images.length);
  const labels = new Uint8Array(split.count);
  order.forEach((row, i) => {
    images.set(split.images.subarray(row * d, (row + 1) * d), i * d);
    labels[i] = split.labels[row]!;
  });
  return { split: { images, labels, count: split.count }, files: order.map((row) => files[row]!) };
}

async function splitsOf(
  d: ImageDataset,
  split: CorpusSplit,
  inputSize: number,
): Promise<{ parts: ImageSplit[]; files?: readonly string[] }> {
  if (split === 'test' && !d.test)
    throw new RangeError(
      `split: expected train or all for dataset ${d.name} (${d.source} has no test split), got test`,
    );
  const parts: ImageSplit[] = [];
  let files: readonly string[] | undefined;
  if (split !== 'test') {
    let train = await readRows(d.train, inputSize, 0, d.train.count);
    if (d.files) ({ split: train, files } = inFileOrder(train, d.files, inputSize));
    parts.push(train);
  }
  if (split !== 'train' && d.test) parts.push(d.test);
  const onlyTrain = split === 'train' || !d.test;
  return { parts, ...(files && onlyTrain ? { files } : {}) };
}

/**
 * Loads a corpus from any dataset of `@vae/data`'s registry: MNIST, Fashion-MNIST, IDX files
 * (labels read from the `labels-idx1` file beside the images when there is one), a folder of PNG
 * and JPEG images (decoded to the model's shape through the pixel cache, ids in file-name order;
 * class subfolders give labels), or a generated set. Ids are positions in the chosen split, so they
 * are stable across runs of the same input.
 */
export async function loadCorpus(o: CorpusOptions): Promise<Corpus> {
  const info = datasetInfo(o.dataset);
  const dataset = o.dataset;
  const split = oneOf(o.split ?? 'all', CORPUS_SPLITS, 'split');
  if (o.limit !== undefined && (!Number.isInteger(o.limit) || o.limit < 1))
    throw new RangeError(`limit: expected an integer ≥ 1, got ${String(o.limit)}`);
  if (info.data === 'required' && !o.data)
    throw new RangeError(`data: expected a path for dataset ${dataset} (--data; ${info.description}), got none`);
  const shape = o.imageShape;
  const d = await loadDataset(dataset, {
    dataDir: o.data ?? null,
    ...(shape && info.resizable ? { imageSize: [shape[0]!, shape[1]!] as const, channels: shape[2] as 1 | 3 } : {}),
    ...(shape && info.channels === 'data' && !info.resizable
      ? { expectShape: [shape[0]!, shape[1]!, shape[2]!] as const }
      : {}),
    ...(o.maxBytes === undefined ? {} : { maxBytes: o.maxBytes }),
    ...(o.cacheDir === undefined ? {} : { cacheDir: o.cacheDir }),
  });
  const [h, w, c] = d.imageShape;
  const inputSize = h * w * c;
  const { parts, files } = await splitsOf(d, split, inputSize);
  const { pixels, labels } = concat(parts);
  if (d.classNames === null) labels.fill(-1);
  const all = labels.length;
  const count = o.limit === undefined ? all : Math.min(o.limit, all);
  return {
    imageShape: d.imageShape,
    inputSize,
    source: d.source,
    name: `${dataset}/${split}`,
    dataset,
    split,
    count,
    // Shared memory: the worker thread that hashes and converts chunks reads it without a copy.
    pixels: sharedBytes(pixels.subarray(0, count * inputSize)),
    labels: labels.subarray(0, count),
    ...(files ? { files: files.slice(0, count) } : {}),
  };
}

/** Throws a RangeError unless the corpus's images are the model's input (checked before any table is touched). */
export function assertCorpusFits(model: VaeModel, corpus: Corpus): void {
  if (corpus.inputSize !== model.inputSize)
    throw new RangeError(
      `dataset: expected images of ${sizeText(...model.manifest.imageShape)} for ${model.manifest.name}, got ${sizeText(...corpus.imageShape)} from ${corpus.name}`,
    );
}
