/** `--dim NAME=N`: sizes of symbolic graph dimensions (no runtime is loaded by importing this). */

/**
 * Parses `--dim NAME=N` values (repeatable) into sizes by name; throws naming `option`, the
 * expected form and the actual value.
 */
export function parseDims(raw: unknown, option = '--dim'): Record<string, number> {
  const out: Record<string, number> = {};
  for (const v of (Array.isArray(raw) ? raw : raw === undefined ? [] : [raw]).flatMap((x) => String(x).split(','))) {
    const m = /^\s*([^=\s]+)\s*=\s*(\d+)\s*$/.exec(v);
    if (!m || Number(m[2]) < 1)
      throw new RangeError(`${option}: expected NAME=N with N ≥ 1 (e.g. batch=8), got ${JSON.stringify(v)}`);
    out[m[1]!] = Number(m[2]);
  }
  return out;
}
