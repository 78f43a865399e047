import { Validator } from '@seriousme/openapi-schema-validator';
import Ajv2020 from 'ajv/dist/2020.js';
import { readFile } from 'node:fs/promises';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { setLogLevel, type VaeModel } from '@vae/core';
import { loadModel } from '@vae/runtime-node';
import { createVaeServer, type SearchProvider, type VaeServer } from '@vae/server';
import { exportTinyModel } from './runtime-node-fixtures.js';
import { getJson, postJson } from './server-fixtures.js';
import { referenceDocument, renderHttpApi } from '../scripts/http-api-doc.js';

// One server for the file: the document, its validity, its coverage of the registered routes, and
// every `/api` route called with its documented example.
let model: VaeModel;
let server: VaeServer;
let base: string;
let doc: any;

/** Ten stored items with ids 0..9 (the server only sees the provider contract). */
const search: SearchProvider = {
  dim: 4,
  source: 'memory',
  async search(query, k) {
    if ('id' in query && (query.id < 0 || query.id > 9)) throw new RangeError(`id: expected 0..9, got ${query.id}`);
    return Array.from({ length: Math.min(k, 10) }, (_, i) => ({ id: i, label: i % 3, distance: i / 10 }));
  },
};

beforeAll(async () => {
  setLogLevel('warn');
  model = await loadModel(await exportTinyModel({ name: 'tiny' }), { device: 'cpu' });
  server = createVaeServer({ model, defaultMetrics: false, search });
  base = await server.listen();
  doc = (await getJson(`${base}/openapi.json`)).body;
});
afterAll(async () => {
  await server?.close();
  await model?.release();
});

const openApiPath = (url: string): string => url.replace(/:([^/]+)/g, '{$1}');

