import { getLogger, type VaeModel } from '@vae/core';
import { faultPoint } from '@vae/data/node';
import {
  chunkKey,
  completeEmbedded,
  embedChunk,
  makeChunk,
  type Chunk,
  type EmbeddedChunk,
  type EmbeddingSink,
} from './chunk.js';
import { ChunkPreparer, type PreparedChunk } from './chunk-preparer.js';
import { assertCorpusFits, type Corpus } from './corpus.js';

const log = getLogger('embed:corpus');

/** Default items per chunk (the unit of resumption and of queue jobs). */
export const DEFAULT_CHUNK_SIZE = 8192;
/** Chunks hashed and converted ahead of the encoder. */
const LOOKAHEAD = 2;
/** Default encoder batch size. */
export const DEFAULT_EMBED_BATCH = 256;

/** Progress of {@link embedCorpus}: items done (stored now or before) of the total. */
export interface EmbedProgress {
  readonly done: number;
  readonly total: number;
  /** Items skipped because their chunk was already stored. */
  readonly skipped: number;
}

/** Options of {@link embedCorpus}. */
export interface EmbedCorpusOptions {
  readonly chunkSize?: number;
  readonly batchSize?: number;
  /** Store log σ² too (variational models). */
  readonly logvar?: boolean;
  /** A started preparer on this corpus's pixels (default: one started and closed by this call). */
  readonly preparer?: ChunkPreparer;
  /** Called after each chunk (stored or skipped). */
  readonly onProgress?: (p: EmbedProgress) => void;
}

/** What {@link embedCorpus} did. */
export interface EmbedCorpusResult {
  readonly chunks: number;
  readonly written: number;
  readonly skipped: number;
  readonly items: number;
}

/** Items `[index·size, …)` of a corpus (views, not copies). */
function chunkSlice(
  corpus: Corpus,
  index: number,
  size: number,
): { start: number; pixels: Uint8Array; labels: Int32Array } {
  const start = index * size;
  const end = Math.min(start + size, corpus.count);
  const d = corpus.inputSize;
  return { start, pixels: corpus.pixels.subarray(start * d, end * d), labels: corpus.labels.subarray(start, end) };
}

/** Chunk `index` of a corpus (items `[index·size, …)`), hashed on this thread. */
export function corpusChunk(corpus: Corpus, index: number, size: number): Chunk {
  const s = chunkSlice(corpus, index, size);
  return makeChunk(index, s.start, s.pixels, s.labels, corpus.inputSize);
}

/**
 * Chunk 0 when nothing is stored yet (so nothing can be skipped): encoded from its bytes, converted
 * batch by batch on this thread, while the preparer hashes it and builds its rows, instead of after
 * (the encoder used to wait ~20 ms per run for that); its vectors are then copied into the rows.
 */
async function embedFirstChunk(
  model: VaeModel,
  corpus: Corpus,
  size: number,
  prepared: Promise<PreparedChunk>,
  options: { batchSize: number; logvar: boolean },
): Promise<{ embedded: EmbeddedChunk; input: Float32Array }> {
  const s = chunkSlice(corpus, 0, size);
  // Its hashes are not known yet: filled in from the prepared chunk below.
  const items: Chunk = {
    index: 0,
    start: s.start,
    count: s.labels.length,
    pixels: s.pixels,
    labels: s.labels,
    hash: '',
    itemHashes: [],
  };
  const e = await embedChunk(model, items, options);
  const { chunk, input, rows } = await prepared;
  return { embedded: completeEmbedded(e, chunk, rows), input };
}

function checkPositive(value: number, name: string): number {
  if (!Number.isInteger(value) || value < 1)
    throw new RangeError(`${name}: expected an integer ≥ 1, got ${String(value)}`);
  return value;
}

/**
 * Embeds a corpus into a sink chunk by chunk, skipping chunks whose key is already stored (a
 * resumed run). Chunks are hashed and converted on a worker thread ahead of the encoder (with their
 * Arrow rows when the sink takes them: {@link EmbeddingSink.rowsMeta}), and a chunk is encoded while
 * the previous one is being written.
 */
export async function embedCorpus(
  model: VaeModel,
  corpus: Corpus,
  sink: EmbeddingSink,
  o: EmbedCorpusOptions = {},
): Promise<EmbedCorpusResult> {
  const size = checkPositive(o.chunkSize ?? DEFAULT_CHUNK_SIZE, 'chunkSize');
  const batchSize = checkPositive(o.batchSize ?? DEFAULT_EMBED_BATCH, 'batchSize');
  assertCorpusFits(model, corpus);
  const stored = await sink.storedKeys();
  const chunks = Math.ceil(corpus.count / size);
  const preparer = o.preparer ?? new ChunkPreparer(corpus.pixels, corpus.inputSize);
  const prepare = (i: number): Promise<PreparedChunk> => {
    const s = chunkSlice(corpus, i, size);
    const p = preparer.prepare(i, s.start, s.labels, sink.rowsMeta);
    p.catch(() => undefined); // awaited in order below; this only keeps an early failure from counting as unhandled
    return p;
  };
  let done = 0;
  let skipped = 0;
  let written = 0;
  let writing: Promise<void> = Promise.resolve();
  const ahead: Promise<PreparedChunk>[] = [];
  try {
    for (let i = 0; i < Math.min(LOOKAHEAD, chunks); i++) ahead.push(prepare(i));
    const logvar = o.logvar ?? false;
    for (let i = 0; i < chunks; i++) {
      const next = ahead.shift()!;
      if (i + LOOKAHEAD < chunks) ahead.push(prepare(i + LOOKAHEAD));
      let embedded: EmbeddedChunk;
      if (i === 0 && stored.size === 0) {
        const first = await embedFirstChunk(model, corpus, size, next, { batchSize, logvar });
        embedded = first.embedded;
        preparer.recycle(first.input);
      } else {
        const { chunk, input, rows } = await next;
        if (stored.has(chunkKey(chunk))) {
          preparer.recycle(input);
          skipped += chunk.count;
          done += chunk.count;
          o.onProgress?.({ done, total: corpus.count, skipped });
          continue;
        }
        embedded = await embedChunk(model, chunk, { batchSize, logvar, input, ...(rows ? { rows } : {}) });
        preparer.recycle(input);
      }
      const count = embedded.count;
      await writing;
      writing = sink.write(embedded).then(() => {
        written += 1;
        done += count;
        faultPoint('embed:chunk-written');
        o.onProgress?.({ done, total: corpus.count, skipped });
      });
      // Awaited before the next write; this handler only keeps a failure from counting as unhandled meanwhile.
      writing.catch(() => undefined);
    }
    await writing;
  } finally {
    if (!o.preparer) await preparer.close();
  }
  log.info(`${corpus.name}: ${written} chunks written, ${skipped} items already stored, ${corpus.count} items`);
  return { chunks, written, skipped, items: corpus.count };
}
