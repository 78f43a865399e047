import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { gzipSync } from 'node:zlib';
import { createRequire } from 'node:module';
import type { VaeModel } from '@vae/core';
import { loadModel } from '@vae/runtime-node';
import { asyncBufferFromFile, parquetReadObjects } from 'hyparquet';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  EmbeddingTable,
  embedToTable,
  exportParquet,
  loadCorpus,
  openTableForRead,
  openTableSearch,
  tableMeta,
  TableWriter,
  type Corpus,
} from '../src/index.js';

const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '../../..');
const MODEL_DIR = join(ROOT, 'models/mnist-vae');
const { PNG } = createRequire(join(ROOT, 'packages/train/package.json'))('pngjs') as typeof import('pngjs');

/** Options of every embedToTable call here (with `out`). */
const OPTS = { modelDir: MODEL_DIR, chunkSize: 256, logvar: true, index: 'none' } as const;

let dir: string;
let model: VaeModel;
let corpus: Corpus;

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'vae-embed-store-'));
  model = await loadModel(MODEL_DIR, { device: 'cpu', threads: 1 });
  corpus = await loadCorpus({ dataset: 'mnist', split: 'test', limit: 700 });
});
afterAll(async () => {
  await model?.release();
  await rm(dir, { recursive: true, force: true });
});

/** Chunk 0 with other content than the corpus's (one item): a table holding chunk 0 must refuse it. */
const CHANGED_CHUNK_0 = {
  index: 0,
  start: 0,
  count: 1,
  hash: '0123456789abcdef',
  labels: new Int32Array(1),
  itemHashes: ['0123456789abcdef'],
  dim: 20,
  mu: new Float32Array(20),
  logvar: new Float32Array(20),
} as const;

/** The table's rows sorted by id, as plain values. */
async function rows(path: string) {
  const { table } = await openTableForRead(path);
  try {
    const a = await table.query().toArrow();
    const out = Array.from({ length: a.numRows }, (_, i) => ({
      id: a.getChild('id')!.get(i) as number,
      label: a.getChild('label')!.get(i) as number,
      hash: a.getChild('hash')!.get(i) as string,
      chunk: a.getChild('chunk')!.get(i) as string,
      vector: Array.from(a.getChild('vector')!.get(i).toArray() as Float32Array),
      logvar: a.getChild('logvar') ? Array.from(a.getChild('logvar')!.get(i).toArray() as Float32Array) : null,
    }));
    return out.sort((x, y) => x.id - y.id);
  } finally {
    table.close();
  }
}

