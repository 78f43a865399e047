import type { TrainMessage, TrainOp, TrainOps, TrainRequest } from './train-protocol.js';

/** Calls the training worker; step, epoch and download messages go to `onEvent`. */
export class TrainClient {
  private nextId = 1;
  private readonly calls = new Map<number, { resolve: (v: unknown) => void; reject: (e: Error) => void }>();

  constructor(
    private readonly worker: Worker,
    private readonly base: string,
    private readonly onEvent: (m: Exclude<TrainMessage, { kind: 'result' | 'error' }>) => void,
  ) {
    worker.addEventListener('message', (e: MessageEvent<TrainMessage>) => {
      const m = e.data;
      if (m.kind !== 'result' && m.kind !== 'error') return this.onEvent(m);
      const call = this.calls.get(m.id);
      this.calls.delete(m.id);
      if (m.kind === 'error') call?.reject(new Error(m.message));
      else call?.resolve(m.result);
    });
  }

  /** Runs `op` in the worker. */
  call<K extends TrainOp>(op: K, args: TrainOps[K]['args']): Promise<TrainOps[K]['result']> {
    const id = this.nextId++;
    const request: TrainRequest<K> = { id, op, args, base: this.base };
    return new Promise((resolve, reject) => {
      this.calls.set(id, { resolve: resolve as (v: unknown) => void, reject });
      this.worker.postMessage(request);
    });
  }
}
