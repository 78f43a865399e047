import { setFlagsFromString } from 'node:v8';
import { Worker } from 'node:worker_threads';
import { workerStart } from '@vae/data/node';
import { detachFlag } from './output-copies.js';
import type { OrtWorkerMethod, OrtWorkerMethods, OrtWorkerRequest, OrtWorkerResponse } from './ort-protocol.js';

/**
 * Initial old-generation limit (MiB) of the engine worker's heap. onnxruntime-node returns every
 * fetched output in a fresh ArrayBuffer (the gradients: 2.6 MB per step for the 784-400-20 VAE), and
 * with V8's default limit the worker's heap ran a mark-compact every ~12 steps (~110 in a 2-epoch
 * `vae train`); from 512 MiB, none (the young generation still frees those buffers: the process's
 * peak RSS grew 455 → 474 MB). Epochs of the per-step loop: 1.94–2.15 s against 2.34–2.78 s
 * (medians of 3, alternating processes, docs/BENCHMARKS.md "Training pipeline").
 */
const WORKER_INITIAL_OLD_SPACE_MB = 512;

/** Engine workers started whose isolate may not exist yet (they hold the worker flags set). */
let startingWorkers = 0;

/**
 * The V8 flags a worker about to start needs: the heap flag above and, on Node 20, the one that gives
 * its isolate `ArrayBuffer.prototype.transfer` (to free onnxruntime's output copies at once,
 * `output-copies.ts`). Each is paired with the value that puts it back.
 */
function workerFlags(): readonly (readonly [set: string, reset: string])[] {
  const flags: [string, string][] = [
    [`--initial-old-space-size=${WORKER_INITIAL_OLD_SPACE_MB}`, '--initial-old-space-size=0'],
  ];
  const detach = detachFlag();
  if (detach) flags.push([detach, detach.replace(/^--/, '--no-')]);
  return flags;
}

/** {@link workerFlags}, computed once: what is set is what is put back. */
const WORKER_FLAGS = workerFlags();

/**
 * Sets the worker flags for a worker about to start and returns the function that releases them
 * (once): V8 reads them when the worker's isolate is created, on its own thread, so they are put back
 * (the heap flag to V8's default, 0: computed) only when every worker started meanwhile is online or
 * failed, and workers the host process starts later keep their own defaults.
 */
function holdWorkerFlags(): () => void {
  if (startingWorkers++ === 0) for (const [set] of WORKER_FLAGS) setFlagsFromString(set);
  let held = true;
  return () => {
    if (!held) return;
    held = false;
    if (--startingWorkers === 0) for (const [, reset] of WORKER_FLAGS) setFlagsFromString(reset);
  };
}

/** A client of the ort engine's worker thread (`ort-worker.ts`): requests answered by id, in order. */
export class WorkerClient {
  private readonly worker: Worker;
  private readonly pending = new Map<number, { resolve: (v: unknown) => void; reject: (e: Error) => void }>();
  private nextId = 1;
  private failure: Error | null = null;

  /** Starts the worker thread (`ort-worker.ts`) with the worker flags above. */
  constructor() {
    const start = workerStart(import.meta.url, 'ort-worker');
    const releaseFlags = holdWorkerFlags();
    try {
      this.worker = new Worker(start.source, { eval: start.eval });
    } catch (err) {
      releaseFlags();
      throw err;
    }
    this.worker.once('online', releaseFlags);
    // Keep the process alive only while a call is in flight, so a forgotten dispose() cannot hang it.
    this.worker.unref();
    this.worker.on('message', (msg: OrtWorkerResponse) => {
      const p = this.pending.get(msg.id);
      if (!p) return;
      this.pending.delete(msg.id);
      if (this.pending.size === 0) this.worker.unref();
      if (msg.ok) p.resolve(msg.result);
      else p.reject(Object.assign(new Error(msg.error.message), { name: msg.error.name }));
    });
    const fail = (err: Error) => {
      this.failure = err;
      for (const p of this.pending.values()) p.reject(err);
      this.pending.clear();
    };
    // A worker that fails to start never comes online: its hold on the flag ends then too.
    this.worker.on('error', (err) => {
      releaseFlags();
      fail(err);
    });
    this.worker.on('exit', (code) => {
      releaseFlags();
      fail(new Error(`ort engine: the worker thread exited (code ${code})`));
    });
  }

  /** Sends `method` with `args` (the buffers in `transfer` move to the worker) and resolves with its result. */
  call<M extends OrtWorkerMethod>(
    method: M,
    args: OrtWorkerMethods[M]['args'],
    transfer: ArrayBuffer[] = [],
  ): Promise<OrtWorkerMethods[M]['result']> {
    if (this.failure) return Promise.reject(this.failure);
    const id = this.nextId++;
    const req: OrtWorkerRequest = { id, method, args };
    return new Promise((resolve, reject) => {
      if (this.pending.size === 0) this.worker.ref();
      this.pending.set(id, { resolve: resolve as (v: unknown) => void, reject });
      this.worker.postMessage(req, transfer);
    });
  }

  /** Stops the worker; pending and later calls are rejected. */
  terminate(): void {
    this.failure ??= new Error('ort engine: disposed');
    void this.worker.terminate();
  }
}
