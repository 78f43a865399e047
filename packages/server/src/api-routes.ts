import type { FastifyInstance } from 'fastify';
import { Rng, rowsPerRunFor, samplePrior, type ModelSpec, type Tensor, type VaeModel } from '@vae/core';
import { badRequest } from './http-error.js';
import { apiBodies, type ApiBodies, type BodySpec, type RowsSpec } from './api-schema.js';
import { describe, numberField, parseRows, refuseUnknownFields, toRows } from './json-tensors.js';
import { apiModelInfo, type ModelEndpoint, type NamedTensors } from './model-endpoints.js';
import { SERVER_DEFAULTS, type EvaluationLimits } from './server-options.js';
import { MAX_SEARCH_K, registerSearchRoute, type SearchProvider } from './search-route.js';
import type { WorkQueue } from './work-queue.js';

/** The evaluation routes: bounded by {@link EvaluationLimits} and run through their own queue. */
export const EVALUATION_ROUTES: readonly string[] = Object.freeze(['/api/elbo', '/api/log-likelihood']);

/** Whether a request URL (path and query) targets an evaluation route. */
export function isEvaluationRoute(url: string): boolean {
  const q = url.indexOf('?');
  return EVALUATION_ROUTES.includes(q === -1 ? url : url.slice(0, q));
}

/**
 * Rows one log-likelihood request may decode at once for a model: the server's `maxChunkRows`, or
 * fewer for a decoder whose activations would exceed core's run budget (`rowsPerRunFor`: a 64×64×3
 * VanillaVAE gets 297 rows, not 1024 × ~1.8 MB).
 */
export function evaluationChunkRows(limits: EvaluationLimits, spec: ModelSpec): number {
  return Math.min(limits.maxChunkRows, rowsPerRunFor(spec));
}

/** What the convenience routes need from the server. */
export interface ApiContext {
  /** The loaded model and its endpoints, or throws 503. */
  readonly requireReady: () => { model: VaeModel; endpoints: Readonly<Record<string, ModelEndpoint>>; name: string };
  readonly evaluations: WorkQueue;
  readonly limits: EvaluationLimits;
  readonly maxRows: number;
  readonly maxSamples: number;
  /** Similarity search over stored embeddings (`/api/search`), or null. */
  readonly search: SearchProvider | null;
}

/** The request body as an object holding only the fields `spec` describes (400 naming the first other one). */
function bodyOf(body: unknown, spec: BodySpec): Record<string, unknown> {
  if (body === null || typeof body !== 'object' || Array.isArray(body)) {
    throw badRequest(
      `body: expected a JSON object, got ${Array.isArray(body) ? 'an array' : body === null ? 'null' : typeof body}`,
    );
  }
  refuseUnknownFields(body as Record<string, unknown>, spec);
  return body as Record<string, unknown>;
}

/** Yields to the event loop (so health probes and the infer path get a turn between chunks). */
const yieldToLoop = (): Promise<void> => new Promise((r) => setImmediate(r));

/**
 * Registers `GET /api/model` (device, backend, golden check), `/api/embed`, `/api/reconstruct`, `/api/sample` (through the micro-batched endpoints)
 * and the evaluation routes `/api/elbo`, `/api/log-likelihood` (through the evaluation queue, within
 * the work budget rows × samples and the chunk bound rows × chunkSize, stopped at the deadline),
 * and `/api/search` (see {@link registerSearchRoute}). Returns the body descriptions the routes
 * validate with (for the OpenAPI document).
 */
