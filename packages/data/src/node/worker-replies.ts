import { parentPort } from 'node:worker_threads';

/** A worker's reply to a request it could not serve: the error's class name and message. */
export interface WorkerFailure {
  readonly id: number;
  readonly ok: false;
  readonly name: string;
  readonly message: string;
}

/**
 * Worker side of `WorkerRequests`: answers each message, in order, with `{ id, ok: true, ...reply }`
 * from `handle`, or a {@link WorkerFailure} when it throws; a message `handle` returns nothing for
 * gets no reply.
 */
export function answerRequests<M extends object>(
  name: string,
  handle: (m: M) => Promise<object | undefined> | object | undefined,
): void {
  const port = parentPort;
  if (!port) throw new Error(`${name}: expected to run in a worker thread`);
  let queue: Promise<void> = Promise.resolve();
  port.on('message', (m: M) => {
    const id = 'id' in m && typeof m.id === 'number' ? m.id : -1;
    queue = queue.then(async () => {
      try {
        const reply = await handle(m);
        if (reply !== undefined) port.postMessage({ ...reply, id, ok: true });
      } catch (err) {
        const e = err instanceof Error ? err : new Error(String(err));
        port.postMessage({ id, ok: false, name: e.name, message: e.message } satisfies WorkerFailure);
      }
    });
  });
}
