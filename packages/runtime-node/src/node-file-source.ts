import { readFile } from 'node:fs/promises';
import { resolve } from 'node:path';
import { ModelFileNotFoundError, assertModelFileName, type ModelFileSource } from '@vae/core';

/** A {@link ModelFileSource} reading files of the model directory `dir` from disk. */
export function nodeFileSource(dir: string): ModelFileSource {
  if (typeof dir !== 'string' || dir.length === 0)
    throw new TypeError(`dir: expected a directory path, got ${JSON.stringify(dir)}`);
  const location = resolve(dir);
  return {
    location,
    read: async (file) => {
      assertModelFileName(file);
      try {
        const buf = await readFile(resolve(location, file));
        return new Uint8Array(buf.buffer, buf.byteOffset, buf.byteLength);
      } catch (err) {
        if ((err as NodeJS.ErrnoException).code === 'ENOENT') throw new ModelFileNotFoundError(location, file);
        throw err;
      }
    },
  };
}
