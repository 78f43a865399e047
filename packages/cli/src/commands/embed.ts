import type { Argv, CommandModule } from 'yargs';
import { quietLanceDbLog } from '../lancedb-log.js';
import type { VaeModel } from '@vae/core';
import type { Corpus, CorpusSplit, EmbedProgress, EmbedToTableResult, IndexChoice, ParquetExport } from '@vae/embed';
import { choice, progressAndJsonOptions, startProgressBars } from '../progress.js';
import { dataOptions, type DataArgs } from './data-options.js';
import { embedOnQueue } from './embed-queue.js';
import { type QueueConnectionArgs, queueConnectionOptions } from './queue-options.js';
import { importOptional } from '../optional-package.js';

interface EmbedArgs extends QueueConnectionArgs, DataArgs {
  model: string;
  dataset: string;
  split?: CorpusSplit;
  out: string;
  limit?: number;
  'chunk-size': number;
  'batch-size': number;
  logvar: boolean;
  overwrite: boolean;
  index: IndexChoice;
  parquet?: string;
  threads?: number;
  'max-data-mb': number;
  progress?: boolean;
  json: boolean;
}

/** The splits and index choices (kept here so `vae --help` does not load @vae/embed; datasets come from @vae/data). */
const SPLITS: readonly CorpusSplit[] = ['train', 'test', 'all'];
const INDEXES: readonly IndexChoice[] = ['none', 'auto', 'ivf-pq', 'ivf-hnsw-sq'];

function positive(option: string): (v: unknown) => number | undefined {
  return (v: unknown) => {
    if (v === undefined) return undefined;
    const n = Number(v);
    if (!Number.isInteger(n) || n < 1)
      throw new RangeError(`--${option}: expected an integer ≥ 1, got ${JSON.stringify(v)}`);
    return n;
  };
}

/** A progress bar with items/s driven by `embedCorpus`'s callback. */
async function embedBar(): Promise<{ onProgress: (p: EmbedProgress) => void; stop: () => void }> {
  const { multi, stop } = await startProgressBars(
    'embed [{bar}] {value}/{total} items | {rate} items/s | ETA {eta_formatted}',
  );
  const t0 = performance.now();
  let bar: ReturnType<typeof multi.create> | null = null;
  let first = 0;
  return {
    onProgress(p) {
      if (!bar) {
        bar = multi.create(p.total, 0, { rate: '--' });
        first = p.skipped;
      }
      const seconds = (performance.now() - t0) / 1000;
      bar.update(p.done, { rate: seconds > 0 ? Math.round((p.done - Math.min(first, p.skipped)) / seconds) : '--' });
    },
    stop,
  };
}

/** Loads the corpus the data flags name, shaped as the model's images; releases the model when that fails. */
async function loadCorpusOrRelease(
  loadCorpus: typeof import('@vae/embed').loadCorpus,
  model: VaeModel,
  args: EmbedArgs,
): Promise<Corpus> {
  try {
    return await loadCorpus({
      dataset: args.dataset,
      imageShape: model.manifest.imageShape,
      maxBytes: args['max-data-mb'] * 2 ** 20,
      ...(args.split === undefined ? {} : { split: args.split }),
      ...(args.data === undefined ? {} : { data: args.data }),
      ...(args.limit === undefined ? {} : { limit: args.limit }),
      ...(args['cache-dir'] === undefined ? {} : { cacheDir: args['cache-dir'] }),
    });
  } catch (err) {
    await model.release();
    throw err;
  }
}

/** Embeds the corpus into the table, here or (`--queue`) through `vae worker` processes; then releases the model. */
async function embedIntoTable(
  embedToTable: typeof import('@vae/embed').embedToTable,
  model: VaeModel,
  corpus: Corpus,
  args: EmbedArgs,
): Promise<{ result: EmbedToTableResult; seconds: number }> {
  const showBar = args.progress ?? process.stderr.isTTY === true;
  const bar = showBar ? await embedBar() : null;
  const t0 = performance.now();
  let result: EmbedToTableResult;
  try {
    const tableOptions = {
      modelDir: args.model,
      out: args.out,
      chunkSize: args['chunk-size'],
      batchSize: args['batch-size'],
      logvar: args.logvar,
      overwrite: args.overwrite,
      index: args.index,
      ...(bar ? { onProgress: bar.onProgress } : {}),
    };
    // --queue: `vae worker` processes embed the chunks through Redis (embed-queue.ts).
    result = args.queue
      ? await embedOnQueue(model, corpus, tableOptions, { ...args, queue: args.queue })
      : await embedToTable(model, corpus, tableOptions);
  } finally {
    bar?.stop();
    await model.release();
  }
  return { result, seconds: (performance.now() - t0) / 1000 };
}

