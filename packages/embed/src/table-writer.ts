import { Worker } from 'node:worker_threads';
import { workerStart } from '@vae/train';
import type { EmbeddedChunk, EmbeddingSink } from './chunk.js';
import type { EmbedTableMeta } from './store.js';

/** A request to `table-write-worker.ts`. */
export type TableWriteRequest =
  | {
      readonly id: number;
      readonly op: 'open';
      readonly path: string;
      readonly meta: EmbedTableMeta;
      readonly overwrite: boolean;
    }
  | { readonly id: number; readonly op: 'write'; readonly chunk: EmbeddedChunk }
  | { readonly id: number; readonly op: 'close' };

/** The worker's answer: done (with the stored keys after `open`), or the error. */
export type TableWriteResponse =
  | { readonly id: number; readonly ok: true; readonly keys?: readonly string[] }
  | { readonly id: number; readonly ok: false; readonly name: string; readonly message: string };

/**
 * An {@link EmbeddingTable} written from a worker thread: building a chunk's Arrow rows and
 * LanceDB's JavaScript side of each commit run there, off the thread that runs the encoder
 * (onnxruntime-node's `run` is synchronous on its caller's thread). Same checks, same commits, same
 * errors as the table itself; `write` resolves once the chunk is committed.
 */
export class TableWriter implements EmbeddingSink {
  private readonly pending = new Map<
    number,
    { resolve: (r: TableWriteResponse) => void; reject: (e: Error) => void }
  >();
  private nextId = 1;
  private closed = false;
  private keys: ReadonlySet<string> = new Set();

  private constructor(private readonly worker: Worker) {
    worker.on('message', (r: TableWriteResponse) => {
      const p = this.pending.get(r.id);
      this.pending.delete(r.id);
      p?.resolve(r);
    });
    const fail = (err: Error) => {
      for (const p of this.pending.values()) p.reject(err);
      this.pending.clear();
    };
    worker.on('error', fail);
    worker.on('exit', (code) => {
      if (!this.closed) fail(new Error(`table writer: the worker thread exited (code ${code})`));
    });
  }

  /** Opens (creates, resumes or overwrites) the table at `path` on a new worker thread; see `EmbeddingTable.open`. */
  static async open(path: string, meta: EmbedTableMeta, options: { overwrite?: boolean } = {}): Promise<TableWriter> {
    const start = workerStart(import.meta.url, 'table-write-worker');
    const writer = new TableWriter(new Worker(start.source, { eval: start.eval }));
    try {
      const r = await writer.request({ id: 0, op: 'open', path, meta, overwrite: options.overwrite ?? false });
      writer.keys = new Set(r.keys ?? []);
      return writer;
    } catch (err) {
      await writer.close().catch(() => undefined);
      throw err;
    }
  }

  private async request(m: TableWriteRequest): Promise<TableWriteResponse & { ok: true }> {
    const id = this.nextId++;
    const reply = await new Promise<TableWriteResponse>((resolve, reject) => {
      this.pending.set(id, { resolve, reject });
      this.worker.postMessage({ ...m, id });
    });
    if (!reply.ok) {
      const err = reply.name === 'RangeError' ? new RangeError(reply.message) : new Error(reply.message);
      throw err;
    }
    return reply;
  }

  /** Keys of the chunks stored when the table was opened. */
  async storedKeys(): Promise<ReadonlySet<string>> {
    return new Set(this.keys);
  }

  /** Appends a chunk's rows in one commit on the worker (a no-op when its key is stored). */
  async write(chunk: EmbeddedChunk): Promise<void> {
    await this.request({ id: 0, op: 'write', chunk });
  }

  /** Closes the table and stops the worker thread. */
  async close(): Promise<void> {
    if (this.closed) return;
    try {
      if (this.pending.size === 0) await this.request({ id: 0, op: 'close' });
    } finally {
      this.closed = true;
      await this.worker.terminate();
    }
  }
}
