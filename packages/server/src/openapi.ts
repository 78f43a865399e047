import type { VaeModel } from '@vae/core';
import { type ApiBodies, type BodySpec, bodySchema } from './api-schema.js';
import { ACCEPTED_DATATYPES } from './v2-protocol.js';

/** One registered route: method and Fastify URL (`/v2/models/:name`). */
export interface RouteEntry {
  readonly method: string;
  readonly url: string;
}

/** The documentation of one route (everything but the `/api` request bodies, which come from {@link ApiBodies}). */
interface RouteDoc {
  readonly summary: string;
  readonly response: Record<string, unknown>;
  /** The request body schema of a non-`/api` route. */
  readonly request?: Record<string, unknown>;
  readonly contentType?: string;
}

const obj = (properties: Record<string, unknown>, required = Object.keys(properties)): Record<string, unknown> => ({
  type: 'object',
  properties,
  required,
});
const str = { type: 'string' };
const num = { type: 'number' };
const bool = { type: 'boolean' };
const ints = { type: 'array', items: { type: 'integer' } };
const rows = { type: 'array', items: { type: 'array', items: num } };
const tensorMeta = obj({ name: str, datatype: { const: 'FP32' }, shape: ints });
const verificationStatus = { enum: ['passed', 'failed', 'skipped'] };
const modelParameters = obj(
  {
    device: str,
    backend: str,
    verification: verificationStatus,
    verification_max_abs_error: num,
    verification_reason: str,
  },
  ['device', 'backend', 'verification'],
);
const modelMeta = obj(
  {
    name: str,
    versions: { type: 'array', items: str },
    platform: str,
    inputs: { type: 'array', items: tensorMeta },
    outputs: { type: 'array', items: tensorMeta },
    parameters: modelParameters,
  },
  ['name', 'versions', 'platform', 'inputs', 'outputs'],
);
const fallback = obj({ device: str, backend: str, reason: str });
const tolerance = obj({ abs: num, rel: num });
const verification = obj(
  {
    status: verificationStatus,
    device: str,
    backend: str,
    arithmetic: { enum: ['exact', 'reassociated'] },
    outputs: {
      type: 'array',
      items: obj({
        graph: { enum: ['encoder', 'decoder', 'scorer'] },
        output: str,
        maxAbs: num,
        worstRatio: num,
        tolerance,
        values: { type: 'integer' },
        pass: bool,
      }),
    },
    reason: str,
    fallbacks: { type: 'array', items: fallback },
    ms: num,
  },
  ['status', 'device', 'backend', 'arithmetic', 'outputs', 'fallbacks', 'ms'],
);
const modelInfo = obj({
  name: str,
  kind: str,
  precision: str,
  latentDim: { type: 'integer' },
  numClasses: { type: 'integer' },
  imageShape: ints,
  parts: { type: 'array', items: { enum: ['encoder', 'decoder'] } },
  device: str,
  backend: str,
  fallbacks: { type: 'array', items: fallback },
  verification,
});
const binaryParams = obj({ binary_data_size: { type: 'integer', minimum: 0 } });
/**
 * Written by hand, unlike the `/api` bodies: `parseInferRequest` (v2-protocol.ts) checks most of a
 * V2 request against the model's metadata and across fields (input names, shapes, one batch size,
 * binary sizes after the JSON header), which a static schema cannot say. test/server-openapi.test.ts
 * pins the two together: a request this schema accepts is answered 200 in the response schema, and
 * each field this schema refuses is refused by the server, naming that field.
 */
const inferRequest = obj(
  {
    id: str,
    inputs: {
      type: 'array',
      minItems: 1,
      items: obj(
        {
          name: str,
          shape: ints,
          datatype: { enum: Object.keys(ACCEPTED_DATATYPES) },
          data: { type: 'array', description: 'Flat, or nested to match shape (row-major).' },
          parameters: binaryParams,
        },
        ['name', 'shape', 'datatype'],
      ),
    },
    outputs: {
      type: 'array',
      items: obj({ name: str, parameters: obj({ binary_data: bool }, []) }, ['name']),
    },
    parameters: obj({ binary_data_output: bool }, []),
  },
  ['inputs'],
);
const inferResponse = obj(
  {
    model_name: str,
    model_version: str,
    id: str,
    outputs: {
      type: 'array',
      items: obj(
        {
          name: str,
          datatype: { const: 'FP32' },
          shape: ints,
          data: { type: 'array', items: num },
          parameters: binaryParams,
        },
        ['name', 'datatype', 'shape'],
      ),
    },
  },
  ['model_name', 'outputs'],
);
const nats = { const: 'nats per example' };
const metadata: RouteDoc = { summary: 'Model metadata (Open Inference Protocol).', response: modelMeta };
const modelReady: RouteDoc = { summary: 'Model readiness.', response: obj({ name: str, ready: bool }) };
const infer: RouteDoc = {
  summary:
    'Inference on <name>-encoder or <name>-decoder (Open Inference Protocol; binary tensor data extension with the inference-header-content-length header).',
  request: inferRequest,
  response: inferResponse,
};

