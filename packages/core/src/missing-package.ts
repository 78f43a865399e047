/**
 * The package an `ERR_MODULE_NOT_FOUND` error says is missing (`@scope/name` or `name`, without a
 * subpath), or undefined for any other error. Optional packages (an engine, a store) are loaded with
 * `import()`; this tells "not installed" apart from a failure inside the package.
 */
export function missingPackage(err: unknown): string | undefined {
  if ((err as { code?: unknown } | null)?.code !== 'ERR_MODULE_NOT_FOUND') return undefined;
  const m = /Cannot find (?:package|module) '((?:@[^/']+\/)?[^/']+)/.exec((err as Error).message);
  return m?.[1];
}
