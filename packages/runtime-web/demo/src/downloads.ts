/** One resource the page fetched, from the Resource Timing API. */
export interface Download {
  readonly name: string;
  /** Body bytes as sent (compressed if the server compressed). */
  readonly encodedBodySize: number;
  /** Body bytes after decompression. */
  readonly decodedBodySize: number;
}

/** Resources whose URL matches `pattern`, as {@link Download}s. */
export function downloads(pattern: RegExp): Download[] {
  return performance
    .getEntriesByType('resource')
    .filter((e): e is PerformanceResourceTiming => e instanceof PerformanceResourceTiming && pattern.test(e.name))
    .map((e) => ({
      name: new URL(e.name).pathname,
      encodedBodySize: e.encodedBodySize,
      decodedBodySize: e.decodedBodySize,
    }));
}

/**
 * The runtime files the page fetched: onnxruntime-web's `.wasm` (and `.mjs` when fetched), its JS
 * module in dev mode, or the built JS chunks (app code and onnxruntime-web bundled together).
 */
export function runtimeDownloads(): Download[] {
  return downloads(/onnxruntime-web|\/ort\/|\.wasm$|\/assets\/[^/]+\.js$/);
}

/** Sum of `encodedBodySize` over `list`. */
export function totalBytes(list: readonly Download[]): number {
  return list.reduce((n, d) => n + d.encodedBodySize, 0);
}

/** `bytes` as a short human-readable string (KiB / MiB). */
export function formatBytes(bytes: number): string {
  if (bytes < 1024) return `${bytes} B`;
  if (bytes < 1024 * 1024) return `${(bytes / 1024).toFixed(1)} KiB`;
  return `${(bytes / 1024 / 1024).toFixed(2)} MiB`;
}