/** Every route's documentation; {@link openApiDocument} refuses a registered route missing here. */
const ROUTE_DOCS: Readonly<Record<string, RouteDoc>> = {
  'GET /v2/health/live': { summary: 'Liveness.', response: obj({ live: bool }) },
  'GET /v2/health/ready': { summary: 'Readiness (503 while the model loads).', response: obj({ ready: bool }) },
  'GET /v2': {
    summary: 'Server metadata and the routes it serves.',
    response: obj({
      name: str,
      version: str,
      extensions: { type: 'array', items: str },
      routes: { type: 'array', items: str },
    }),
  },
  'GET /v2/models/:name': metadata,
  'GET /v2/models/:name/versions/:version': metadata,
  'GET /v2/models/:name/ready': modelReady,
  'GET /v2/models/:name/versions/:version/ready': modelReady,
  'POST /v2/models/:name/infer': infer,
  'POST /v2/models/:name/versions/:version/infer': infer,
  'GET /api/model': {
    summary:
      "The loaded model: kind, shapes, the device and backend it runs on, the devices left before it, and its golden check (every output's max |Δ| against its tolerance).",
    response: modelInfo,
  },
  'POST /api/embed': {
    summary: 'Embeddings (μ, or z for deterministic kinds) of image rows.',
    response: obj({ embedding: rows }),
  },
  'POST /api/reconstruct': {
    summary: 'Reconstructions (decoder mean of the embedding) of image rows.',
    response: obj({ images: rows, imageShape: ints }),
  },
  'POST /api/sample': {
    summary: 'Images decoded from prior draws.',
    response: obj({ images: rows, imageShape: ints, seed: { type: 'integer' } }),
  },
  'POST /api/elbo': {
    summary: 'ELBO per row (variational kinds), in the evaluation queue.',
    response: obj({ elbo: { type: 'array', items: num }, unit: nats, seed: { type: 'integer' } }),
  },
  'POST /api/log-likelihood': {
    summary: 'Importance-sampled log p(x) per row (variational kinds), in the evaluation queue.',
    response: obj({
      logLikelihood: { type: 'array', items: num },
      unit: nats,
      samples: { type: 'integer' },
      seed: { type: 'integer' },
      chunkSize: { type: 'integer' },
    }),
  },
  'POST /api/search': {
    summary: 'Nearest stored embeddings (404 unless the server was started with a search table).',
    response: obj({
      neighbours: { type: 'array', items: obj({ id: { type: 'integer' }, label: { type: 'integer' }, distance: num }) },
      k: { type: 'integer' },
      query: { enum: ['id', 'vector', 'x'] },
    }),
  },
  'GET /metrics': { summary: 'Prometheus metrics (text exposition format).', response: str, contentType: 'text/plain' },
  'GET /openapi.json': { summary: 'This document.', response: { type: 'object' }, contentType: 'application/json' },
};

/** A documented example body of each `/api` route for `model` (rows of 0.5, one-hot class 0). */
export function apiExamples(model: VaeModel | undefined): Record<keyof ApiBodies, Record<string, unknown>> {
  const d = model?.inputSize ?? 784;
  const x = [Array.from({ length: d }, () => 0.5)];
  const y =
    model && model.numClasses > 0 ? { y: [Array.from({ length: model.numClasses }, (_, i) => (i === 0 ? 1 : 0))] } : {};
  return {
    '/api/embed': { x, ...y },
    '/api/reconstruct': { x, ...y },
    '/api/sample': {
      n: 2,
      seed: 1,
      temperature: 1,
      ...(model && model.numClasses > 0 ? { y: [y.y![0], y.y![0]] } : {}),
    },
    '/api/elbo': { x, seed: 1, ...y },
    '/api/log-likelihood': { x, seed: 1, samples: 10, ...y },
    '/api/search': { id: 0, k: 5 },
  };
}

const openApiPath = (url: string): string => url.replace(/:([^/]+)/g, '{$1}');
const errorResponse = {
  description: 'An error: `{"error": "field: expected …, got …"}` (4xx), with the request id on 5xx.',
  content: { 'application/json': { schema: obj({ error: str }) } },
};

/**
 * The OpenAPI 3.1 document of the registered `routes`: `/api` request bodies from the same
 * {@link BodySpec}s the handlers validate with (widths exact when `model` is loaded), an example
 * body per `/api` route. Throws when a route has no documentation, so a new route cannot ship without it.
 */
export function openApiDocument(
  routes: readonly RouteEntry[],
  bodies: ApiBodies,
  model: VaeModel | undefined,
  info: { readonly title: string; readonly version: string },
): Record<string, unknown> {
  const examples = apiExamples(model);
  const paths: Record<string, Record<string, unknown>> = {};
  for (const { method, url } of routes) {
    const doc = ROUTE_DOCS[`${method} ${url}`];
    if (!doc)
      throw new Error(`openapi: expected documentation for route ${method} ${url}, got none (add it to ROUTE_DOCS)`);
    const body = (bodies as Record<string, BodySpec>)[url];
    const request = body ? bodySchema(body, model) : doc.request;
    const example = (examples as Record<string, unknown>)[url];
    const params = [...url.matchAll(/:([^/]+)/g)].map((m) => ({ name: m[1], in: 'path', required: true, schema: str }));
    const item = paths[openApiPath(url)] ?? {};
    paths[openApiPath(url)] = item;
    item[method.toLowerCase()] = {
      summary: doc.summary,
      operationId: `${method.toLowerCase()}${openApiPath(url).replace(/[^A-Za-z0-9]+(.)?/g, (_, c: string | undefined) => (c ?? '').toUpperCase())}`,
      ...(params.length > 0 ? { parameters: params } : {}),
      ...(request
        ? {
            requestBody: {
              required: true,
              content: { 'application/json': { schema: request, ...(example ? { example } : {}) } },
            },
          }
        : {}),
      responses: {
        '200': { description: 'OK', content: { [doc.contentType ?? 'application/json']: { schema: doc.response } } },
        '4XX': errorResponse,
        '5XX': errorResponse,
      },
    };
  }
  return { openapi: '3.1.0', info, paths };
}
