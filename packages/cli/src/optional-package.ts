import { missingPackage, notInstalledMessage } from '@vae/core';

/**
 * Packages `@vae/cli` does not install by default (optional peer dependencies), with what each one
 * brings; a command that needs one loads it through {@link importOptional}.
 */
export const OPTIONAL_PACKAGES = Object.freeze({
  '@vae/embed': 'embeddings into LanceDB, similarity search and the Redis queue (brings @lancedb/lancedb, ~160 MB)',
});

/** The name of an optional package. */
export type OptionalPackage = keyof typeof OPTIONAL_PACKAGES;

/**
 * Loads an optional package for `command` (e.g. `vae search`) through `load` (`() => import(name)`).
 * When it, or a package it needs, is not installed, throws an error that names the command and the
 * exact install line: `vae search: needs @vae/embed (…), which is not installed; add it: npm i @vae/embed`.
 */
export async function importOptional<T>(name: OptionalPackage, command: string, load: () => Promise<T>): Promise<T> {
  try {
    return await load();
  } catch (err) {
    const missing = missingPackage(err);
    if (missing === undefined) throw err;
    const what = missing === name ? `${name} (${OPTIONAL_PACKAGES[name]})` : `${missing} (needed by ${name})`;
    throw new Error(notInstalledMessage(`${command}: needs ${what}, which`, missing), { cause: err });
  }
}

export { missingPackage };
