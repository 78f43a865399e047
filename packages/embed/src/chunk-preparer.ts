import type { Chunk } from './chunk.js';
import type { EmbedTableMeta, RowsTemplate } from './table-rows.js';
import { WorkerRequests, type WorkerFailure } from '@vae/data/node';

/** What the worker is started with: the corpus pixels in shared memory. */
export interface PrepareWorkerData {
  readonly pixels: Uint8Array;
  readonly inputSize: number;
}

/**
 * A request to `prepare-worker.ts`: prepare chunk `index`, items `[start, start + count)` (with
 * their rows in `rowsMeta`'s table layout when given), or take back a spent input buffer.
 */
export type PrepareRequest =
  | {
      readonly id: number;
      readonly index: number;
      readonly start: number;
      readonly count: number;
      readonly labels?: Int32Array;
      readonly rowsMeta?: EmbedTableMeta;
      readonly recycle?: undefined;
    }
  | { readonly recycle: Float32Array };

/** The worker's answer: item and chunk hashes and model input, or the failure. */
export type PrepareResponse =
  | {
      readonly id: number;
      readonly ok: true;
      readonly hash: string;
      readonly itemHashes: string[];
      readonly input: Float32Array;
      readonly rows?: RowsTemplate;
    }
  | WorkerFailure;

/** A chunk with its model input (`count × D` floats), ready for `embedChunk`. */
export interface PreparedChunk {
  readonly chunk: Chunk;
  readonly input: Float32Array;
  /** Its rows with zeros for the vectors, when a table layout was given (see `rowsTemplate`). */
  readonly rows?: RowsTemplate;
}

/** `bytes` in a SharedArrayBuffer (the same view when it already is one). */
export function sharedBytes(bytes: Uint8Array): Uint8Array {
  if (bytes.buffer instanceof SharedArrayBuffer) return bytes;
  const shared = new Uint8Array(new SharedArrayBuffer(bytes.byteLength));
  shared.set(bytes);
  return shared;
}

/**
 * Hashes chunks and converts their pixels to model input on a worker thread, so that this work runs
 * on another core while onnxruntime (whose `run` is synchronous on the main thread) encodes. The
 * worker reads the corpus from shared memory; input buffers go back to it with {@link recycle}.
 */
export class ChunkPreparer {
  private readonly worker: WorkerRequests<Extract<PrepareRequest, { readonly start: number }>, PrepareResponse>;

  /** Starts the worker on `pixels` (`N × inputSize` bytes; copied once into shared memory unless shared already). */
  constructor(
    private readonly pixels: Uint8Array,
    private readonly inputSize: number,
  ) {
    const data: PrepareWorkerData = { pixels: sharedBytes(pixels), inputSize };
    this.worker = new WorkerRequests(import.meta.url, 'prepare-worker', data);
  }

  /**
   * Chunk `index`: items `[start, start + labels.length)` of the corpus, hashed, with its model
   * input, and with its rows template in `rowsMeta`'s table layout when given.
   */
  async prepare(index: number, start: number, labels: Int32Array, rowsMeta?: EmbedTableMeta): Promise<PreparedChunk> {
    const count = labels.length;
    const items = this.pixels.length / this.inputSize;
    if (!Number.isInteger(start) || start < 0 || start + count > items)
      throw new RangeError(
        `labels: expected items [${start}, ${start + count}) within the ${items} items of the corpus, got ${count} labels from ${start}`,
      );
    // A copy of the chunk's labels: posting the view would clone the whole corpus's label buffer.
    const reply = await this.worker.request(
      rowsMeta ? { index, start, count, labels: labels.slice(), rowsMeta } : { index, start, count },
    );
    const d = this.inputSize;
    const chunk: Chunk = {
      index,
      start,
      count,
      pixels: this.pixels.subarray(start * d, (start + count) * d),
      labels,
      hash: reply.hash,
      itemHashes: reply.itemHashes,
    };
    return reply.rows ? { chunk, input: reply.input, rows: reply.rows } : { chunk, input: reply.input };
  }

  /** Gives a spent input buffer (shared memory) back to the worker for reuse; the caller must not use it after. */
  recycle(input: Float32Array): void {
    this.worker.post({ recycle: input } satisfies PrepareRequest);
  }

  /** Stops the worker thread. */
  close(): Promise<void> {
    return this.worker.close();
  }
}
