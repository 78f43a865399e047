import { createReadStream } from 'node:fs';
import { open } from 'node:fs/promises';
import { createGunzip } from 'node:zlib';

/**
 * DEFLATE's largest possible expansion (a 258-byte match per ~2 bits, ≈1032:1): a gzip stream of N
 * bytes never decompresses to more than this many times N, so a header that claims more is corrupt
 * or hostile.
 */
export const DEFLATE_MAX_RATIO = 1032;

/** Whether `bytes` start with the gzip magic number. */
export function isGzip(bytes: Uint8Array): boolean {
  return bytes.length >= 2 && bytes[0] === 0x1f && bytes[1] === 0x8b;
}

/**
 * What {@link readFileBounded} asks of the caller: given the first bytes of the (decompressed)
 * content, the total length to read, or null while the header is still incomplete. It throws to
 * refuse the file (e.g. a claimed size over a limit, or dimensions that are not the expected ones).
 */
export type LengthFromHeader = (head: Uint8Array) => number | null;

async function fileStart(path: string): Promise<{ magic: Uint8Array; size: number }> {
  const handle = await open(path, 'r');
  try {
    const magic = new Uint8Array(2);
    const { bytesRead } = await handle.read(magic, 0, 2, 0);
    return { magic: magic.subarray(0, bytesRead), size: (await handle.stat()).size };
  } finally {
    await handle.close();
  }
}

/**
 * The first `length` bytes of `path`'s content, gunzipped when the file starts with the gzip magic,
 * where `length` comes from the content's own header (`lengthOf`). The file is streamed: nothing
 * past `length` is decompressed and only `length` bytes are allocated, so a gzip bomb costs what its
 * header claims, not what it expands to. A claimed length that the file cannot hold (more than
 * {@link DEFLATE_MAX_RATIO} × its compressed size, or more than a raw file's size) is refused before
 * anything is allocated. Throws naming `path` when the content ends before `length` bytes.
 */
export async function readFileBounded(path: string, lengthOf: LengthFromHeader): Promise<Uint8Array> {
  const { magic, size } = await fileStart(path);
  const gzip = isGzip(magic);
  const source = createReadStream(path);
  const stream = gzip ? source.pipe(createGunzip()) : source;
  source.on('error', (err) => stream.destroy(err));
  let head = new Uint8Array(0);
  let out: Uint8Array | null = null;
  let filled = 0;
  try {
    for await (const piece of stream as AsyncIterable<Buffer>) {
      if (!out) {
        const joined = new Uint8Array(head.length + piece.length);
        joined.set(head);
        joined.set(piece, head.length);
        head = joined;
        const length = lengthOf(head);
        if (length === null) continue;
        const most = gzip ? size * DEFLATE_MAX_RATIO : size;
        if (length > most)
          throw new RangeError(
            `${path}: its header claims ${length} bytes, more than ${gzip ? `a ${size}-byte gzip stream can hold (≤ ${DEFLATE_MAX_RATIO}×)` : `the file's ${size} bytes`}; the file is corrupt or not what it says`,
          );
        out = new Uint8Array(length);
        filled = Math.min(length, head.length);
        out.set(head.subarray(0, filled));
      } else {
        const n = Math.min(piece.length, out.length - filled);
        out.set(piece.subarray(0, n), filled);
        filled += n;
      }
      if (out.length === filled) break;
    }
  } catch (err) {
    // zlib's errors have codes Z_DATA_ERROR, Z_BUF_ERROR…; the header check's own errors pass through.
    if (!String((err as NodeJS.ErrnoException).code).startsWith('Z_')) throw err;
    throw new Error(`${path}: corrupt or truncated gzip data (${(err as Error).message})`);
  } finally {
    stream.destroy();
    source.destroy();
  }
  if (!out || filled < out.length)
    throw new Error(
      `${path}: truncated: ${out ? `the header says ${out.length} bytes, the content has ${filled}` : `${head.length} bytes, not even a whole header`}`,
    );
  return out;
}
