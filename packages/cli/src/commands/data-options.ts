import type { Argv } from 'yargs';
import { integerOption } from './integer-option.js';
import { datasetNames } from '@vae/data/node';

/** The data flags every command that reads a dataset shares (`--dataset`, `--data`, …). */
export interface DataArgs {
  dataset?: string;
  data?: string;
  'image-size'?: number;
  channels?: 1 | 3;
  'cache-dir'?: string;
  'memory-mb'?: number;
}

function datasetChoice(raw: unknown): string | undefined {
  if (raw === undefined) return undefined;
  const name = String(Array.isArray(raw) ? raw[raw.length - 1] : raw);
  if (!datasetNames().includes(name))
    throw new RangeError(`--dataset: expected one of ${datasetNames().join('|')}, got ${JSON.stringify(name)}`);
  return name;
}

function imageSize(raw: unknown): number | undefined {
  return raw === undefined ? undefined : integerOption('image-size', 1, 4096)(raw);
}

function channels(raw: unknown): 1 | 3 | undefined {
  if (raw === undefined) return undefined;
  const text = String(Array.isArray(raw) ? raw[raw.length - 1] : raw);
  if (text !== '1' && text !== '3') throw new RangeError(`--channels: expected 1 or 3, got ${JSON.stringify(text)}`);
  return Number(text) as 1 | 3;
}

function memoryMb(raw: unknown): number | undefined {
  if (raw === undefined) return undefined;
  const text = String(Array.isArray(raw) ? raw[raw.length - 1] : raw);
  const v = Number(text);
  if (!Number.isFinite(v) || v < 0 || text.trim() === '')
    throw new RangeError(`--memory-mb: expected a number ≥ 0, got ${JSON.stringify(text)}`);
  return v;
}

/**
 * Adds the data flags: `--dataset` (any dataset registered with `@vae/data`, asked, not listed
 * here), `--data` (alias `--data-dir`: where to read it from), with `imageOptions` the image
 * folder flags `--image-size`, `--channels`, `--memory-mb`, `--cache-dir`, and with `cacheOption`
 * `--cache-dir` alone.
 */
export function dataOptions(
  y: Argv,
  o: {
    imageOptions: boolean;
    cacheOption?: boolean;
    defaultDataset?: string;
    datasetRequired?: boolean;
    datasetNote?: string;
  },
): Argv {
  const withData = datasetOptions(y, o);
  const withImages = o.imageOptions ? imageFolderOptions(withData) : withData;
  if (!o.imageOptions && !o.cacheOption) return withImages;
  return cacheDirOption(withImages);
}

/** `--dataset` (required, defaulted or annotated as the command says) and `--data`. */
function datasetOptions(y: Argv, o: Parameters<typeof dataOptions>[1]): Argv {
  return y
    .option('dataset', {
      type: 'string',
      coerce: datasetChoice,
      ...(o.datasetRequired ? { demandOption: true } : {}),
      describe: `dataset: ${datasetNames().join('|')}${o.defaultDataset ? ` (default ${o.defaultDataset})` : ''}${o.datasetNote ? `; ${o.datasetNote}` : ''}`,
    })
    .option('data', {
      alias: 'data-dir',
      type: 'string',
      describe:
        'where to read the dataset from: a folder of PNG/JPEG images (--dataset images; class subfolders give labels), IDX files (a directory, or one images file), or instead of a named dataset’s default location',
    });
}

/** The image folder flags `--image-size`, `--channels` and `--memory-mb`. */
function imageFolderOptions(y: Argv): Argv {
  return y
    .option('image-size', {
      type: 'string',
      coerce: imageSize,
      describe:
        '--dataset images: resize the short side to N and centre-crop N×N (antialiased bilinear, as torchvision Resize + CenterCrop); default: the images’ own size, which must then be equal',
    })
    .option('channels', {
      type: 'string',
      coerce: channels,
      describe:
        '--dataset images or idx: 1 (grey) or 3 (colour), converting every image; default: what the data has (mixed grey and colour is an error)',
    })
    .option('memory-mb', {
      type: 'string',
      coerce: memoryMb,
      describe:
        '--dataset images: pixels held in memory up to this many MiB (default 1024); a larger folder is read from its cache on disk in shuffled blocks',
    });
}

/** `--cache-dir`: where decoded image pixels are cached. */
function cacheDirOption(y: Argv): Argv {
  return y.option('cache-dir', {
    type: 'string',
    describe:
      '--dataset images: where decoded pixels are cached (default $VAE_CACHE_DIR, else ~/.cache/vae-everywhere/images; delete it to clear)',
  });
}

/** The runtime data options (not saved with a run) the flags give. */
export function dataRuntime(a: DataArgs): { cacheDir?: string; memoryBytes?: number } {
  return {
    ...(a['cache-dir'] === undefined ? {} : { cacheDir: a['cache-dir'] }),
    ...(a['memory-mb'] === undefined ? {} : { memoryBytes: a['memory-mb'] * 2 ** 20 }),
  };
}