/** Prints what was embedded: as JSON with `--json`, else a summary line (and the Parquet file's). */
function writeEmbedResult(
  json: boolean,
  r: {
    result: EmbedToTableResult;
    corpus: string;
    model: string;
    seconds: number;
    parquet: ParquetExport | null;
  },
): void {
  const { result, seconds, parquet } = r;
  if (json) {
    process.stdout.write(`${JSON.stringify({ ...result, corpus: r.corpus, seconds, parquet }, null, 2)}\n`);
    return;
  }
  process.stdout.write(
    `Embedded ${r.corpus} (${result.items} items, ${result.skipped} already stored) with ${r.model} in ${seconds.toFixed(1)} s → ${result.table} (${result.rows} rows, index ${result.index})\n`,
  );
  if (parquet) process.stdout.write(`  Parquet: ${parquet.path} (${parquet.rows} rows)\n`);
}

/** `vae embed`: a corpus through a model's encoder into a LanceDB table (resumable), optionally exported to Parquet. */
export const embedCommand: CommandModule<object, EmbedArgs> = {
  command: 'embed',
  describe: 'Embed a corpus (μ per image, with id, label and content hash) into a LanceDB table; resumable',
  builder: (y: Argv) =>
    progressAndJsonOptions(
      dataOptions(queueConnectionOptions(y, false), {
        imageOptions: false,
        cacheOption: true,
        datasetRequired: true,
        datasetNote:
          "images: --data FOLDER of PNG/JPEG, decoded to the model's shape (resize + centre crop, its channels)",
      }) // --queue and its connection options (queue-options.ts)
        .option('model', { type: 'string', demandOption: true, describe: 'exported model directory' })
        .option('split', {
          type: 'string',
          coerce: choice('split', SPLITS),
          describe: 'train|test|all (default all: train then test; idx and images are one split)',
        })
        .option('out', { type: 'string', demandOption: true, describe: 'table path DIR/NAME[.lance] (LanceDB)' })
        .option('limit', { type: 'number', coerce: positive('limit'), describe: 'embed only the first N items' })
        .option('chunk-size', {
          type: 'number',
          default: 8192,
          coerce: positive('chunk-size'),
          describe: 'items per chunk (unit of resumption)',
        })
        .option('batch-size', {
          type: 'number',
          default: 256,
          coerce: positive('batch-size'),
          describe: 'encoder batch size',
        })
        .option('logvar', { type: 'boolean', default: false, describe: 'store log σ² too (variational models)' })
        .option('overwrite', { type: 'boolean', default: false, describe: 'start a new table instead of resuming one' })
        .option('index', {
          type: 'string',
          default: 'auto',
          coerce: choice('index', INDEXES),
          describe: 'ANN index built at the end: none|auto|ivf-pq|ivf-hnsw-sq (auto: ivf-pq from 10,000 rows)',
        })
        .option('parquet', { type: 'string', describe: 'also export the table to this Parquet file' })
        .option('threads', {
          type: 'number',
          coerce: positive('threads'),
          describe: 'encoder intra-op threads (default 1)',
        })
        .option('max-data-mb', {
          type: 'number',
          default: 1024,
          coerce: positive('max-data-mb'),
          describe: 'largest IDX image data decoded, in MiB (checked against the file header before decoding)',
        }),
    ) as unknown as Argv<EmbedArgs>,
  handler: async (args) => {
    quietLanceDbLog();
    const [{ loadCorpus, embedToTable, exportParquet }, { loadModel }] = await Promise.all([
      importOptional('@vae/embed', 'vae embed', () => import('@vae/embed')),
      import('@vae/runtime-node'),
    ]);
    // The model first: its image shape is checked against each file's header before decoding.
    const model = await loadModel(args.model, { device: 'cpu', threads: args.threads ?? 1 });
    const corpus = await loadCorpusOrRelease(loadCorpus, model, args);
    const { result, seconds } = await embedIntoTable(embedToTable, model, corpus, args);
    const parquet = args.parquet ? await exportParquet(args.out, args.parquet) : null;
    writeEmbedResult(args.json, { result, corpus: corpus.name, model: model.manifest.name, seconds, parquet });
  },
};
