/**
 * Serializes asynchronous tasks: each task starts after every task enqueued before it has settled,
 * in call order. A failing task rejects its own promise only; later tasks still run.
 */
export class RunQueue {
  private tail: Promise<unknown> = Promise.resolve();
  private pending = 0;

  /** Number of tasks enqueued and not yet settled. */
  get size(): number {
    return this.pending;
  }

  /** Runs `task` after all earlier tasks; resolves or rejects with its result. */
  enqueue<T>(task: () => Promise<T>): Promise<T> {
    this.pending++;
    const result = this.tail.then(task);
    const settled = result.then(
      () => undefined,
      () => undefined,
    );
    this.tail = settled.then(() => {
      this.pending--;
    });
    return result;
  }

  /** Resolves once every task enqueued so far has settled. */
  async drain(): Promise<void> {
    await this.tail;
  }
}
