import { describe, expect, it } from 'vitest';
import { RunQueue } from '../src/run-queue.js';

/** A promise plus its resolve/reject, to settle tasks in a chosen order. */
function deferred<T>(): { promise: Promise<T>; resolve: (v: T) => void; reject: (e: unknown) => void } {
  let resolve!: (v: T) => void;
  let reject!: (e: unknown) => void;
  const promise = new Promise<T>((res, rej) => {
    resolve = res;
    reject = rej;
  });
  return { promise, resolve, reject };
}

describe('RunQueue', () => {
  it('starts each task only after the previous one settled, in call order', async () => {
    const q = new RunQueue();
    const log: string[] = [];
    const gates = [deferred<number>(), deferred<number>(), deferred<number>()];
    const results = gates.map((g, i) =>
      q.enqueue(async () => {
        log.push(`start ${i}`);
        const v = await g.promise;
        log.push(`end ${i}`);
        return v;
      }),
    );
    await Promise.resolve();
    expect(q.size).toBe(3);
    gates[2]!.resolve(30);
    gates[1]!.resolve(20);
    await new Promise((r) => setTimeout(r, 0));
    expect(log).toEqual(['start 0']);
    gates[0]!.resolve(10);
    expect(await Promise.all(results)).toEqual([10, 20, 30]);
    expect(log).toEqual(['start 0', 'end 0', 'start 1', 'end 1', 'start 2', 'end 2']);
    await q.drain();
    expect(q.size).toBe(0);
  });

  it('rejects only the failing task; later tasks still run', async () => {
    const q = new RunQueue();
    const a = q.enqueue(async () => {
      throw new Error('boom');
    });
    const b = q.enqueue(async () => 'ok');
    await expect(a).rejects.toThrow('boom');
    await expect(b).resolves.toBe('ok');
  });
});
