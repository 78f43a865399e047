import type { DeviceRequest } from '@vae/core';
import type { WorkerMessage, WorkerOp, WorkerOps, WorkerRequest } from './worker-protocol.js';

/** A worker reply: the result, the run time inside the worker and the time spent waiting before it. */
export interface Reply<T> {
  readonly result: T;
  readonly runMs: number;
  /** From the call to the worker starting it, plus message transfer (total − run). */
  readonly queueMs: number;
}

/** What a superseded call resolves to: a later call on its channel replaced it before it started. */
export const SUPERSEDED = Symbol('superseded');

interface Waiting {
  readonly send: () => void;
  readonly drop: () => void;
}

/**
 * Runs the demo's model operations in a dedicated worker. Calls on one `channel` (a slider, the
 * seed, the drawing pad) never overlap: while one runs, only the latest new call waits, and any call
 * it replaces resolves to {@link SUPERSEDED} without running.
 */
export class WorkerClient {
  private nextId = 1;
  private readonly calls = new Map<number, { resolve: (m: WorkerMessage) => void }>();
  private readonly busy = new Set<string>();
  private readonly waiting = new Map<string, Waiting>();
  /** Calls sent to the worker per operation, and calls superseded before they were sent. */
  readonly counts = { sent: {} as Partial<Record<WorkerOp, number>>, superseded: 0 };

  constructor(
    private readonly worker: Worker,
    private readonly base: string,
    private readonly onProgress: (path: string, loaded: number, total: number) => void,
  ) {
    worker.addEventListener('message', (e: MessageEvent<WorkerMessage>) => {
      const m = e.data;
      if (m.kind === 'progress') return this.onProgress(m.path, m.loaded, m.total);
      const call = this.calls.get(m.id);
      this.calls.delete(m.id);
      call?.resolve(m);
    });
  }

  /** Runs `op` now, or after the running call of `channel` (replacing any call waiting there). */
  call<K extends WorkerOp>(
    op: K,
    device: DeviceRequest,
    args: WorkerOps[K]['args'],
    channel?: string,
  ): Promise<Reply<WorkerOps[K]['result']> | typeof SUPERSEDED> {
    const t0 = performance.now();
    return new Promise((resolve, reject) => {
      const send = (): void => {
        const id = this.nextId++;
        this.counts.sent[op] = (this.counts.sent[op] ?? 0) + 1;
        if (channel) this.busy.add(channel);
        this.calls.set(id, {
          resolve: (m) => {
            if (channel) this.release(channel);
            if (m.kind === 'error') reject(new Error(m.message));
            else if (m.kind === 'result') {
              const total = performance.now() - t0;
              resolve({
                result: m.result as WorkerOps[K]['result'],
                runMs: m.runMs,
                queueMs: Math.max(0, total - m.runMs),
              });
            }
          },
        });
        const request: WorkerRequest<K> & { base: string } = { id, op, device, args, base: this.base };
        this.worker.postMessage(request);
      };
      if (!channel || !this.busy.has(channel)) return send();
      this.waiting.get(channel)?.drop();
      this.waiting.set(channel, {
        send,
        drop: () => {
          this.counts.superseded++;
          resolve(SUPERSEDED);
        },
      });
    });
  }

  private release(channel: string): void {
    this.busy.delete(channel);
    const next = this.waiting.get(channel);
    this.waiting.delete(channel);
    next?.send();
  }
}
