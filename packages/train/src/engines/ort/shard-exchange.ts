import { listParameters, listTrainableParameters, modelKindInfo, type ModelSpec } from '@vae/core';
import { ARENA_ALIGN, type AdamArena, type ArenaRange } from './adam-arena.js';

/** How long a shard waits for the others at a barrier before it gives up (a shard failed or exited). */
const BARRIER_TIMEOUT_MS = 60_000;
/** Bytes of the barrier's control words (count, generation), padded to a cache line. */
const CONTROL_BYTES = 64;
const COUNT = 0;
const GENERATION = 1;

/** What a data-parallel shard of the ort engine is told at init: its index and the shared memory. */
export interface OrtShard {
  /** This shard's index, `0 ≤ index < count`. */
  readonly index: number;
  /** Shards in all (worker threads, each running the step graph on its rows of every batch). */
  readonly count: number;
  /** The exchange's memory, from {@link ShardExchange.allocate}. */
  readonly buffer: SharedArrayBuffer;
}

/**
 * Why a step of `spec` on a batch split into parts would not be the step on the whole batch, or
 * null when it is (up to float rounding): batch-norm statistics, or a kind whose objective couples
 * the batch's examples.
 */
export function splitBlocker(spec: ModelSpec): string | null {
  if (listParameters(spec).length !== listTrainableParameters(spec).length)
    return 'the model has buffers (batch-norm statistics of a part are not those of the batch)';
  if (modelKindInfo(spec.kind).batchCoupled) return `kind ${spec.kind} couples the examples of a batch`;
  return null;
}

/**
 * The ranges of an arena of `size` floats that `count` shards update: contiguous, nearly equal,
 * each starting on the Adam kernel's vector boundary.
 */
export function shardRanges(size: number, count: number): ArenaRange[] {
  const per = Math.ceil(size / count / ARENA_ALIGN) * ARENA_ALIGN;
  return Array.from({ length: count }, (_, i) => ({
    from: Math.min(size, i * per),
    to: Math.min(size, (i + 1) * per),
  }));
}

/**
 * The shared memory and step protocol of a data-parallel ort engine: every shard runs the step graph
 * on its rows of the batch, into its own arena (onnxruntime-node does not take SharedArrayBuffer-backed
 * tensors; the arena needs a scratch region); then, per step, each shard
 * 1. publishes its gradient outside its own range (its slot of the shared gradients),
 * 2. waits at a barrier, reduces its range, g = Σⱼ (nⱼ/n)·gⱼ (each graph's loss is a mean over its
 *    own rows, so the batch-mean gradient is the row-weighted mean), and applies Adam to its range,
 * 3. publishes its range of the parameters, waits at a barrier, and adopts the others' ranges.
 * Each shard keeps Adam moments only for its own range; every shard ends a step with the same
 * parameters.
 */
export class ShardExchange {
  /** The arena floats this shard reduces and updates. */
  readonly range: ArenaRange;
  private readonly ranges: ArenaRange[];
  private readonly control: Int32Array;
  /** Each shard's published gradient, `count` slots of `size` floats. */
  private readonly slots: Float32Array[];
  private readonly params: Float32Array;

  /** Attaches shard `shard.index` to the exchange for arenas of `size` floats. */
  constructor(
    private readonly shard: OrtShard,
    size: number,
  ) {
    const need = ShardExchange.bytes(size, shard.count);
    if (shard.buffer.byteLength !== need)
      throw new RangeError(`shard.buffer: expected ${need} bytes for ${size} floats, got ${shard.buffer.byteLength}`);
    this.ranges = shardRanges(size, shard.count);
    this.range = this.ranges[shard.index]!;
    this.control = new Int32Array(shard.buffer, 0, 2);
    const at = (i: number) => new Float32Array(shard.buffer, CONTROL_BYTES + 4 * size * i, size);
    this.slots = Array.from({ length: shard.count }, (_, i) => at(i));
    this.params = at(shard.count);
  }

  /** Bytes of the shared memory for `count` shards of arenas of `size` floats. */
  static bytes(size: number, count: number): number {
    return CONTROL_BYTES + 4 * size * (count + 1);
  }

  /** The shared memory for `count` shards of arenas of `size` floats. */
  static allocate(size: number, count: number): SharedArrayBuffer {
    return new SharedArrayBuffer(ShardExchange.bytes(size, count));
  }

  /**
   * One step's exchange and Adam update, around `adam(range)` (which updates this shard's range of
   * `arena` from its gradients). `rows` are the rows of every shard's part of the batch.
   */
  step(arena: AdamArena, rows: readonly number[], adam: (range: ArenaRange) => void): void {
    const mine = this.shard.index;
    this.ranges.forEach((r, j) => {
      if (j !== mine) this.slots[mine]!.set(arena.grads.subarray(r.from, r.to), r.from);
    });
    this.barrier();
    this.reduce(arena, rows);
    adam(this.range);
    this.params.set(arena.values.subarray(this.range.from, this.range.to), this.range.from);
    this.barrier();
    this.ranges.forEach((r, j) => {
      if (j !== mine) arena.values.set(this.params.subarray(r.from, r.to), r.from);
    });
  }

  /** This shard's range of the gradients becomes the row-weighted mean of every shard's gradient. */
  private reduce(arena: AdamArena, rows: readonly number[]): void {
    const total = rows.reduce((a, b) => a + b, 0);
    const { from, to } = this.range;
    let own = rows[this.shard.index]! / total;
    if (own === 0) {
      arena.grads.fill(0, from, to);
      own = 1;
    }
    rows.forEach((n, j) => {
      if (j === this.shard.index || n === 0) return;
      arena.scratch.set(this.slots[j]!.subarray(from, to), from);
      arena.mixGrads(this.range, own, n / total);
      own = 1;
    });
  }

  /** Waits until every shard has arrived (a generation barrier on the control words). */
  private barrier(): void {
    const c = this.control;
    const generation = Atomics.load(c, GENERATION);
    if (Atomics.add(c, COUNT, 1) === this.shard.count - 1) {
      Atomics.store(c, COUNT, 0);
      Atomics.add(c, GENERATION, 1);
      Atomics.notify(c, GENERATION);
      return;
    }
    const until = Date.now() + BARRIER_TIMEOUT_MS;
    while (Atomics.load(c, GENERATION) === generation) {
      if (Atomics.wait(c, GENERATION, generation, Math.max(0, until - Date.now())) === 'timed-out')
        throw new Error(
          `ort engine: data-parallel shard ${this.shard.index} waited ${BARRIER_TIMEOUT_MS / 1000} s for the other shards (one failed or exited)`,
        );
    }
  }
}
