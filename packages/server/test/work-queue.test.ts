import { describe, expect, it } from 'vitest';
import { HttpError, WorkQueue } from '../src/index.js';

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

describe('WorkQueue', () => {
  it('runs at most maxConcurrent jobs, queues maxQueued, rejects more with 503', async () => {
    const q = new WorkQueue({ maxConcurrent: 1, maxQueued: 1, timeoutMs: 10_000 });
    const order: string[] = [];
    let release!: () => void;
    const first = q.run(async () => {
      order.push('a start');
      await new Promise<void>((r) => (release = r));
      order.push('a end');
      return 'a';
    });
    const second = q.run(async () => {
      order.push('b start');
      return 'b';
    });
    expect(q.depth).toBe(2);
    await expect(q.run(async () => 'c')).rejects.toMatchObject({ statusCode: 503, headers: { 'retry-after': '1' } });
    release();
    expect(await Promise.all([first, second])).toEqual(['a', 'b']);
    expect(order).toEqual(['a start', 'a end', 'b start']);
    await q.drain();
    expect(q.depth).toBe(0);
  });

  it('answers 503 to a job still waiting at its deadline and 504 to a running one at its next check', async () => {
    const q = new WorkQueue({ maxConcurrent: 1, maxQueued: 1, timeoutMs: 50 });
    const running = q.run(async (ctx) => {
      for (;;) {
        ctx.check();
        await sleep(10);
      }
    });
    const waiting = q.run(async () => 'never');
    const [r, w] = await Promise.allSettled([running, waiting]);
    const runErr = (r as PromiseRejectedResult).reason as HttpError;
    const waitErr = (w as PromiseRejectedResult).reason as HttpError;
    expect(runErr.statusCode).toBe(504);
    expect(runErr.message).toMatch(/^request: expected to finish within 50 ms, got stopped after \d+ ms/);
    expect(waitErr.statusCode).toBe(503);
    expect(waitErr.message).toBe('evaluation queue: expected a free slot within 50 ms, got none; retry later');
    await q.drain();
  });

  it('validates its options', () => {
    expect(() => new WorkQueue({ maxConcurrent: 0, maxQueued: 1, timeoutMs: 1 })).toThrow(
      /maxConcurrent: expected a positive integer, got 0/,
    );
    expect(() => new WorkQueue({ maxConcurrent: 1, maxQueued: -1, timeoutMs: 1 })).toThrow(
      /maxQueued: expected an integer ≥ 0, got -1/,
    );
  });
});