describe('GET /openapi.json', () => {
  it('is a valid OpenAPI 3.1 document', async () => {
    expect(doc.openapi).toBe('3.1.0');
    const result = await new Validator().validate(doc);
    expect(result.errors ?? []).toEqual([]);
    expect(result.valid).toBe(true);
  });

  it('documents every route the server registered, and GET /v2 and the 404 hint list them', async () => {
    const registered = server.app
      .printRoutes({ commonPrefix: false, includeMeta: false })
      .split('\n')
      .filter((l) => l.includes('('));
    expect(registered.length).toBeGreaterThan(0);
    const listed: string[] = (await getJson(`${base}/v2`)).body.routes;
    expect(listed.length).toBeGreaterThanOrEqual(17);
    for (const entry of listed) {
      const [method, url] = entry.split(' ') as [string, string];
      expect(server.app.hasRoute({ method: method as 'GET', url }), entry).toBe(true);
      const op = doc.paths[openApiPath(url)]?.[method.toLowerCase()];
      expect(op?.summary, entry).toBeTruthy();
    }
    // Nothing registered is missing from the list: Fastify's own route tree has as many methods.
    const methods = registered.flatMap((l) => /\(([^)]*)\)/.exec(l)![1]!.split(', ')).filter((m) => m !== 'HEAD');
    expect(methods.length).toBe(listed.length);
    const notFound = await getJson(`${base}/v3/nothing`);
    expect(notFound.status).toBe(404);
    for (const entry of listed) expect(notFound.body.error).toContain(entry);
  });

  it('answers 2xx to every /api route called with its documented example, in the documented shape', async () => {
    const ajv = new Ajv2020({ strict: false });
    const apiPaths = Object.keys(doc.paths).filter((p) => p.startsWith('/api/') && doc.paths[p].post);
    expect(apiPaths.sort()).toEqual(
      ['/api/elbo', '/api/embed', '/api/log-likelihood', '/api/reconstruct', '/api/sample', '/api/search'].sort(),
    );
    for (const path of apiPaths) {
      const op = doc.paths[path].post;
      const media = op.requestBody.content['application/json'];
      expect(ajv.validate(media.schema, media.example), `${path} example vs its schema`).toBe(true);
      const res = await postJson(`${base}${path}`, media.example);
      expect(res.status, `${path}: ${JSON.stringify(res.body)}`).toBeGreaterThanOrEqual(200);
      expect(res.status).toBeLessThan(300);
      const schema = op.responses['200'].content['application/json'].schema;
      expect(ajv.validate(schema, res.body), `${path} response: ${ajv.errorsText()}`).toBe(true);
    }
    const info = await (await fetch(`${base}/api/model`)).json();
    const infoSchema = doc.paths['/api/model'].get.responses['200'].content['application/json'].schema;
    expect(ajv.validate(infoSchema, info), `/api/model response: ${ajv.errorsText()}`).toBe(true);
    expect(info).toMatchObject({ device: model.device, verification: { status: model.verification.status } });
  });

  it('describes request bodies from the validators: a value outside a documented range is refused', async () => {
    const sample = doc.paths['/api/sample'].post.requestBody.content['application/json'].schema;
    expect(sample.properties.temperature).toMatchObject({ type: 'number', minimum: 0, maximum: 10, default: 1 });
    expect(sample.required).toEqual(['seed']);
    const tooHot = await postJson(`${base}/api/sample`, {
      seed: 1,
      temperature: sample.properties.temperature.maximum + 1,
    });
    expect(tooHot.status).toBe(400);
    expect(tooHot.body.error).toBe('temperature: expected a number in [0, 10], got 11');
    const x = doc.paths['/api/embed'].post.requestBody.content['application/json'].schema.properties.x;
    expect(x.oneOf[1]).toMatchObject({ minItems: model.inputSize, maxItems: model.inputSize });
  });

  it('documents the V2 infer request and response as the server checks them (the schema is hand-written: this pins it)', async () => {
    const ajv = new Ajv2020({ strict: false });
    const op = doc.paths['/v2/models/{name}/infer'].post;
    const request = op.requestBody.content['application/json'].schema;
    const response = op.responses['200'].content['application/json'].schema;
    const meta = (await getJson(`${base}/v2/models/tiny-encoder`)).body;
    const input = meta.inputs[0];
    const width = input.shape.slice(1).reduce((a: number, b: number) => a * b, 1);
    const good = {
      id: 'r1',
      inputs: [
        { name: input.name, shape: [2, ...input.shape.slice(1)], datatype: 'FP64', data: Array(2 * width).fill(0.5) },
      ],
      outputs: [{ name: meta.outputs[0].name }],
    };
    expect(ajv.validate(request, good), ajv.errorsText()).toBe(true);
    const ok = await postJson(`${base}/v2/models/tiny-encoder/infer`, good);
    expect(ok.status, JSON.stringify(ok.body)).toBe(200);
    expect(ajv.validate(response, ok.body), `infer response: ${ajv.errorsText()}`).toBe(true);
    // What the schema refuses, the server refuses too, naming the field.
    const bad: [string, Record<string, unknown>][] = [
      ['inputs', { ...good, inputs: [] }],
      ['inputs[0].datatype', { ...good, inputs: [{ ...good.inputs[0], datatype: 'INT8' }] }],
      ['inputs[0].shape', { ...good, inputs: [{ ...good.inputs[0], shape: ['2', width] }] }],
      ['id', { ...good, id: 7 }],
      ['outputs', { ...good, outputs: { name: 'mu' } }],
      [
        'outputs[0].parameters.binary_data',
        { ...good, outputs: [{ name: meta.outputs[0].name, parameters: { binary_data: 1 } }] },
      ],
    ];
    for (const [field, body] of bad) {
      expect(ajv.validate(request, body), `${field}: the schema accepts it`).toBe(false);
      const res = await postJson(`${base}/v2/models/tiny-encoder/infer`, body);
      expect(res.status, field).toBe(400);
      expect(res.body.error, field).toMatch(new RegExp(`^${field.replace(/[.[\]]/g, '\\$&')}: expected `));
    }
  });
});

describe('docs/HTTP-API.md', () => {
  it('is the rendering of the document served for the reference model (pnpm docs:http-api)', async () => {
    const current = await readFile(new URL('../docs/HTTP-API.md', import.meta.url), 'utf8');
    expect(current).toBe(renderHttpApi(await referenceDocument()));
  });
});
