import { resolve } from 'node:path';
import type { VaeModel } from '@vae/core';
import type { EmbeddingSink } from './chunk.js';
import { assertCorpusFits, type Corpus } from './corpus.js';
import { DEFAULT_CHUNK_SIZE, embedCorpus, type EmbedCorpusOptions, type EmbedCorpusResult } from './embed-corpus.js';
import type { IndexChoice } from './search.js';
import type { EmbedTableMeta } from './store.js';
import { TableWriter } from './table-writer.js';

/** Options of {@link embedToTable}. */
export interface EmbedToTableOptions extends EmbedCorpusOptions {
  /** The model's directory (recorded in the table for `vae search --image`). */
  readonly modelDir: string;
  /** Table path `DIR/NAME[.lance]`. */
  readonly out: string;
  /** Start a new table even when one exists (default: resume it). */
  readonly overwrite?: boolean;
  /** ANN index built at the end (default `auto`). */
  readonly index?: IndexChoice;
}

/** What {@link embedToTable} did. */
export interface EmbedToTableResult extends EmbedCorpusResult {
  readonly table: string;
  readonly rows: number;
  readonly index: IndexChoice;
}

/** The table metadata for a model and corpus. */
export function tableMeta(model: VaeModel, modelDir: string, corpus: Corpus, o: EmbedCorpusOptions): EmbedTableMeta {
  return {
    model: model.manifest.name,
    paramsSha256: model.manifest.provenance.paramsSha256 ?? '',
    encoderSha256: model.manifest.graphs.encoder.sha256,
    precision: model.manifest.precision,
    modelDir: resolve(modelDir),
    dim: model.latentDim,
    imageShape: [...model.manifest.imageShape],
    dataset: corpus.dataset,
    split: corpus.split,
    source: corpus.source,
    chunkSize: o.chunkSize ?? DEFAULT_CHUNK_SIZE,
    logvar: (o.logvar ?? false) && model.variational,
  };
}

/**
 * Opens the LanceDB table at `o.out` for `model` and `corpus` (resuming it when it exists and was
 * written by the same encoder from the same corpus) under the table's writer lease
 * ({@link TableWriter}: chunks may bring their Arrow rows built ahead), lets `embed` fill it,
 * builds the index (keeping the existing one when nothing was written) and closes the table: what
 * the local and the queued paths share. A corpus that does not fit the model is refused before the
 * table is touched, and a table this run created is removed again when the run fails before
 * writing anything.
 */
export async function fillTable<R extends { readonly written: number }>(
  model: VaeModel,
  corpus: Corpus,
  o: EmbedToTableOptions,
  embed: (sink: EmbeddingSink, meta: EmbedTableMeta) => Promise<R>,
): Promise<R & { table: string; rows: number; index: IndexChoice }> {
  assertCorpusFits(model, corpus);
  const meta = tableMeta(model, o.modelDir, corpus, o);
  const writer = await TableWriter.open(o.out, meta, { overwrite: o.overwrite ?? false });
  let result: R;
  let built: { index: IndexChoice; rows: number };
  try {
    result = await embed(writer, meta);
    built = await writer.buildIndex(o.index ?? 'auto', result.written === 0);
  } catch (err) {
    await writer.close({ dropIfEmpty: true }).catch(() => undefined);
    throw err;
  }
  await writer.close();
  return { ...result, table: resolve(o.out), ...built };
}

/** Embeds a corpus into the LanceDB table at `out` in this process (see {@link fillTable}). */
export function embedToTable(model: VaeModel, corpus: Corpus, o: EmbedToTableOptions): Promise<EmbedToTableResult> {
  return fillTable(model, corpus, o, (sink, meta) => embedCorpus(model, corpus, sink, { ...o, logvar: meta.logvar }));
}
