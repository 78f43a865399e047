import { describe, expect, it } from 'vitest';
import { importOptional, missingPackage } from '../src/optional-package.js';

/** A real `ERR_MODULE_NOT_FOUND` from Node's resolver for a package that is not installed. */
async function notInstalled(name: string): Promise<never> {
  return import(/* @vite-ignore */ name) as Promise<never>;
}

describe('optional packages of @vae/cli', () => {
  it('names the command and the exact install line when the package is missing', async () => {
    // Node's own error for a missing package, as `import('@vae/embed')` gives in a lean install.
    const err = await notInstalled('@vae/embed-not-installed').catch((e: unknown) => e);
    expect(missingPackage(err)).toBe('@vae/embed-not-installed');
    const missingEmbed = Object.assign(new Error("Cannot find package '@vae/embed' imported from /p/dist/x.js"), {
      code: 'ERR_MODULE_NOT_FOUND',
    });
    await expect(importOptional('@vae/embed', 'vae search', () => Promise.reject(missingEmbed))).rejects.toThrow(
      'vae search: needs @vae/embed (embeddings into LanceDB, similarity search and the Redis queue (brings @lancedb/lancedb, ~160 MB)), which is not installed; add it: npm i @vae/embed',
    );
  });

  it('names a missing dependency of the optional package, and passes other errors through', async () => {
    const missingLance = await notInstalled('@lancedb/lancedb-not-installed').catch((e: unknown) => e);
    await expect(importOptional('@vae/embed', 'vae embed', () => Promise.reject(missingLance))).rejects.toThrow(
      'vae embed: needs @lancedb/lancedb-not-installed (needed by @vae/embed), which is not installed; add it: npm i @lancedb/lancedb-not-installed',
    );
    const other = new TypeError('boom');
    await expect(importOptional('@vae/embed', 'vae embed', () => Promise.reject(other))).rejects.toBe(other);
  });

  it('loads the package when it is installed', async () => {
    const embed = await importOptional('@vae/embed', 'vae embed', () => import('@vae/embed'));
    expect(typeof embed.openTableSearch).toBe('function');
  });
});
