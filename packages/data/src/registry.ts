import type { DatasetCapabilities, DatasetInfo, DatasetLoadOptions, DatasetLoader, ImageDataset } from './dataset.js';

interface Entry {
  readonly info: DatasetInfo;
  readonly loader: DatasetLoader;
}

const registry = new Map<string, Entry>();
const loaded = new Map<string, Promise<ImageDataset>>();

/** Capabilities assumed for a dataset registered with a description only: labelled, grey, with a test split. */
const DEFAULT_CAPABILITIES: DatasetCapabilities = Object.freeze({
  hasLabels: true,
  channels: 'data',
  hasTestSplit: true,
  data: 'optional',
  resizable: false,
});

/**
 * Registers (or replaces) a dataset loader under `name`, with its description and capabilities
 * (a plain string is a description with default capabilities). Adding a dataset is this call in
 * one file; every command lists and checks datasets through this registry.
 */
export function registerDataset(
  name: string,
  loader: DatasetLoader,
  info: string | ({ readonly description: string } & Partial<DatasetCapabilities>) = '',
): void {
  if (typeof name !== 'string' || !/^[a-z0-9][a-z0-9-]*$/.test(name))
    throw new RangeError(`name: expected a lower-case dataset name (a-z, 0-9, -), got ${JSON.stringify(name)}`);
  const described = typeof info === 'string' ? { description: info } : info;
  registry.set(name, { loader, info: Object.freeze({ ...DEFAULT_CAPABILITIES, ...described, name }) });
  for (const key of loaded.keys()) if (key.startsWith(`${name}\u0000`)) loaded.delete(key);
}

/** Registered datasets with their descriptions and capabilities, in registration order. */
export function listDatasets(): DatasetInfo[] {
  return [...registry.values()].map((e) => e.info);
}

/** The registered names, joined for messages and help texts (`mnist|fashion-mnist|…`). */
export function datasetNames(): string[] {
  return [...registry.keys()];
}

/** The capabilities of dataset `name`; throws a RangeError naming the registered ones when it is unknown. */
export function datasetInfo(name: string): DatasetInfo {
  const entry = registry.get(name);
  if (!entry) throw new RangeError(`dataset: expected one of ${datasetNames().join('|')}, got ${JSON.stringify(name)}`);
  return entry.info;
}

function cacheKey(name: string, o: DatasetLoadOptions): string {
  return `${name}\u0000${JSON.stringify([o.dataDir, o.imageSize ?? null, o.channels ?? null, o.cacheDir ?? null, o.memoryBytes ?? null, o.expectShape ?? null, o.maxBytes ?? null])}`;
}

/** Loads (and keeps in memory for the process) the dataset registered as `name`. */
export function loadDataset(name: string, options: DatasetLoadOptions = { dataDir: null }): Promise<ImageDataset> {
  const entry = registry.get(name);
  if (!entry)
    return Promise.reject(
      new RangeError(`dataset: expected one of ${datasetNames().join('|')}, got ${JSON.stringify(name)}`),
    );
  const info = entry.info;
  if (info.data === 'required' && !options.dataDir)
    return Promise.reject(new RangeError(`data: expected a path for dataset ${name} (pass --data), got none`));
  if (!info.resizable && options.imageSize != null)
    return Promise.reject(
      new RangeError(
        `imageSize: expected none for dataset ${name} (its images have a fixed size), got ${JSON.stringify(options.imageSize)}`,
      ),
    );
  if (info.channels !== 'data' && options.channels != null && options.channels !== info.channels)
    return Promise.reject(
      new RangeError(
        `channels: expected ${info.channels} for dataset ${name}, got ${JSON.stringify(options.channels)}`,
      ),
    );
  const key = cacheKey(name, options);
  let p = loaded.get(key);
  if (!p) {
    p = Promise.resolve().then(() => entry.loader(options));
    loaded.set(key, p);
    p.catch(() => loaded.delete(key));
  }
  return p;
}