describe('corpus sources', () => {
  it('mnist splits: ids are positions, all = train then test, limit keeps the first items', async () => {
    const train = await loadCorpus({ dataset: 'mnist', split: 'train' });
    const all = await loadCorpus({ dataset: 'mnist', split: 'all' });
    expect([train.count, all.count, corpus.count]).toEqual([60000, 70000, 700]);
    expect(all.pixels.subarray(60000 * 784, 60001 * 784)).toEqual(corpus.pixels.subarray(0, 784));
    expect(Array.from(all.labels.subarray(60000, 60700))).toEqual(Array.from(corpus.labels));
  });

  it('an IDX images file (gz) with its labels file beside it, and without', async () => {
    const n = 30;
    const header = (dims: number[]) => {
      const b = Buffer.alloc(4 + 4 * dims.length);
      b.writeUInt8(0x08, 2);
      b.writeUInt8(dims.length, 3);
      dims.forEach((d, i) => b.writeUInt32BE(d, 4 + 4 * i));
      return b;
    };
    const idxDir = join(dir, 'idx');
    await mkdir(idxDir, { recursive: true });
    const images = Buffer.concat([header([n, 28, 28]), Buffer.from(corpus.pixels.subarray(0, n * 784))]);
    await writeFile(join(idxDir, 'my-images-idx3-ubyte.gz'), gzipSync(images));
    await writeFile(
      join(idxDir, 'my-labels-idx1-ubyte'),
      Buffer.concat([header([n]), Buffer.from(Uint8Array.from(corpus.labels.subarray(0, n)))]),
    );
    const c = await loadCorpus({ dataset: 'idx', data: join(idxDir, 'my-images-idx3-ubyte.gz') });
    expect(c.count).toBe(n);
    expect(c.pixels).toEqual(corpus.pixels.subarray(0, n * 784));
    expect(Array.from(c.labels)).toEqual(Array.from(corpus.labels.subarray(0, n)));
    await writeFile(join(idxDir, 'raw.idx'), images);
    const unlabelled = await loadCorpus({ dataset: 'idx', data: join(idxDir, 'raw.idx'), limit: 5 });
    expect(Array.from(unlabelled.labels)).toEqual([-1, -1, -1, -1, -1]);
  });

  it("a folder of PNGs (sorted by name, decoded to the model's shape: colour converted to grey)", async () => {
    const pngDir = join(dir, 'pngs');
    await mkdir(pngDir, { recursive: true });
    for (let i = 0; i < 3; i++) {
      const png = new PNG({ width: 28, height: 28 });
      for (let p = 0; p < 784; p++) {
        const v = corpus.pixels[i * 784 + p]!;
        png.data.set([v, v, v, 255], 4 * p);
      }
      await writeFile(join(pngDir, `img-${i}.png`), PNG.sync.write(png));
    }
    const c = await loadCorpus({
      dataset: 'images',
      data: pngDir,
      imageShape: [28, 28, 1],
      cacheDir: join(dir, 'cache'),
    });
    expect(c.count).toBe(3);
    expect(c.files).toEqual(['img-0.png', 'img-1.png', 'img-2.png']);
    expect(c.pixels).toEqual(corpus.pixels.subarray(0, 3 * 784));
    expect(Array.from(c.labels)).toEqual([-1, -1, -1]);
  });

  it('rejects PNG folders with mixed sizes or a file that is no PNG, naming the file', async () => {
    const mixed = join(dir, 'mixed');
    await mkdir(mixed, { recursive: true });
    await writeFile(join(mixed, 'a.png'), PNG.sync.write(new PNG({ width: 28, height: 28 })));
    await writeFile(join(mixed, 'b.png'), PNG.sync.write(new PNG({ width: 32, height: 28 })));
    const cacheDir = join(dir, 'cache');
    await expect(loadCorpus({ dataset: 'images', data: mixed, cacheDir })).rejects.toThrow(
      /b\.png: expected 28 high × 28 wide like a\.png, got 28 high × 32 wide \(read from its header; not decoded\); pass --image-size N/,
    );
    await writeFile(join(mixed, 'b.png'), 'not a png');
    await expect(loadCorpus({ dataset: 'images', data: mixed, cacheDir })).rejects.toThrow(
      /b\.png: expected a PNG or JPEG image, got bytes starting 6e 6f 74 20/,
    );
  });

  it('rejects bad arguments naming them', async () => {
    await expect(loadCorpus({ dataset: 'cifar' as never })).rejects.toThrow(
      /dataset: expected one of (?=.*mnist)(?=.*images)(?=.*color-shapes)[a-z|-]+, got "cifar"/,
    );
    await expect(loadCorpus({ dataset: 'mnist', split: 'val' as never })).rejects.toThrow(
      /split: expected one of train\|test\|all, got "val"/,
    );
    await expect(loadCorpus({ dataset: 'idx' })).rejects.toThrow(
      /data: expected a path for dataset idx \(--data; .*\), got none/,
    );
    await expect(loadCorpus({ dataset: 'idx', split: 'test', data: join(dir, 'idx', 'raw.idx') })).rejects.toThrow(
      /split: expected train or all for dataset idx \(.*raw\.idx has no test split\), got test/,
    );
    await expect(loadCorpus({ dataset: 'images', data: join(dir, 'nope') })).rejects.toThrow(
      /data: expected a folder of PNG or JPEG images, got .*nope \(no such folder\)/,
    );
    await expect(loadCorpus({ dataset: 'mnist', limit: 0 })).rejects.toThrow(/limit: expected an integer ≥ 1, got 0/);
  });
});

