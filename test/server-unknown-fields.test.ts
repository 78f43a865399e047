import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { setLogLevel, type VaeModel } from '@vae/core';
import { loadModel } from '@vae/runtime-node';
import { createVaeServer, type SearchProvider, type VaeServer } from '@vae/server';
import { exportTinyModel, syntheticImages } from './runtime-node-fixtures.js';
import { httpRequest } from './server-fixtures.js';

/**
 * A misspelt optional field of an `/api` body (`sample` for `samples`, `temprature`) used to be ignored,
 * so the request silently ran with the default; every `/api` route now refuses a field it does not know,
 * naming it and the fields it takes.
 */
let model: VaeModel;
let server: VaeServer;
let base: string;
const searches: unknown[] = [];
/** Answers every query with item 0, recording it (the route's validation is under test, not a store). */
const search: SearchProvider = {
  dim: 4,
  source: 'in-memory',
  search: async (query) => {
    searches.push(query);
    return [{ id: 0, label: -1, distance: 0 }];
  },
};

beforeAll(async () => {
  setLogLevel('warn');
  model = await loadModel(await exportTinyModel({ name: 'tiny' }), { device: 'cpu' });
  server = createVaeServer({ model, defaultMetrics: false, search });
  base = await server.listen({ port: 0 });
});
afterAll(async () => {
  await server?.close();
  await model?.release();
});

const post = (path: string, body: unknown) =>
  httpRequest(base, {
    method: 'POST',
    path,
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify(body),
  });

describe('/api bodies with a field the route does not take', () => {
  const x = [Array.from(syntheticImages(1).data)];
  const cases: [string, Record<string, unknown>, string, string][] = [
    ['/api/embed', { x }, 'z', 'x, y'],
    ['/api/reconstruct', { x }, 'X', 'x, y'],
    ['/api/sample', { n: 2, seed: 1 }, 'temprature', 'n, seed, temperature, y'],
    ['/api/elbo', { x, seed: 1 }, 'samples', 'x, y, seed'],
    ['/api/log-likelihood', { x, seed: 1 }, 'sample', 'x, y, seed, samples, chunkSize'],
    ['/api/search', { id: 0 }, 'K', 'id, vector, x, k'],
  ];

  it.each(cases)(
    '%s: 400 naming the unknown field and the fields it takes; 200 without it',
    async (path, body, extra, fields) => {
      const queried = searches.length;
      const bad = await post(path, { ...body, [extra]: 3 });
      expect(bad.body).toEqual({ error: `body: expected only the fields ${fields}, got an unknown field "${extra}"` });
      expect(bad.status).toBe(400);
      // A refused search body never reaches the store.
      expect(searches.length).toBe(queried);
      expect((await post(path, body)).status).toBe(200);
    },
  );

  it('the OpenAPI document says so: additionalProperties false on every /api request body', async () => {
    const doc = (await httpRequest(base, { path: '/openapi.json' })).body as {
      paths: Record<string, { post?: { requestBody: { content: { 'application/json': { schema: object } } } } }>;
    };
    for (const [path] of cases)
      expect(doc.paths[path]!.post!.requestBody.content['application/json'].schema, path).toMatchObject({
        additionalProperties: false,
      });
  });
});
