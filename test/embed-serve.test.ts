import { cp, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { VaeModel } from '@vae/core';
import { embedToTable, loadCorpus, openTableSearch, type TableSearch } from '@vae/embed';
import { loadModel } from '@vae/runtime-node';
import { createVaeServer, type VaeServer } from '@vae/server';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { REFERENCE_MODEL } from './parity-fixtures.js';
import { postJson, startServe } from './server-fixtures.js';

let dir: string;
let table: string;
let model: VaeModel;
let search: TableSearch;
let server: VaeServer;
let base: string;
const corpus = loadCorpus({ dataset: 'mnist', split: 'test', limit: 500 });

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'vae-embed-serve-'));
  table = join(dir, 'test500.lance');
  model = await loadModel(REFERENCE_MODEL, { device: 'cpu', threads: 1 });
  await embedToTable(model, await corpus, { modelDir: REFERENCE_MODEL, out: table, chunkSize: 250, index: 'none' });
  search = await openTableSearch(table);
  server = createVaeServer({ model, search, defaultMetrics: false });
  base = await server.listen({ host: '127.0.0.1', port: 0 });
});
afterAll(async () => {
  await server?.close();
  search?.close();
  await model?.release();
  await rm(dir, { recursive: true, force: true });
});

describe('POST /api/search', () => {
  it('answers by id, by vector and by image row with the same neighbours, nearest first', async () => {
    const byId = await postJson(`${base}/api/search`, { id: 3, k: 4 });
    expect(byId.status).toBe(200);
    expect(byId.body).toMatchObject({ k: 4, query: 'id' });
    const hits = byId.body.neighbours as { id: number; label: number; distance: number }[];
    expect(hits).toHaveLength(4);
    expect(hits[0]).toMatchObject({ id: 3, label: (await corpus).labels[3], distance: 0 });
    expect(hits.map((h) => h.distance)).toEqual([...hits.map((h) => h.distance)].sort((a, b) => a - b));

    const mu = await model.embed({
      data: Float32Array.from((await corpus).pixels.subarray(3 * 784, 4 * 784), (p) => p / 255),
      shape: [1, 784],
    });
    const byVector = await postJson(`${base}/api/search`, { vector: Array.from(mu.data), k: 4 });
    expect(byVector.status).toBe(200);
    expect(byVector.body.neighbours.map((h: { id: number }) => h.id)).toEqual(hits.map((h) => h.id));
    const row = Array.from((await corpus).pixels.subarray(3 * 784, 4 * 784), (p) => p / 255);
    const byImage = await postJson(`${base}/api/search`, { x: row, k: 4 });
    expect(byImage.status).toBe(200);
    expect(byImage.body.query).toBe('x');
    expect(byImage.body.neighbours.map((h: { id: number }) => h.id)).toEqual(hits.map((h) => h.id));
  });

  it('rejects bad queries with 400 naming the field', async () => {
    const cases: [unknown, RegExp][] = [
      [{}, /body: expected exactly one of id, vector, x, got none/],
      [{ id: 1, vector: [1] }, /expected exactly one of id, vector, x, got id, vector/],
      [{ vector: [1, 2] }, /vector: expected 20 numbers, got an array of 2|vector: expected 20 numbers/],
      [{ id: 500 }, /id: expected an id stored in the table \(0 … 499\), got 500/],
      [{ id: 1, k: 0 }, /k: expected an integer in \[1, 1000\], got 0/],
      [{ x: [1, 2, 3] }, /x\[0\]: expected a row of 784 numbers/],
      [{ vector: [3e38, ...new Array(19).fill(0)] }, /vector: expected a squared norm of at most 8\.51e\+37/],
      [[1], /body: expected a JSON object/],
    ];
    for (const [body, message] of cases) {
      const r = await postJson(`${base}/api/search`, body);
      expect(r.status, JSON.stringify(body)).toBe(400);
      expect(r.body.error).toMatch(message);
    }
  });

  it('is 404 with the reason on a server without a search table', async () => {
    const plain = createVaeServer({ model, ownsModel: false, defaultMetrics: false });
    const url = await plain.listen({ host: '127.0.0.1', port: 0 });
    try {
      const r = await postJson(`${url}/api/search`, { id: 1 });
      expect(r.status).toBe(404);
      expect(r.body.error).toMatch(
        /search: expected a server started with a search table \(vae serve --table T\), got none/,
      );
    } finally {
      await plain.close();
    }
  });
});

describe('vae serve --table', () => {
  it('wires the table into /api/search; refuses an int8 encoder renamed to the table’s model, naming both hashes', async () => {
    const serve = await startServe(['--model', REFERENCE_MODEL, '--table', table, '--port', '0', '--device', 'cpu']);
    try {
      const r = await postJson(`${serve.base}/api/search`, { id: 10, k: 3 });
      expect(r.status).toBe(200);
      expect(r.body.neighbours[0]).toMatchObject({ id: 10, distance: 0 });
    } finally {
      serve.proc.kill('SIGTERM');
      await serve.exited;
    }
    const renamed = join(dir, 'renamed-int8');
    await cp(`${REFERENCE_MODEL}-int8`, renamed, { recursive: true });
    const manifest = JSON.parse(await readFile(join(renamed, 'manifest.json'), 'utf8'));
    await writeFile(join(renamed, 'manifest.json'), JSON.stringify({ ...manifest, name: 'mnist-vae' }));
    const wrong = await startServe(['--model', renamed, '--table', table, '--port', '0', '--device', 'cpu']).catch(
      (e: { code: number; stderr: string }) => e,
    );
    expect('code' in wrong ? wrong.code : null).toBe(1);
    expect('stderr' in wrong ? wrong.stderr : '').toMatch(
      new RegExp(
        `test500\\.lance: expected the encoder the table was embedded with, mnist-vae \\(encoder SHA-256 ${model.manifest.graphs.encoder.sha256}, fp32\\), got mnist-vae \\(encoder SHA-256 ${manifest.graphs.encoder.sha256}, int8\\)`,
      ),
    );
  });
});
