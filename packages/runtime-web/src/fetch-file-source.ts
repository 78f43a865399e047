import { ModelFileNotFoundError, assertModelFileName, type ModelFileSource } from '@vae/core';

/** Options of {@link fetchFileSource}. */
export interface FetchFileSourceOptions {
  /** The fetch implementation (default `globalThis.fetch`). */
  readonly fetch?: typeof fetch;
  /** Options passed to every request (e.g. `{ cache: 'no-store' }`). */
  readonly init?: RequestInit;
}

/** A {@link ModelFileSource} over HTTP that also records how many bytes each file had. */
export interface FetchFileSource extends ModelFileSource {
  /** Bytes read per file name, in read order (e.g. to show the decoder's download size). */
  readonly bytesRead: ReadonlyMap<string, number>;
}

/** `baseUrl` as an absolute URL ending in `/`, resolved against the page location when relative. */
export function resolveBaseUrl(baseUrl: string): URL {
  if (typeof baseUrl !== 'string' || baseUrl.length === 0) {
    throw new TypeError(`baseUrl: expected a URL of a model directory, got ${JSON.stringify(baseUrl)}`);
  }
  const page = (globalThis as { location?: { href?: string } }).location?.href;
  let url: URL;
  try {
    url = page === undefined ? new URL(baseUrl) : new URL(baseUrl, page);
  } catch {
    throw new TypeError(
      `baseUrl: expected an absolute URL (no page location to resolve against), got ${JSON.stringify(baseUrl)}`,
    );
  }
  if (!url.pathname.endsWith('/')) url.pathname += '/';
  url.search = '';
  url.hash = '';
  return url;
}

/**
 * A {@link ModelFileSource} reading the files of the model directory at `baseUrl` with `fetch`
 * (e.g. `/models/mnist-vae/`). A 404 rejects with core's `ModelFileNotFoundError`; other HTTP
 * errors with the status.
 */
export function fetchFileSource(baseUrl: string, options: FetchFileSourceOptions = {}): FetchFileSource {
  const base = resolveBaseUrl(baseUrl);
  const doFetch = options.fetch ?? globalThis.fetch;
  if (typeof doFetch !== 'function')
    throw new TypeError(`options.fetch: expected a fetch function, got ${typeof doFetch}`);
  const location = base.href;
  const bytesRead = new Map<string, number>();
  return {
    location,
    bytesRead,
    read: async (file) => {
      assertModelFileName(file);
      const url = new URL(file, base).href;
      const response = await doFetch(url, options.init);
      if (response.status === 404) throw new ModelFileNotFoundError(location, file);
      if (!response.ok) throw new Error(`${url}: expected HTTP 200, got ${response.status} ${response.statusText}`);
      const bytes = new Uint8Array(await response.arrayBuffer());
      bytesRead.set(file, bytes.length);
      return bytes;
    },
  };
}
