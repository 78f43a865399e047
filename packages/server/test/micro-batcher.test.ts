import { describe, expect, it } from 'vitest';
import { HttpError, MicroBatcher } from '../src/index.js';

/** A batcher over plain numbers whose `run` records each batch and doubles the inputs. */
function doubling(o: {
  enabled?: boolean;
  maxBatchSize: number;
  maxQueueDelayMs: number;
  maxQueueSize?: number;
  rows?: (n: number[]) => number;
}) {
  const batches: number[][][] = [];
  const batcher = new MicroBatcher<number[], number[]>({
    enabled: o.enabled ?? true,
    maxBatchSize: o.maxBatchSize,
    maxQueueDelayMs: o.maxQueueDelayMs,
    maxQueueSize: o.maxQueueSize ?? 100,
    rows: o.rows ?? ((input) => input.length),
    run: async (inputs) => {
      batches.push(inputs.map((i) => [...i]));
      return inputs.map((i) => i.map((v) => 2 * v));
    },
  });
  return { batcher, batches };
}

describe('MicroBatcher', () => {
  it('flushes when maxBatchSize rows are queued and returns each caller its own rows', async () => {
    const { batcher, batches } = doubling({ maxBatchSize: 4, maxQueueDelayMs: 600_000 });
    const results = await Promise.all([[1], [2, 3], [4], [5, 6, 7, 8]].map((i) => batcher.submit(i)));
    expect(results).toEqual([[2], [4, 6], [8], [10, 12, 14, 16]]);
    expect(batches).toEqual([[[1], [2, 3], [4]], [[5, 6, 7, 8]]]);
  });

  it('never splits a request; one larger than maxBatchSize runs alone', async () => {
    const { batcher, batches } = doubling({ maxBatchSize: 2, maxQueueDelayMs: 600_000 });
    const results = await Promise.all(
      [
        [1, 2, 3],
        [4, 5],
      ].map((i) => batcher.submit(i)),
    );
    expect(results).toEqual([
      [2, 4, 6],
      [8, 10],
    ]);
    expect(batches.map((b) => b.length)).toEqual([1, 1]);
  });

  it('runs a partial batch after the queue delay', async () => {
    const { batcher, batches } = doubling({ maxBatchSize: 100, maxQueueDelayMs: 1 });
    expect(await Promise.all([batcher.submit([1]), batcher.submit([2])])).toEqual([[2], [4]]);
    expect(batches.flat().length).toBe(2);
  });

  it('runs every request on its own when disabled', async () => {
    const { batcher, batches } = doubling({ enabled: false, maxBatchSize: 100, maxQueueDelayMs: 600_000 });
    expect(await Promise.all([[1], [2], [3]].map((i) => batcher.submit(i)))).toEqual([[2], [4], [6]]);
    expect(batches).toEqual([[[1]], [[2]], [[3]]]);
  });

  it('rejects with 503 beyond maxQueueSize, and drain runs queued work without waiting for the delay', async () => {
    const { batcher } = doubling({ maxBatchSize: 100, maxQueueDelayMs: 600_000, maxQueueSize: 2 });
    const queued = [batcher.submit([1]), batcher.submit([2])];
    expect(batcher.depth).toBe(2);
    const err = await batcher.submit([3]).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(HttpError);
    expect((err as HttpError).statusCode).toBe(503);
    await batcher.drain();
    expect(await Promise.all(queued)).toEqual([[2], [4]]);
    expect(batcher.depth).toBe(0);
  });

  it('rejects every request of a batch that fails for all of them, each after a run of its own', async () => {
    const runs: number[][] = [];
    const batcher = new MicroBatcher<number, number>({
      enabled: true,
      maxBatchSize: 2,
      maxQueueDelayMs: 600_000,
      maxQueueSize: 10,
      rows: () => 1,
      run: async (inputs) => {
        runs.push([...inputs]);
        throw new Error('run failed');
      },
    });
    const results = await Promise.allSettled([batcher.submit(1), batcher.submit(2)]);
    expect(results.map((r) => r.status)).toEqual(['rejected', 'rejected']);
    expect(runs).toEqual([[1, 2], [1], [2]]);
  });

  it('isolates a poisoned request: a failed merged run is re-run one request at a time, so only it fails, with its own index', async () => {
    const batcher = new MicroBatcher<number[], number[]>({
      enabled: true,
      maxBatchSize: 100,
      maxQueueDelayMs: 600_000,
      maxQueueSize: 100,
      rows: (i) => i.length,
      run: async (inputs) => {
        const merged = inputs.flat();
        const bad = merged.findIndex((v) => !Number.isFinite(v));
        if (bad >= 0) throw new RangeError(`x: expected finite values, got ${merged[bad]} at flat index ${bad}`);
        let at = 0;
        return inputs.map((i) => {
          const row = merged.slice(at, at + i.length).map((v) => v + 1);
          at += i.length;
          return row;
        });
      },
    });
    const inputs = Array.from({ length: 10 }, (_, i) => [i, i, i]);
    inputs[6] = [0, 0, Number.POSITIVE_INFINITY];
    const pending = inputs.map((i) => batcher.submit(i));
    await batcher.drain();
    const results = await Promise.allSettled(pending);
    results.forEach((r, i) => {
      if (i === 6)
        expect(r).toEqual({
          status: 'rejected',
          reason: new RangeError('x: expected finite values, got Infinity at flat index 2'),
        });
      else expect(r).toEqual({ status: 'fulfilled', value: [i + 1, i + 1, i + 1] });
    });
  });

  it('validates its options', () => {
    const base = {
      enabled: true,
      maxBatchSize: 1,
      maxQueueDelayMs: 0,
      maxQueueSize: 1,
      rows: () => 1,
      run: async () => [],
    };
    expect(() => new MicroBatcher({ ...base, maxBatchSize: 0 })).toThrow(
      /maxBatchSize: expected a positive integer, got 0/,
    );
    expect(() => new MicroBatcher({ ...base, maxQueueDelayMs: -1 })).toThrow(
      /maxQueueDelayMs: expected a finite number ≥ 0, got -1/,
    );
  });
});
