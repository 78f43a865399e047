import type { Rng } from '@vae/core';
import { BlockShuffler, isStoredSplit, type ImageSplit, type TrainSplit } from '@vae/data';

/** Rows of one batch: an in-memory split and the row indices into it. */
export interface BatchRows {
  readonly split: ImageSplit;
  readonly indices: Uint32Array;
}

/** The order a training split is visited in, epoch by epoch. */
export interface EpochRows {
  readonly count: number;
  /** Draws the next epoch's order from `rng`. */
  start(rng: Rng): void;
  /** The rows at positions `[start, end)` of the epoch's order. */
  rows(start: number, end: number): BatchRows | Promise<BatchRows>;
}

/**
 * The epoch order of `train`: a permutation of all rows for a split in memory (one
 * `rng.permutation(count)` per epoch, as always), or shuffled blocks for a split on disk
 * (`BlockShuffler` of `@vae/data`: memory bounded by two buffers of `bufferBytes`).
 */
export function epochRows(train: TrainSplit, o: { bufferBytes?: number } = {}): EpochRows {
  if (isStoredSplit(train)) {
    const shuffler = new BlockShuffler(train, o);
    return {
      count: train.count,
      start: (rng) => void shuffler.epochPlan(rng),
      rows: async (start, end) => {
        const split = await shuffler.rows(start, end);
        return { split, indices: Uint32Array.from({ length: split.count }, (_, i) => i) };
      },
    };
  }
  let perm: Uint32Array = new Uint32Array(0);
  return {
    count: train.count,
    start: (rng) => {
      perm = rng.permutation(train.count);
    },
    rows: (start, end) => ({ split: train, indices: perm.subarray(start, end) }),
  };
}
