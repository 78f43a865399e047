import { createWriteStream } from 'node:fs';
import { mkdtemp, rm, stat, truncate, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pipeline } from 'node:stream/promises';
import { createGzip, deflateSync } from 'node:zlib';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { idxHeaderBytes, readPngHeader } from '../src/index.js';
import { decodeImage, readIdxFile } from '../src/node/index.js';

/**
 * Size checks before decoding: an image's header and an IDX file's header are read first, and
 * nothing is decoded beyond what they announce (bench/decode-bombs.ts measures time and memory).
 */
let dir: string;
beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'vae-decode-limits-'));
});
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

/** A gzip file of `header` followed by `zeros` zero bytes, written as a stream (never held whole). */
async function gzipBomb(path: string, header: Uint8Array, zeros: number): Promise<void> {
  const block = Buffer.alloc(1 << 20);
  async function* content() {
    yield header;
    for (let left = zeros; left > 0; left -= block.length) yield block.subarray(0, Math.min(left, block.length));
  }
  await pipeline(content(), createGzip({ level: 9 }), createWriteStream(path));
}

function crc32(bytes: Uint8Array): number {
  let c = ~0;
  for (const b of bytes) {
    c ^= b;
    for (let k = 0; k < 8; k++) c = (c >>> 1) ^ (0xedb88320 & -(c & 1));
  }
  return ~c >>> 0;
}

function pngChunk(type: string, data: Uint8Array): Buffer {
  const head = Buffer.alloc(8);
  head.writeUInt32BE(data.length, 0);
  head.write(type, 4, 'latin1');
  const crc = Buffer.alloc(4);
  crc.writeUInt32BE(crc32(Buffer.concat([head.subarray(4), data])), 0);
  return Buffer.concat([head, data, crc]);
}

/** A grey 8-bit PNG with the given header and `imageData` (its zlib stream) as IDAT. */
function png(width: number, height: number, imageData: Uint8Array, interlaced = false): Buffer {
  const ihdr = Buffer.alloc(13);
  ihdr.writeUInt32BE(width, 0);
  ihdr.writeUInt32BE(height, 4);
  ihdr[8] = 8;
  ihdr[9] = 0;
  ihdr[12] = interlaced ? 1 : 0;
  return Buffer.concat([
    Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]),
    pngChunk('IHDR', ihdr),
    pngChunk('IDAT', imageData),
    pngChunk('IEND', new Uint8Array()),
  ]);
}

describe('IDX files: the header is checked before the data is decompressed', () => {
  it('a gzip bomb whose header claims 10 images is read up to those 10 images only', async () => {
    const path = join(dir, 'bomb-images-idx3-ubyte.gz');
    // 10 images announced, 64 MB of zeros behind them (~64 kB compressed), and the stream cut short:
    // decompressing it all fails ("unexpected end of file"); stopping at the header's size does not.
    await gzipBomb(path, idxHeaderBytes([10, 28, 28]), 64 << 20);
    await truncate(path, (await stat(path)).size - 100);
    const a = await readIdxFile(path, 3, 'FIX');
    expect(a.dims).toEqual([10, 28, 28]);
    expect(a.data.length).toBe(7840);
  });

  it('refuses a header that claims more than maxBytes, more than the gzip stream can hold, or other item dims', async () => {
    const huge = join(dir, 'huge-images-idx3-ubyte.gz');
    await gzipBomb(huge, idxHeaderBytes([4_000_000, 28, 28]), 1 << 20);
    await expect(readIdxFile(huge, 3, 'FIX')).rejects.toThrow(
      /expected at most 1073741824 bytes of IDX data, the header claims \[4000000, 28, 28\] = 3136000000; not decoded; FIX/,
    );
    await expect(readIdxFile(huge, 3, 'FIX', { maxBytes: 2 ** 32 })).rejects.toThrow(
      /its header claims 3136000016 bytes, more than a \d+-byte gzip stream can hold \(≤ 1032×\)/,
    );
    const raw = join(dir, 'raw-images-idx3-ubyte');
    await writeFile(raw, Buffer.concat([idxHeaderBytes([1000, 28, 28]), Buffer.alloc(784)]));
    await expect(readIdxFile(raw, 3, 'FIX')).rejects.toThrow(
      /its header claims 784016 bytes, more than the file's 800 bytes/,
    );
    await writeFile(raw, Buffer.concat([idxHeaderBytes([1, 64, 64]), Buffer.alloc(4096)]));
    await expect(readIdxFile(raw, 3, 'FIX', { itemDims: [28, 28] })).rejects.toThrow(
      /expected items of 28 high × 28 wide, the header says 64 high × 64 wide \(\[1, 64, 64\]\); not decoded/,
    );
  });
});

describe('PNG images: the header is checked before any pixel is inflated', () => {
  it('reads width, height and channels from the header', () => {
    expect(readPngHeader(png(20000, 20000, deflateSync(Buffer.alloc(1))), 'a.png')).toMatchObject({
      width: 20000,
      height: 20000,
      channels: 1,
      bitDepth: 8,
      interlaced: false,
    });
    expect(() => readPngHeader(Buffer.from('GIF89a........................'), 'a.gif')).toThrow(
      /a\.gif: expected a PNG image, got undecodable bytes/,
    );
  });

  it('refuses a 20000×20000 image before decoding it (the size asked for, and the pixel limit)', () => {
    const bomb = png(20000, 20000, deflateSync(Buffer.alloc(1)));
    expect(() => decodeImage(bomb, 'bomb.png', { size: [28, 28] })).toThrow(
      /bomb\.png: expected 28 high × 28 wide, got 20000 high × 20000 wide \(read from its header; not decoded\)/,
    );
    expect(() => decodeImage(bomb, 'bomb.png')).toThrow(
      /bomb\.png: expected an image of 1 to 16777216 pixels, got 20000 high × 20000 wide = 400000000 pixels/,
    );
  });

  it('refuses an interlaced image whose data inflates past its size (decoders do not bound those)', () => {
    const bomb = png(28, 28, deflateSync(Buffer.alloc(32 << 20)), true);
    expect(() => decodeImage(bomb, 'interlaced.png', { size: [28, 28] })).toThrow(
      /interlaced\.png: expected at most \d+ bytes of image data for 28 high × 28 wide × 1 channel, got more; not decoded/,
    );
  });

  it('refuses a JPEG whose frame header claims 60000×60000 before decoding it', () => {
    // SOI, an APP0 segment, then SOF0 claiming 60000×60000×3 and nothing else.
    const sof = [0xff, 0xc0, 0, 17, 8, 0xea, 0x60, 0xea, 0x60, 3, 1, 0x11, 0, 2, 0x11, 1, 3, 0x11, 1];
    const app0 = [0xff, 0xe0, 0, 4, 0, 0];
    const bomb = Uint8Array.from([0xff, 0xd8, ...app0, ...sof]);
    expect(() => decodeImage(bomb, 'bomb.jpg')).toThrow(
      /bomb\.jpg: expected an image of 1 to 16777216 pixels, got 60000 high × 60000 wide = 3600000000 pixels \(read from its header; not decoded\)/,
    );
    expect(() => decodeImage(Uint8Array.from([0xff, 0xd8, ...app0]), 'cut.jpg')).toThrow(
      /cut\.jpg: expected a JPEG frame header \(SOF\), got none in 8 bytes/,
    );
    expect(() => decodeImage(new TextEncoder().encode('hello'), 'notes.png')).toThrow(
      /notes\.png: expected a PNG or JPEG image, got bytes starting 68 65 6c 6c/,
    );
  });
});
