import { HttpError } from './http-error.js';

/** Options of {@link WorkQueue}. */
export interface WorkQueueOptions {
  /** Jobs running at once. */
  readonly maxConcurrent: number;
  /** Jobs waiting for a slot; more are rejected with 503. */
  readonly maxQueued: number;
  /** Longest time from submission to the end of a job (waiting: 503, running: 504). */
  readonly timeoutMs: number;
}

/** Handed to a running job: its deadline and a check to call between steps. */
export interface WorkContext {
  /** `Date.now()` value after which the job is stopped. */
  readonly deadline: number;
  /** Throws a 504 {@link HttpError} once the deadline has passed. */
  check(): void;
}

interface Waiting {
  readonly start: () => void;
  readonly timer: ReturnType<typeof setTimeout>;
}

/**
 * A bounded queue for expensive requests (the evaluation routes): at most `maxConcurrent` jobs run,
 * `maxQueued` wait, and each has a deadline: a job still waiting at its deadline gets 503, a running
 * one is stopped with 504 at its next {@link WorkContext.check}.
 */
export class WorkQueue {
  private running = 0;
  private readonly waiting: Waiting[] = [];
  private idleWaiters: (() => void)[] = [];

  constructor(private readonly o: WorkQueueOptions) {
    for (const key of ['maxConcurrent', 'timeoutMs'] as const) {
      if (!Number.isInteger(o[key]) || o[key] < 1)
        throw new RangeError(`${key}: expected a positive integer, got ${String(o[key])}`);
    }
    if (!Number.isInteger(o.maxQueued) || o.maxQueued < 0)
      throw new RangeError(`maxQueued: expected an integer ≥ 0, got ${String(o.maxQueued)}`);
  }

  /** Jobs running or waiting. */
  get depth(): number {
    return this.running + this.waiting.length;
  }

  /** Runs `job` when a slot is free; rejects with 503 when the queue is full or the wait times out. */
  run<T>(job: (ctx: WorkContext) => Promise<T>): Promise<T> {
    if (this.depth >= this.o.maxConcurrent + this.o.maxQueued) {
      return Promise.reject(
        new HttpError(
          503,
          `evaluation queue full: expected at most ${this.o.maxConcurrent} running and ${this.o.maxQueued} queued, got one more; retry later`,
          { 'retry-after': '1' },
        ),
      );
    }
    const submitted = Date.now();
    const deadline = submitted + this.o.timeoutMs;
    const ctx: WorkContext = {
      deadline,
      check: () => {
        const now = Date.now();
        if (now > deadline) {
          throw new HttpError(
            504,
            `request: expected to finish within ${this.o.timeoutMs} ms, got stopped after ${now - submitted} ms; ask for fewer rows or samples`,
          );
        }
      },
    };
    return new Promise<T>((resolve, reject) => {
      const start = (): void => {
        this.running++;
        job(ctx)
          .then(resolve, reject)
          .finally(() => {
            this.running--;
            this.next();
          });
      };
      if (this.running < this.o.maxConcurrent) return start();
      const waiting: Waiting = {
        start,
        timer: setTimeout(() => {
          this.waiting.splice(this.waiting.indexOf(waiting), 1);
          reject(
            new HttpError(
              503,
              `evaluation queue: expected a free slot within ${this.o.timeoutMs} ms, got none; retry later`,
              { 'retry-after': '1' },
            ),
          );
          this.next();
        }, this.o.timeoutMs),
      };
      this.waiting.push(waiting);
    });
  }

  /** Resolves once nothing runs or waits. */
  drain(): Promise<void> {
    if (this.depth === 0) return Promise.resolve();
    return new Promise((resolve) => this.idleWaiters.push(resolve));
  }

  private next(): void {
    const w = this.running < this.o.maxConcurrent ? this.waiting.shift() : undefined;
    if (w) {
      clearTimeout(w.timer);
      w.start();
    }
    if (this.depth === 0) {
      const waiters = this.idleWaiters;
      this.idleWaiters = [];
      for (const f of waiters) f();
    }
  }
}
