import type { Rng } from '@vae/core';
import type { FactorLabels, ImageSplit } from './image-split.js';

/**
 * Rows of a split kept on disk (an image folder's pixel cache larger than the memory budget): the
 * labels are in memory, the pixels are read on demand, a block of rows at a time.
 */
export interface StoredSplit {
  readonly count: number;
  readonly labels: Uint8Array;
  /** Bytes per row (H·W·C). */
  readonly rowBytes: number;
  /** Rows per block: the unit the shuffled reader loads. */
  readonly blockRows: number;
  /** Rows `[start, end)` as `(end − start) × rowBytes` bytes. */
  read(start: number, end: number): Promise<Uint8Array>;
}

/** A training split: in memory, or on disk ({@link StoredSplit}). */
export type TrainSplit = ImageSplit | StoredSplit;

/** Whether a split is on disk rather than in memory. */
export function isStoredSplit(split: TrainSplit): split is StoredSplit {
  return !('images' in split);
}

/** `split` when its rows are in memory; a RangeError when they are on disk (read them with `readRows`). */
export function inMemory(split: TrainSplit): ImageSplit {
  if (isStoredSplit(split))
    throw new RangeError(
      `split: expected rows in memory, got ${split.count} rows on disk (more than the memory budget; read them with readRows)`,
    );
  return split;
}

/**
 * An image dataset, pixels kept as bytes (converted to float per batch). `T` is the training
 * split's kind: generated and IDX datasets are always in memory (`ImageDataset<ImageSplit>`).
 */
export interface ImageDataset<T extends TrainSplit = TrainSplit> {
  readonly name: string;
  readonly imageShape: readonly [number, number, number];
  /** Number of classes (1 when the data has no labels: every label is 0). */
  readonly numClasses: number;
  /** Class names in label order, e.g. the subfolder names of an image folder; null when unlabelled; absent: labelled, named by index. */
  readonly classNames?: readonly string[] | null;
  readonly train: T;
  /** The dataset's own test split; null when it has none (training carves its validation from `train`). */
  readonly test: ImageSplit | null;
  /** Where the files were read from. */
  readonly source: string;
  /** File of each training row (image folders: relative paths in row order), when the rows come from files. */
  readonly files?: readonly string[];
}

/** Options every loader receives; each loader uses the ones that apply to it. */
export interface DatasetLoadOptions {
  /** Where to read from instead of the dataset's default (`--data`): a directory or a file. */
  readonly dataDir: string | null;
  /** Image folders: resize the short side to this and centre-crop (`--image-size`); a pair is `[height, width]`. */
  readonly imageSize?: number | readonly [number, number] | null;
  /** Image folders and IDX: convert to this many channels (default: what the data has). */
  readonly channels?: 1 | 3 | null;
  /** Image folders: the pixel cache directory (default: see `defaultCacheDir` in `@vae/data/node`). */
  readonly cacheDir?: string | null;
  /** Image folders: pixel bytes above which the training split stays on disk (default 1 GiB). */
  readonly memoryBytes?: number;
  /** IDX: the image shape `[H, W, C]` the files must have, checked against their headers before decoding. */
  readonly expectShape?: readonly [number, number, number];
  /** IDX: most bytes of image data decoded (default 1 GiB). */
  readonly maxBytes?: number;
}

/** Loads a dataset; nothing is downloaded at run time. */
export type DatasetLoader = (options: DatasetLoadOptions) => Promise<ImageDataset>;

/**
 * Ground-truth factors a dataset is generated from, for disentanglement metrics: factor rows are
 * sampled uniformly per factor and rendered to images of `imageShape`.
 */
export interface FactorSet extends Pick<FactorLabels, 'names' | 'sizes'> {
  readonly imageShape: readonly [number, number, number];
  /** `count` factor rows `[count, names.length]`, each factor uniform and independent. */
  sample(count: number, rng: Rng): Uint8Array;
  /** Images `[count, H·W·C]` (bytes) of `count` factor rows. */
  render(factors: Uint8Array, count: number): Uint8Array;
  /** The class label of a factor row (the dataset's label factor). */
  labelOf(factors: Uint8Array, row: number): number;
}

/** What a dataset offers, known before it is loaded (the CLI and the evaluators ask this, not a name list). */
export interface DatasetCapabilities {
  /** Class labels: always, never, or when the data has them (image folders with class subfolders). */
  readonly hasLabels: boolean | 'data';
  /** Channels of its images, or `data` when the files decide (or `--channels`). */
  readonly channels: 1 | 3 | 'data';
  /** A test split of its own: always, never, or when the files are there (`t10k-*` IDX files). */
  readonly hasTestSplit: boolean | 'data';
  /** What `--data` means for it: required, optional (instead of a default location), or unused. */
  readonly data: 'required' | 'optional' | 'none';
  /** Whether `--image-size`/`--channels` apply (decoded image files). */
  readonly resizable: boolean;
  /** Ground-truth factors (generated sets), for disentanglement metrics. */
  readonly factors?: FactorSet;
}

/** A registered dataset. */
export interface DatasetInfo extends DatasetCapabilities {
  readonly name: string;
  readonly description: string;
}
