import { dirname, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { VaeModel } from '@vae/core';
import { loadModel } from '@vae/runtime-node';
import { loadDataset } from '@vae/data/node';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  ChunkPreparer,
  chunkInput,
  chunkKey,
  decodeEmbedded,
  embedChunk,
  encodeEmbedded,
  hashBytes,
  hashItems,
  makeChunk,
  type Chunk,
  type EmbedTableMeta,
} from '../src/index.js';
import { chunkIpc, tableSchema } from '../src/table-rows.js';

const MODEL_DIR = resolve(dirname(fileURLToPath(import.meta.url)), '../../../models/mnist-vae');
const D = 784;

let model: VaeModel;
let chunk: Chunk;

beforeAll(async () => {
  model = await loadModel(MODEL_DIR, { device: 'cpu' });
  const mnist = await loadDataset('mnist');
  const n = 37;
  chunk = makeChunk(
    3,
    100,
    mnist.test!.images.slice(100 * D, (100 + n) * D),
    Int32Array.from(mnist.test!.labels.subarray(100, 100 + n)),
    D,
  );
});
afterAll(async () => model?.release());

describe('chunk hashes', () => {
  it('are stable: the same bytes give the same item and chunk hashes (pinned value)', () => {
    const again = makeChunk(3, 100, chunk.pixels.slice(), chunk.labels.slice(), D);
    expect(again.hash).toBe(chunk.hash);
    expect(again.itemHashes).toEqual(chunk.itemHashes);
    expect(chunkKey(chunk)).toBe(`3:${chunk.hash}`);
    // Pinned: stored tables and queue results compare these across runs and machines.
    expect(hashBytes(new TextEncoder().encode('vae-everywhere'))).toBe('2edc53df6aa3cffa');
    expect(hashBytes(new Uint8Array(0))).toBe('01c625c51d42fe64');
    expect(new Set(chunk.itemHashes).size).toBe(chunk.count);
  });

  it('are content-sensitive: one pixel changed changes that item and the chunk, nothing else', () => {
    const px = chunk.pixels.slice();
    px[5 * D + 400] = (px[5 * D + 400]! + 1) % 256;
    const changed = makeChunk(3, 100, px, chunk.labels, D);
    expect(changed.hash).not.toBe(chunk.hash);
    changed.itemHashes.forEach((h, i) =>
      i === 5 ? expect(h).not.toBe(chunk.itemHashes[i]) : expect(h).toBe(chunk.itemHashes[i]),
    );
    const tail = new Uint8Array([1, 2, 3, 4, 5, 6, 7]);
    const tail2 = new Uint8Array([1, 2, 3, 4, 5, 6, 8]);
    expect(hashBytes(tail)).not.toBe(hashBytes(tail2));
    expect(hashBytes(tail, 0, 6)).not.toBe(hashBytes(tail));
  });

  it('give the same hash for aligned and unaligned views of the same bytes', () => {
    const item = chunk.pixels.slice(0, D);
    const shifted = new Uint8Array(D + 3);
    shifted.set(item, 3);
    expect(hashBytes(shifted, 3, 3 + D)).toBe(hashBytes(item));
    expect(hashItems(shifted.subarray(3), D)).toEqual([hashBytes(item)]);
    expect(hashBytes(shifted, 3, 3 + 7)).toBe(hashBytes(item.slice(0, 7)));
  });

  it('rejects a slice whose size does not match, naming the argument', () => {
    expect(() => makeChunk(0, 0, new Uint8Array(10), new Int32Array(1), D)).toThrow(
      /pixels: expected .*784 bytes, got 10/,
    );
    expect(() => makeChunk(-1, 0, new Uint8Array(0), new Int32Array(0), D)).toThrow(
      /index: expected an integer ≥ 0, got -1/,
    );
  });
});

describe('embedChunk', () => {
  it('equals VaeModel.encode on the same rows (μ and logvar), across batch boundaries', async () => {
    const e = await embedChunk(model, chunk, { batchSize: 8, logvar: true });
    const x = Float32Array.from(chunk.pixels, (p) => p / 255);
    const ref = await model.encode({ data: x, shape: [chunk.count, D] });
    if (!('mu' in ref)) throw new Error('expected a variational model');
    expect(e.dim).toBe(model.latentDim);
    expect(e.mu.length).toBe(chunk.count * e.dim);
    for (let i = 0; i < e.mu.length; i++) {
      expect(e.mu[i]).toBeCloseTo(ref.mu.data[i]!, 5);
      expect(e.logvar![i]).toBeCloseTo(ref.logvar.data[i]!, 5);
    }
    expect([e.index, e.start, e.count, e.hash]).toEqual([3, 100, 37, chunk.hash]);
    const noLogvar = await embedChunk(model, chunk, { batchSize: 64, logvar: false });
    expect(noLogvar.logvar).toBeNull();
    expect(Array.from(noLogvar.mu)).toEqual(Array.from(e.mu));
  });

  it('rejects a non-positive batch size', async () => {
    await expect(embedChunk(model, chunk, { batchSize: 0, logvar: false })).rejects.toThrow(
      /batchSize: expected an integer ≥ 1, got 0/,
    );
  });
});

