import { getLogger } from '@vae/core';
import { HttpError } from './http-error.js';

const log = getLogger('server');

/** Options of {@link MicroBatcher} (Triton's dynamic-batching knobs). */
export interface MicroBatcherOptions<I, O> {
  /** Batch requests together; when false every request runs on its own, immediately. */
  readonly enabled: boolean;
  /** Largest batch in rows; a single larger request runs alone. */
  readonly maxBatchSize: number;
  /** Longest time the first queued request waits for others before its batch runs. */
  readonly maxQueueDelayMs: number;
  /** Most requests waiting or running; more are rejected with 503. */
  readonly maxQueueSize: number;
  /** Rows of one request. */
  readonly rows: (input: I) => number;
  /** Runs a batch; resolves to one output per input, in order. */
  readonly run: (inputs: readonly I[]) => Promise<O[]>;
  /** Called with the rows and requests of every batch run (for metrics). */
  readonly onBatch?: (rows: number, requests: number) => void;
}

interface Pending<I, O> {
  readonly input: I;
  readonly rows: number;
  readonly enqueuedAt: number;
  readonly resolve: (o: O) => void;
  readonly reject: (e: unknown) => void;
}

/**
 * Dynamic micro-batching across concurrent requests: requests queue until `maxBatchSize` rows are
 * waiting or the oldest has waited `maxQueueDelayMs`, then run as one batch; one batch runs at a
 * time and requests arriving meanwhile form the next. The queue is bounded (503 when full). When a
 * merged run fails, its requests are re-run alone, so one bad request never fails its neighbours.
 */
export class MicroBatcher<I, O> {
  private readonly queue: Pending<I, O>[] = [];
  private queuedRows = 0;
  private running = false;
  private inFlight = 0;
  private timer: ReturnType<typeof setTimeout> | undefined;
  private idleWaiters: (() => void)[] = [];
  private draining = false;

  constructor(private readonly o: MicroBatcherOptions<I, O>) {
    for (const key of ['maxBatchSize', 'maxQueueSize'] as const) {
      if (!Number.isInteger(o[key]) || o[key] < 1)
        throw new RangeError(`${key}: expected a positive integer, got ${String(o[key])}`);
    }
    if (!(typeof o.maxQueueDelayMs === 'number' && o.maxQueueDelayMs >= 0 && Number.isFinite(o.maxQueueDelayMs))) {
      throw new RangeError(`maxQueueDelayMs: expected a finite number ≥ 0, got ${String(o.maxQueueDelayMs)}`);
    }
  }

  /** Requests waiting or running. */
  get depth(): number {
    return this.queue.length + this.inFlight;
  }

  /** Queues `input`; resolves with its own rows of the batch result. Rejects with 503 when full. */
  submit(input: I): Promise<O> {
    if (this.depth >= this.o.maxQueueSize) {
      return Promise.reject(
        new HttpError(
          503,
          `queue full: expected at most ${this.o.maxQueueSize} queued requests, got one more; retry later`,
          { 'retry-after': '1' },
        ),
      );
    }
    return new Promise<O>((resolve, reject) => {
      const pending: Pending<I, O> = { input, rows: this.o.rows(input), enqueuedAt: Date.now(), resolve, reject };
      if (!this.o.enabled) {
        this.execute([pending]);
        return;
      }
      this.queue.push(pending);
      this.queuedRows += pending.rows;
      this.schedule();
    });
  }

  /**
   * Runs everything queued without waiting for the delay (graceful shutdown) and resolves once
   * nothing is queued or running. Later submissions also run without delay.
   */
  drain(): Promise<void> {
    this.draining = true;
    this.schedule();
    if (this.depth === 0) return Promise.resolve();
    return new Promise((resolve) => this.idleWaiters.push(resolve));
  }

  private schedule(): void {
    if (this.running || this.queue.length === 0) return;
    const waited = Date.now() - this.queue[0]!.enqueuedAt;
    if (this.draining || this.queuedRows >= this.o.maxBatchSize || waited >= this.o.maxQueueDelayMs) {
      this.flush();
      return;
    }
    if (this.timer === undefined) {
      this.timer = setTimeout(() => {
        this.timer = undefined;
        this.schedule();
      }, this.o.maxQueueDelayMs - waited);
    }
  }

  private flush(): void {
    if (this.timer !== undefined) {
      clearTimeout(this.timer);
      this.timer = undefined;
    }
    const batch: Pending<I, O>[] = [];
    let rows = 0;
    while (this.queue.length > 0) {
      const next = this.queue[0]!;
      if (batch.length > 0 && rows + next.rows > this.o.maxBatchSize) break;
      batch.push(this.queue.shift()!);
      rows += next.rows;
    }
    this.queuedRows -= rows;
    this.running = true;
    this.execute(batch).finally(() => {
      this.running = false;
      this.schedule();
    });
  }

  /**
   * A merged run failed: re-runs each request of the batch alone, so only the request that causes
   * the failure gets an error, and that error speaks of its own rows (not of the merged batch).
   */
  private async isolate(batch: readonly Pending<I, O>[], err: unknown): Promise<void> {
    log.warn(
      `a batch of ${batch.length} requests failed (${err instanceof Error ? err.message : String(err)}); re-running them one by one`,
    );
    for (const p of batch) {
      this.o.onBatch?.(p.rows, 1);
      try {
        const [output] = await this.o.run([p.input]);
        if (output === undefined) throw new Error('batch: expected 1 result, got 0');
        p.resolve(output);
      } catch (e) {
        p.reject(e);
      }
    }
  }

  private async execute(batch: Pending<I, O>[]): Promise<void> {
    this.inFlight += batch.length;
    this.o.onBatch?.(
      batch.reduce((n, p) => n + p.rows, 0),
      batch.length,
    );
    try {
      const outputs = await this.o.run(batch.map((p) => p.input));
      if (outputs.length !== batch.length)
        throw new Error(`batch: expected ${batch.length} results, got ${outputs.length}`);
      batch.forEach((p, i) => p.resolve(outputs[i]!));
    } catch (err) {
      if (batch.length === 1) batch[0]!.reject(err);
      else await this.isolate(batch, err);
    } finally {
      this.inFlight -= batch.length;
      if (this.depth === 0) {
        const waiters = this.idleWaiters;
        this.idleWaiters = [];
        for (const w of waiters) w();
      }
    }
  }
}