describe('LanceDB table', () => {
  it('stores every id once with the encoder’s μ and logvar; a second run writes nothing', async () => {
    const out = join(dir, 'a.lance');
    const r = await embedToTable(model, corpus, { ...OPTS, out });
    expect(r).toMatchObject({ chunks: 3, written: 3, skipped: 0, items: 700, rows: 700, index: 'none' });
    const stored = await rows(out);
    expect(stored.map((s) => s.id)).toEqual(Array.from({ length: 700 }, (_, i) => i));
    const e = await model.encode({
      data: Float32Array.from(corpus.pixels.subarray(0, 5 * 784), (p) => p / 255),
      shape: [5, 784],
    });
    if (!('mu' in e)) throw new Error('expected a VAE');
    for (let i = 0; i < 5; i++) {
      expect(stored[i]!.vector).toEqual(Array.from(e.mu.data.subarray(i * 20, (i + 1) * 20)));
      expect(stored[i]!.logvar).toEqual(Array.from(e.logvar.data.subarray(i * 20, (i + 1) * 20)));
      expect(stored[i]!.label).toBe(corpus.labels[i]);
    }
    const again = await embedToTable(model, corpus, { ...OPTS, out });
    expect(again).toMatchObject({ written: 0, skipped: 700, rows: 700 });
  });

  it('a partly written table is completed to the same rows as an uninterrupted run', async () => {
    const out = join(dir, 'partial.lance');
    const full = await rows(join(dir, 'a.lance'));
    const first = await loadCorpus({ dataset: 'mnist', split: 'test', limit: 512 });
    // Chunks 0 and 1 only (the first 512 items), as a run stopped after two chunks leaves it.
    await embedToTable(model, first, { ...OPTS, out });
    const r = await embedToTable(model, corpus, { ...OPTS, out });
    expect(r).toMatchObject({ written: 1, skipped: 512, rows: 700 });
    expect(await rows(out)).toEqual(full);
  });

  it('refuses to mix: another model, chunk size or split, or changed content under a stored chunk index', async () => {
    const out = join(dir, 'a.lance');
    const meta = tableMeta(model, MODEL_DIR, corpus, { chunkSize: 256, logvar: true });
    await expect(EmbeddingTable.open(out, { ...meta, model: 'other-vae' })).rejects.toThrow(
      /a\.lance: expected model "mnist-vae" \(the table was written with it\), got "other-vae"; write to another table or pass --overwrite/,
    );
    await expect(EmbeddingTable.open(out, { ...meta, paramsSha256: 'f'.repeat(64) })).rejects.toThrow(
      /expected paramsSha256/,
    );
    await expect(EmbeddingTable.open(out, { ...meta, chunkSize: 100 })).rejects.toThrow(
      /expected chunkSize 256 .*got 100/,
    );
    await expect(EmbeddingTable.open(out, { ...meta, split: 'train' })).rejects.toThrow(/expected split "test"/);
    const t = await EmbeddingTable.open(out, meta);
    try {
      await expect(t.write(CHANGED_CHUNK_0)).rejects.toThrow(
        /chunk 0 is stored with content hash [0-9a-f]{16}, got 0123456789abcdef; the corpus changed/,
      );
    } finally {
      t.close();
    }
  });

  it('the writer (what embedToTable uses) reports the table’s own errors and keeps the rows', async () => {
    const out = join(dir, 'a.lance');
    const before = await rows(out);
    const meta = tableMeta(model, MODEL_DIR, corpus, { chunkSize: 256, logvar: true });
    await expect(TableWriter.open(out, { ...meta, model: 'other-vae' })).rejects.toThrow(
      /a\.lance: expected model "mnist-vae" \(the table was written with it\), got "other-vae"/,
    );
    const w = await TableWriter.open(out, meta);
    try {
      expect((await w.storedKeys()).size).toBe(3);
      await expect(w.write(CHANGED_CHUNK_0)).rejects.toThrow(
        /chunk 0 is stored with content hash [0-9a-f]{16}, got 0123456789abcdef/,
      );
      await expect(w.write({ ...CHANGED_CHUNK_0, index: 9, dim: 3 })).rejects.toThrow(RangeError);
      await expect(w.write({ ...CHANGED_CHUNK_0, index: 9, rows: new Uint8Array(8) })).rejects.toThrow(
        /chunk 9: expected rows whose vector columns are its mu and logvar/,
      );
    } finally {
      await w.close();
    }
    expect(await rows(out)).toEqual(before);
  });

  it('exports Parquet that hyparquet reads back equal to the table', async () => {
    const file = join(dir, 'out', 'a.parquet');
    const r = await exportParquet(join(dir, 'a.lance'), file);
    expect(r.rows).toBe(700);
    const back = await parquetReadObjects({ file: await asyncBufferFromFile(file) });
    const stored = await rows(join(dir, 'a.lance'));
    expect(back.length).toBe(700);
    back.forEach((row, i) => {
      const s = stored[i]!;
      expect([row.id, row.label, row.hash, row.chunk]).toEqual([s.id, s.label, s.hash, s.chunk]);
      expect(Array.from(row.vector as number[])).toEqual(s.vector);
      expect(Array.from(row.logvar as number[])).toEqual(s.logvar);
    });
    await expect(exportParquet(join(dir, 'missing.lance'), file)).rejects.toThrow(
      /table: expected an embeddings table at .*missing\.lance, got no such directory/,
    );
  });

  it('builds the IVF-PQ index at the end (auto: none below 10,000 rows) and keeps it when nothing was added', async () => {
    const out = join(dir, 'indexed.lance');
    expect((await embedToTable(model, corpus, { ...OPTS, out, index: 'auto' })).index).toBe('none');
    expect((await embedToTable(model, corpus, { ...OPTS, out, index: 'ivf-pq' })).index).toBe('ivf-pq');
    const { table } = await openTableForRead(out);
    try {
      const indices = await table.listIndices();
      expect(indices.map((i) => [i.columns[0], i.indexType]).sort()).toEqual([
        ['id', 'BTree'],
        ['vector', 'IvfPq'],
      ]);
    } finally {
      table.close();
    }
    expect((await embedToTable(model, corpus, { ...OPTS, out, index: 'auto' })).index).toBe('ivf-pq');
    const search = await openTableSearch(out);
    try {
      expect((await search.search({ id: 9 }, 3))[0]).toMatchObject({ id: 9, distance: 0 });
    } finally {
      search.close();
    }
  });

  it('searches by id and by vector; exact and index agree on the nearest', async () => {
    const out = join(dir, 'a.lance');
    const search = await openTableSearch(out);
    try {
      const hits = await search.search({ id: 42 }, 5, { exact: true });
      expect(hits[0]).toMatchObject({ id: 42, distance: 0 });
      expect(hits.map((h) => h.distance)).toEqual([...hits.map((h) => h.distance)].sort((a, b) => a - b));
      const stored = (await rows(out))[42]!;
      const byVector = await search.search({ vector: Float32Array.from(stored.vector) }, 5, { exact: true });
      expect(byVector.map((h) => h.id)).toEqual(hits.map((h) => h.id));
      await expect(search.search({ id: 700 }, 5)).rejects.toThrow(
        /id: expected an id stored in the table \(0 … 699\), got 700/,
      );
      await expect(search.search({ vector: new Float32Array(3) }, 5)).rejects.toThrow(
        /vector: expected 20 values \(the table's L\), got 3/,
      );
      await expect(search.search({ id: 1 }, 0)).rejects.toThrow(/k: expected an integer ≥ 1, got 0/);
    } finally {
      search.close();
    }
  });
});
