import type { Rng } from '@vae/core';
import { isStoredSplit, type StoredSplit, type TrainSplit } from './dataset.js';
import { sliceSplit, type ImageSplit } from './image-split.js';

/** Rows `[start, end)` of a stored split, as a stored split (reads shifted, labels a view). */
export function sliceStored(split: StoredSplit, start: number, end: number): StoredSplit {
  if (!Number.isInteger(start) || !Number.isInteger(end) || start < 0 || end > split.count || end < start)
    throw new RangeError(`rows: expected 0 ≤ start ≤ end ≤ ${split.count}, got [${start}, ${end})`);
  return {
    count: end - start,
    labels: split.labels.subarray(start, end),
    rowBytes: split.rowBytes,
    blockRows: split.blockRows,
    read: (a, b) => split.read(start + a, start + b),
  };
}

/** Rows `[start, end)` of any split, in memory. */
export async function readRows(split: TrainSplit, pixels: number, start: number, end: number): Promise<ImageSplit> {
  if (!isStoredSplit(split)) return sliceSplit(split, pixels, start, end);
  return { images: await split.read(start, end), labels: split.labels.subarray(start, end), count: end - start };
}

/**
 * Training and validation parts of a split: the validation set is its last `valSize` examples (read
 * into memory), the rest stays where it is (in memory, or on disk for a stored split).
 */
export async function holdOutValidation(
  split: TrainSplit,
  pixels: number,
  valSize: number,
): Promise<{ train: TrainSplit; val: ImageSplit }> {
  if (!Number.isInteger(valSize) || valSize < 1 || valSize >= split.count)
    throw new RangeError(`valSize: expected an integer in [1, ${split.count - 1}], got ${String(valSize)}`);
  const n = split.count - valSize;
  const val = await readRows(split, pixels, n, split.count);
  const train = isStoredSplit(split) ? sliceStored(split, 0, n) : sliceSplit(split, pixels, 0, n);
  return { train, val };
}

/** The first `count` rows of any split (all of it when `count` is null or not smaller). */
export function firstRows(split: TrainSplit, pixels: number, count: number | null): TrainSplit {
  if (count === null || count >= split.count) return split;
  if (!Number.isInteger(count) || count < 1)
    throw new RangeError(`count: expected an integer ≥ 1 or null, got ${String(count)}`);
  return isStoredSplit(split) ? sliceStored(split, 0, count) : sliceSplit(split, pixels, 0, count);
}

/** Options of {@link BlockShuffler}. */
export interface BlockShufflerOptions {
  /** Bytes of rows shuffled together (a group of blocks); two groups are in memory at once. Default 128 MiB. */
  readonly bufferBytes?: number;
}

/** One epoch's order over a stored split: row ids, grouped into buffers of whole blocks. */
export interface EpochPlan {
  /** Row ids in visiting order. */
  readonly order: Uint32Array;
  /** Blocks of each group, and where the group starts in `order`. */
  readonly groups: readonly { readonly blocks: readonly number[]; readonly start: number }[];
}

/** Default bytes shuffled together by {@link BlockShuffler}. */
export const SHUFFLE_BUFFER_BYTES = 128 * 2 ** 20;

/**
 * Reads a stored split in shuffled blocks, with bounded memory: each epoch visits the blocks in a
 * random order, in groups of `bufferBytes`, and the rows of a group in a random order. A group is
 * read while the previous one is used (one group ahead), so at most two are in memory. With rows
 * stored in a fixed shuffle (the image cache does), a group is a random sample of the data.
 */
export class BlockShuffler {
  private readonly blockCount: number;
  private readonly blocksPerGroup: number;
  private loaded = new Map<number, Promise<Map<number, Uint8Array>>>();
  private plan: EpochPlan | null = null;

  constructor(
    private readonly split: StoredSplit,
    o: BlockShufflerOptions = {},
  ) {
    const bytes = o.bufferBytes ?? SHUFFLE_BUFFER_BYTES;
    this.blockCount = Math.ceil(split.count / split.blockRows);
    this.blocksPerGroup = Math.max(1, Math.floor(bytes / (split.blockRows * split.rowBytes)));
  }

  /** Draws an epoch's order from `rng`: a permutation of the blocks, then one of the rows of each group. */
  epochPlan(rng: Rng): EpochPlan {
    const { split } = this;
    const blocks = rng.permutation(this.blockCount);
    const order = new Uint32Array(split.count);
    const groups: { blocks: number[]; start: number }[] = [];
    let at = 0;
    for (let g = 0; g < this.blockCount; g += this.blocksPerGroup) {
      const members = Array.from(blocks.subarray(g, g + this.blocksPerGroup));
      const rows: number[] = [];
      for (const b of members)
        for (let r = b * split.blockRows; r < Math.min(split.count, (b + 1) * split.blockRows); r++) rows.push(r);
      const perm = rng.permutation(rows.length);
      for (let i = 0; i < rows.length; i++) order[at + i] = rows[perm[i]!]!;
      groups.push({ blocks: members, start: at });
      at += rows.length;
    }
    this.loaded = new Map();
    this.plan = { order, groups };
    return this.plan;
  }

  private groupAt(position: number): number {
    const groups = this.plan!.groups;
    let lo = 0;
    let hi = groups.length - 1;
    while (lo < hi) {
      const mid = (lo + hi + 1) >> 1;
      if (groups[mid]!.start <= position) lo = mid;
      else hi = mid - 1;
    }
    return lo;
  }

  private load(g: number): Promise<Map<number, Uint8Array>> {
    let p = this.loaded.get(g);
    if (!p) {
      const { split } = this;
      const blocks = this.plan!.groups[g]!.blocks;
      // The blocks are read concurrently (in file order): a read's cost is mostly the first touch
      // of its fresh buffer, which the reader's threads share.
      const sorted = [...blocks].sort((x, y) => x - y);
      p = Promise.all(
        sorted.map((b) => split.read(b * split.blockRows, Math.min(split.count, (b + 1) * split.blockRows))),
      ).then((parts) => new Map(parts.map((bytes, k) => [sorted[k]!, bytes])));
      this.loaded.set(g, p);
    }
    return p;
  }

  /**
   * Rows at positions `[start, end)` of the current epoch's order as an in-memory split (in that
   * order), reading their group (and starting to read the next one) and dropping earlier groups.
   */
  async rows(start: number, end: number): Promise<ImageSplit> {
    const plan = this.plan;
    if (!plan) throw new Error('BlockShuffler.rows: expected epochPlan() to be called first');
    const { split } = this;
    const first = this.groupAt(start);
    const last = this.groupAt(end - 1);
    for (const g of [...this.loaded.keys()]) if (g < first) this.loaded.delete(g);
    const parts = new Map<number, Uint8Array>();
    for (let g = first; g <= last; g++) for (const [b, bytes] of await this.load(g)) parts.set(b, bytes);
    if (last + 1 < plan.groups.length) void this.load(last + 1).catch(() => undefined);
    const n = end - start;
    const images = new Uint8Array(n * split.rowBytes);
    const labels = new Uint8Array(n);
    for (let i = 0; i < n; i++) {
      const r = plan.order[start + i]!;
      const b = Math.floor(r / split.blockRows);
      const offset = (r - b * split.blockRows) * split.rowBytes;
      images.set(parts.get(b)!.subarray(offset, offset + split.rowBytes), i * split.rowBytes);
      labels[i] = split.labels[r]!;
    }
    return { images, labels, count: n };
  }
}
