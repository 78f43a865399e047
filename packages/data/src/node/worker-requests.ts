import { Worker } from 'node:worker_threads';
import { workerStart } from './worker-start.js';
import type { WorkerFailure } from './worker-replies.js';

/** `T` without its `id`, member by member for a union of requests. */
export type WithoutId<T> = T extends unknown ? Omit<T, 'id'> : never;

/**
 * Requests to a worker thread answered by `id` (the worker side is `answerRequests`): each
 * `request` resolves with the worker's reply carrying its id, and every pending request is
 * rejected when the worker fails or exits unasked.
 * The worker holds the process open only while a request is pending.
 */
export class WorkerRequests<
  Request extends { readonly id: number },
  Reply extends { readonly id: number; readonly ok: true } | WorkerFailure,
> {
  private readonly worker: Worker;
  private readonly pending = new Map<number, { resolve: (r: Reply) => void; reject: (e: Error) => void }>();
  private nextId = 1;
  private stopped = false;

  /** Starts `name` (a module beside `moduleUrl`, run through tsx from sources) with `workerData`. */
  constructor(
    moduleUrl: string,
    private readonly name: string,
    workerData?: unknown,
  ) {
    const start = workerStart(moduleUrl, name);
    this.worker = new Worker(start.source, { eval: start.eval, workerData });
    this.worker.unref();
    this.worker.on('message', (r: Reply) => {
      const p = this.pending.get(r.id);
      this.pending.delete(r.id);
      if (this.pending.size === 0) this.worker.unref();
      p?.resolve(r);
    });
    const fail = (err: Error) => {
      for (const p of this.pending.values()) p.reject(err);
      this.pending.clear();
    };
    this.worker.on('error', fail);
    this.worker.on('exit', (code) => {
      if (!this.stopped) fail(new Error(`${name}: the worker thread exited (code ${code})`));
    });
  }

  /** Whether {@link close} was called. */
  get closed(): boolean {
    return this.stopped;
  }

  /**
   * Sends `message` with a fresh id; resolves with the reply to it, or rejects with the worker's
   * error (a `RangeError` stays one, so callers can tell bad input from failures).
   */
  async request(message: WithoutId<Request>): Promise<Exclude<Reply, WorkerFailure>> {
    if (this.stopped) throw new Error(`${this.name}: the worker thread was closed`);
    const id = this.nextId++;
    const reply = await new Promise<Reply>((resolve, reject) => {
      this.pending.set(id, { resolve, reject });
      this.worker.ref();
      this.worker.postMessage({ ...message, id });
    });
    if (!reply.ok) throw reply.name === 'RangeError' ? new RangeError(reply.message) : new Error(reply.message);
    return reply as Exclude<Reply, WorkerFailure>;
  }

  /** Sends a message that gets no reply. */
  post(message: unknown): void {
    this.worker.postMessage(message);
  }

  /** Stops the worker thread. */
  async close(): Promise<void> {
    this.stopped = true;
    await this.worker.terminate();
  }
}
