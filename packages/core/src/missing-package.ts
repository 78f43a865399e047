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

/**
 * The one wording of "a package is missing, here is the install line":
 * `${subject} is not installed; add it: npm i ${install…}`. `subject` says what is missing and who
 * needs it (e.g. `vae search: needs @vae/embed (…), which`); `install` is one npm spec or several
 * (`name` or `name@version`), joined with spaces. Throws a TypeError when `install` names nothing.
 */
export function notInstalledMessage(subject: string, install: string | readonly string[]): string {
  const specs = typeof install === 'string' ? [install] : install;
  if (specs.length === 0 || specs.some((s) => typeof s !== 'string' || s.trim() === '')) {
    throw new TypeError(
      `notInstalledMessage: install must be one or more non-empty npm specs, got ${JSON.stringify(install)}`,
    );
  }
  return `${subject} is not installed; add it: npm i ${specs.join(' ')}`;
}
