/** A parity runtime name (open: whatever is registered, e.g. `ort-node-cpu`, `ort-web-wasm@firefox`). */
export type RuntimeName = string;

/** The `--runtimes` value that stands for every registered runtime. */
export const ALL_RUNTIMES = 'all';

/**
 * Parses a `--runtimes` value (comma-separated and/or repeated) into runtime names, keeping
 * {@link ALL_RUNTIMES}; undefined stays undefined. Names are checked against the registry when the
 * runtimes are registered (`runParity`), so this stays importable without loading any runtime.
 */
export function parseRuntimeList(raw: unknown, option = '--runtimes'): RuntimeName[] | undefined {
  if (raw === undefined) return undefined;
  const names = (Array.isArray(raw) ? raw : [raw])
    .flatMap((v) => String(v).split(','))
    .map((v) => v.trim())
    .filter(Boolean);
  const bad = names.find((n) => !/^[\w.-]+(@[\w.-]+)?$/.test(n));
  if (bad !== undefined || names.length === 0)
    throw new RangeError(
      `${option}: expected runtime names like ort-node-cpu or ort-web-wasm@firefox, or all, got ${JSON.stringify(bad ?? raw)}`,
    );
  return names;
}