describe('ChunkPreparer', () => {
  it('hashes and converts on a worker thread exactly as makeChunk and chunkInput do, reusing recycled buffers', async () => {
    const preparer = new ChunkPreparer(chunk.pixels, D);
    try {
      const a = await preparer.prepare(3, 0, chunk.labels.subarray(0, 20));
      const ref = makeChunk(3, 0, chunk.pixels.subarray(0, 20 * D), chunk.labels.subarray(0, 20), D);
      expect([a.chunk.hash, a.chunk.itemHashes]).toEqual([ref.hash, ref.itemHashes]);
      expect(a.input).toEqual(chunkInput(ref.pixels, 20, D));
      preparer.recycle(a.input);
      const b = await preparer.prepare(4, 17, chunk.labels.subarray(17, 37));
      expect(b.chunk.hash).toBe(
        makeChunk(4, 17, chunk.pixels.subarray(17 * D, 37 * D), chunk.labels.subarray(17, 37), D).hash,
      );
      expect(b.input).toEqual(chunkInput(chunk.pixels.subarray(17 * D, 37 * D), 20, D));
      await expect(preparer.prepare(5, 30, new Int32Array(20))).rejects.toThrow(
        /labels: expected items \[30, 50\) within the 37 items of the corpus, got 20 labels from 30/,
      );
    } finally {
      await preparer.close();
    }
  });
});

describe('rows built ahead (rowsTemplate)', () => {
  const meta = (logvar: boolean): EmbedTableMeta => ({
    model: 'mnist-vae',
    paramsSha256: '',
    modelDir: MODEL_DIR,
    dim: 20,
    imageShape: [28, 28, 1],
    dataset: 'mnist',
    split: 'test',
    source: 'test',
    chunkSize: 37,
    logvar,
  });

  it('the preparer builds a chunk’s rows, embedChunk writes μ and logvar into them: the bytes rows built afterwards have', async () => {
    const preparer = new ChunkPreparer(chunk.pixels, D);
    try {
      for (const logvar of [true, false]) {
        const p = await preparer.prepare(chunk.index, 0, chunk.labels, meta(logvar));
        const ahead = await embedChunk(model, { ...chunk, start: 0 }, { batchSize: 16, logvar, rows: p.rows! });
        const after = await embedChunk(model, { ...chunk, start: 0 }, { batchSize: 16, logvar });
        expect(ahead.mu.buffer).toBe(ahead.rows!.buffer);
        expect(Array.from(ahead.mu)).toEqual(Array.from(after.mu));
        expect(Buffer.from(ahead.rows!).equals(Buffer.from(chunkIpc(tableSchema(meta(logvar)), after)))).toBe(true);
        preparer.recycle(p.input);
      }
      const p = await preparer.prepare(chunk.index, 0, chunk.labels, meta(true));
      await expect(embedChunk(model, chunk, { batchSize: 16, logvar: false, rows: p.rows! })).rejects.toThrow(
        /rows: expected a template without a logvar column \(logvar false\), got one with/,
      );
    } finally {
      await preparer.close();
    }
  });
});

describe('encodeEmbedded / decodeEmbedded', () => {
  it('round-trips through JSON exactly', async () => {
    const e = await embedChunk(model, chunk, { batchSize: 16, logvar: true });
    const back = decodeEmbedded(JSON.parse(JSON.stringify(encodeEmbedded(e))));
    expect(back).toEqual(e);
    const noLogvar = { ...e, logvar: null };
    expect(decodeEmbedded(JSON.parse(JSON.stringify(encodeEmbedded(noLogvar))))).toEqual(noLogvar);
  });

  it('rejects malformed input naming the field', async () => {
    const e = await embedChunk(model, chunk, { batchSize: 16, logvar: true });
    const good = encodeEmbedded(e);
    expect(() => decodeEmbedded(null)).toThrow(/embedded chunk: expected an object, got null/);
    expect(() => decodeEmbedded({ ...good, index: -2 })).toThrow(/index: expected an integer ≥ 0/);
    expect(() => decodeEmbedded({ ...good, dim: 'x' })).toThrow(/dim: expected an integer ≥ 1/);
    expect(() => decodeEmbedded({ ...good, mu: (good.mu as string).slice(0, 40) })).toThrow(/mu: expected 740 values/);
    expect(() => decodeEmbedded({ ...good, mu: 5 })).toThrow(/mu: expected a base64 string, got number/);
    expect(() =>
      decodeEmbedded({ ...good, labels: encodeEmbedded({ ...e, labels: new Int32Array(2) }).labels }),
    ).toThrow(/labels: expected 37 values/);
    expect(() => decodeEmbedded({ ...good, itemHashes: [] })).toThrow(/itemHashes: expected an array of 37 hashes/);
    expect(() => decodeEmbedded({ ...good, itemHashes: ['zz', ...e.itemHashes.slice(1)] })).toThrow(
      /itemHashes\[0\]: expected 16 hex digits/,
    );
    expect(() => decodeEmbedded({ ...good, hash: '0'.repeat(16) })).toThrow(/hash: expected the hash of itemHashes/);
    expect(() => decodeEmbedded({ ...good, logvar: 'AAAA' })).toThrow(/logvar: expected 740 values/);
  });
});