export function registerApiRoutes(app: FastifyInstance, ctx: ApiContext): ApiBodies {
  const { maxRows, maxSamples, limits } = ctx;
  const bodies = apiBodies({
    maxRows,
    maxSamples,
    maxSampleImages: SERVER_DEFAULTS.maxSampleImages,
    maxSearchK: MAX_SEARCH_K,
  });
  const rowsSpec: RowsSpec = bodies['/api/embed'].fields.x;
  /** The image rows `x` of a request: each the model's `H·W·C` values in HWC order. */
  const imageRows = (model: VaeModel, x: unknown): Tensor =>
    parseRows(x, model.inputSize, 'x', rowsSpec.maxRows, model.manifest.imageShape);
  const labels = (model: VaeModel, body: Record<string, unknown>, rows: number): Tensor | undefined => {
    if (model.numClasses === 0) {
      if (body.y !== undefined)
        throw badRequest(`y: expected no labels for unconditional kind ${model.manifest.kind}, got ${typeof body.y}`);
      return undefined;
    }
    const y = parseRows(body.y, model.numClasses, 'y', rowsSpec.maxRows);
    if (y.shape[0] !== rows) throw badRequest(`y: expected ${rows} rows (one per input), got ${y.shape[0]}`);
    return y;
  };
  const submit = (ep: ModelEndpoint, input: Tensor, y: Tensor | undefined): Promise<NamedTensors> =>
    ep.batcher.submit({ [ep.metadata.inputs[0]!.name]: input, ...(y ? { y } : {}) });
  const encodeRows = (m: ReturnType<ApiContext['requireReady']>, x: Tensor, y: Tensor | undefined) =>
    submit(m.endpoints[`${m.name}-encoder`]!, x, y);
  const decodeRows = (m: ReturnType<ApiContext['requireReady']>, z: Tensor, y: Tensor | undefined) =>
    submit(m.endpoints[`${m.name}-decoder`]!, z, y);
  const embedding = (model: VaeModel, out: NamedTensors): Tensor =>
    out[model.manifest.graphs.encoder.outputs[0]!.name]!;
  const meanOf = (model: VaeModel, out: NamedTensors): Tensor => out[model.manifest.graphs.decoder.outputs[1]!.name]!;
  const variational = (model: VaeModel, what: string): void => {
    if (!model.variational)
      throw badRequest(`model: expected a variational model for ${what}, got kind ${model.manifest.kind}`);
  };
  const budget = (rows: number, samples: number): void => {
    if (rows * samples > limits.maxWorkRows) {
      throw badRequest(
        `samples: expected rows × samples ≤ ${limits.maxWorkRows} (the work budget of one request), got ${rows} × ${samples} = ${rows * samples}; split the rows over several requests`,
      );
    }
    if (rows > limits.maxChunkRows)
      throw badRequest(`x: expected at most ${limits.maxChunkRows} rows for an evaluation, got ${rows}`);
  };

  registerSearchRoute(app, {
    provider: ctx.search,
    body: bodies['/api/search'],
    imageShape: () => ctx.requireReady().model.manifest.imageShape,
    embedRow: async (x) => {
      const m = ctx.requireReady();
      if (m.model.numClasses > 0)
        throw badRequest(`x: expected an unconditional model for search by image, got kind ${m.model.manifest.kind}`);
      return embedding(m.model, await encodeRows(m, x, undefined));
    },
  });
  app.get('/api/model', async () => {
    const m = ctx.requireReady();
    return apiModelInfo(m.model, m.name);
  });
  app.post('/api/embed', async (req) => {
    const m = ctx.requireReady();
    const body = bodyOf(req.body, bodies['/api/embed']);
    const x = imageRows(m.model, body.x);
    return { embedding: toRows(embedding(m.model, await encodeRows(m, x, labels(m.model, body, x.shape[0]!)))) };
  });
  app.post('/api/reconstruct', async (req) => {
    const m = ctx.requireReady();
    const body = bodyOf(req.body, bodies['/api/reconstruct']);
    const x = imageRows(m.model, body.x);
    const y = labels(m.model, body, x.shape[0]!);
    const z = embedding(m.model, await encodeRows(m, x, y));
    return { images: toRows(meanOf(m.model, await decodeRows(m, z, y))), imageShape: m.model.manifest.imageShape };
  });
  app.post('/api/sample', async (req) => {
    const m = ctx.requireReady();
    const body = bodyOf(req.body, bodies['/api/sample']);
    const { fields } = bodies['/api/sample'];
    const n = numberField(body, 'n', fields.n);
    const seed = numberField(body, 'seed', fields.seed);
    const temperature = numberField(body, 'temperature', fields.temperature);
    const y = labels(m.model, body, n);
    const z = samplePrior(new Rng(seed), n, m.model.latentDim, temperature);
    return {
      images: toRows(meanOf(m.model, await decodeRows(m, z, y))),
      imageShape: m.model.manifest.imageShape,
      seed,
    };
  });
  app.post('/api/elbo', async (req) => {
    const { model } = ctx.requireReady();
    variational(model, 'ELBO');
    const body = bodyOf(req.body, bodies['/api/elbo']);
    const x = imageRows(model, body.x);
    const seed = numberField(body, 'seed', bodies['/api/elbo'].fields.seed);
    const y = labels(model, body, x.shape[0]!);
    budget(x.shape[0]!, 1);
    const elbo = await ctx.evaluations.run(async (work) => {
      work.check();
      return model.elbo(x, { seed, ...(y ? { y } : {}) });
    });
    return { elbo: Array.from(elbo), unit: 'nats per example', seed };
  });
  app.post('/api/log-likelihood', async (req) => {
    const { model } = ctx.requireReady();
    variational(model, 'log-likelihood');
    const body = bodyOf(req.body, bodies['/api/log-likelihood']);
    const x = imageRows(model, body.x);
    const rows = x.shape[0]!;
    const { fields } = bodies['/api/log-likelihood'];
    const samples = numberField(body, 'samples', fields.samples);
    const seed = numberField(body, 'seed', fields.seed);
    budget(rows, samples);
    const chunkRows = evaluationChunkRows(limits, model.manifest.spec);
    const maxChunk = Math.max(1, Math.floor(chunkRows / rows));
    const chunkSize = body.chunkSize ?? Math.min(100, maxChunk);
    if (typeof chunkSize !== 'number' || !Number.isInteger(chunkSize) || chunkSize < 1 || chunkSize > maxChunk) {
      const why = chunkRows < limits.maxChunkRows ? ", this model's activation budget" : '';
      throw badRequest(
        `chunkSize: expected an integer in [1, ${maxChunk}] for ${rows} rows (rows × chunkSize ≤ ${chunkRows}, the rows decoded at once${why}), got ${describe(chunkSize)}`,
      );
    }
    const y = labels(model, body, rows);
    // The model's own estimator (its scorer graph when it has one), with a deadline check and a turn
    // of the event loop before every chunk.
    const ll = await ctx.evaluations.run((work) =>
      model.logLikelihood(x, {
        samples,
        seed,
        chunkSize,
        ...(y ? { y } : {}),
        beforeChunk: async () => {
          work.check();
          await yieldToLoop();
        },
      }),
    );
    return { logLikelihood: Array.from(ll), unit: 'nats per example', samples, seed, chunkSize };
  });
  return bodies;
}
