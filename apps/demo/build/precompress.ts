import { readdir, readFile, rename, writeFile } from 'node:fs/promises';
import { join, relative } from 'node:path';
import { promisify } from 'node:util';
import { brotliCompress, constants, gzip } from 'node:zlib';

const brotli = promisify(brotliCompress);
const gz = promisify(gzip);

/** Sizes of one file of the site: raw, and its precompressed `.br` and `.gz` copies. */
export interface CompressedFile {
  readonly path: string;
  readonly bytes: number;
  readonly br: number;
  readonly gz: number;
}

async function listFiles(dir: string): Promise<string[]> {
  const out: string[] = [];
  for (const e of await readdir(dir, { withFileTypes: true })) {
    const path = join(dir, e.name);
    if (e.isDirectory()) out.push(...(await listFiles(path)));
    else if (e.isFile() && !/\.(br|gz)$/.test(e.name)) out.push(path);
  }
  return out;
}

async function writeAtomic(path: string, bytes: Uint8Array): Promise<void> {
  await writeFile(`${path}.tmp`, bytes);
  await rename(`${path}.tmp`, path);
}

/**
 * Writes `<file>.br` (brotli, `brotliQuality`, default 11) and `<file>.gz` (gzip -9) beside every
 * file under `dir`, for servers that send precompressed files (`Accept-Encoding`).
 */
export async function precompress(dir: string, brotliQuality = 11): Promise<CompressedFile[]> {
  if (!Number.isInteger(brotliQuality) || brotliQuality < 0 || brotliQuality > 11)
    throw new RangeError(`brotliQuality: expected an integer in [0, 11], got ${String(brotliQuality)}`);
  const files = await listFiles(dir);
  return Promise.all(
    files.map(async (file) => {
      const raw = await readFile(file);
      const [b, g] = await Promise.all([
        brotli(raw, {
          params: {
            [constants.BROTLI_PARAM_QUALITY]: brotliQuality,
            [constants.BROTLI_PARAM_SIZE_HINT]: raw.length,
          },
        }),
        gz(raw, { level: 9 }),
      ]);
      await writeAtomic(`${file}.br`, b);
      await writeAtomic(`${file}.gz`, g);
      return { path: relative(dir, file).split('\\').join('/'), bytes: raw.length, br: b.length, gz: g.length };
    }),
  );
}
