import Fastify, { type FastifyError, type FastifyInstance, type FastifyReply } from 'fastify';
import { Rng, getLogger, samplePrior, type Tensor, type VaeModel } from '@vae/core';
import { HttpError, badRequest } from './http-error.js';
import { MicroBatcher } from './micro-batcher.js';
import { V2_VERSION, createModelEndpoints, type BatchingOptions, type ModelEndpoint, type NamedTensors } from './model-endpoints.js';
import { createServerMetrics, type ServerMetrics } from './server-metrics.js';
import { SERVER_DEFAULTS, type VaeServerOptions } from './server-options.js';
import { intField, numberField, parseRows, toRows } from './json-tensors.js';
import { float32Bytes, outputTensor, parseInferRequest, type V2InferResponse } from './v2-protocol.js';
import { splitBinaryBody } from './v2-binary.js';

const log = getLogger('server');

/** Server name and version reported by `GET /v2`. */
export const SERVER_INFO = Object.freeze({ name: 'vae-everywhere', version: '0.1.0', extensions: Object.freeze(['binary_tensor_data']) });

/** Request/response header giving the length of the JSON part of a binary-extension body. */
export const INFERENCE_HEADER = 'inference-header-content-length';

/** A running (or startable) server. */
export interface VaeServer {
  readonly app: FastifyInstance;
  readonly metrics: ServerMetrics;
  /** Resolves when the model is loaded (rejects if the factory fails). */
  readonly ready: Promise<void>;
  /** Listens on `host:port` (default 127.0.0.1:0) and resolves to the base URL. */
  listen(o?: { readonly host?: string; readonly port?: number }): Promise<string>;
  /** Graceful shutdown: stops accepting, finishes in-flight requests and batches, releases an owned model. */
  close(): Promise<void>;
}

interface State {
  model: VaeModel | undefined;
  name: string | undefined;
  endpoints: Record<string, ModelEndpoint>;
  evaluations: MicroBatcher<() => Promise<unknown>, unknown> | undefined;
  status: 'loading' | 'ready' | 'failed' | 'closing';
  failure?: string;
}

function isRecord(v: unknown): v is Record<string, unknown> {
  return v !== null && typeof v === 'object' && !Array.isArray(v);
}

/**
 * An Open Inference Protocol (KServe V2) REST server over a {@link VaeModel}: health, server and
 * model metadata, `infer` for `<name>-encoder` and `<name>-decoder` with dynamic micro-batching,
 * convenience routes under `/api`, and Prometheus metrics at `/metrics`.
 */
export function createVaeServer(options: VaeServerOptions): VaeServer {
  if (!isRecord(options) || (typeof options.model !== 'function' && !isRecord(options.model))) {
    throw new TypeError(`options.model: expected a VaeModel or a factory returning one, got ${isRecord(options) ? typeof options.model : String(options)}`);
  }
  const batching: BatchingOptions = { ...SERVER_DEFAULTS.batching, ...options.batching };
  const bodyLimit = options.bodyLimit ?? SERVER_DEFAULTS.bodyLimit;
  const maxRows = options.maxRowsPerRequest ?? SERVER_DEFAULTS.maxRowsPerRequest;
  const maxSamples = options.maxSamples ?? SERVER_DEFAULTS.maxSamples;
  const isFactory = typeof options.model === 'function';
  if (isFactory && options.name === undefined) throw new TypeError('options.name: expected a model name when options.model is a factory, got undefined');
  const ownsModel = options.ownsModel ?? isFactory;
  const metrics = createServerMetrics({ defaultMetrics: options.defaultMetrics ?? true });
  const state: State = { model: undefined, name: options.name, endpoints: {}, evaluations: undefined, status: 'loading' };

  const attach = (model: VaeModel): void => {
    const name = options.name ?? model.manifest.name;
    state.model = model;
    state.name = name;
    state.endpoints = createModelEndpoints(model, name, batching, (graph, rows, requests) => {
      metrics.batchRows.observe({ model: `${name}-${graph}` }, rows);
      metrics.batchRequests.observe({ model: `${name}-${graph}` }, requests);
    });
    state.evaluations = new MicroBatcher<() => Promise<unknown>, unknown>({
      enabled: false,
      maxBatchSize: 1,
      maxQueueDelayMs: 0,
      maxQueueSize: Math.max(1, Math.ceil(batching.maxQueueSize / 16)),
      rows: () => 1,
      run: async ([job]) => [await job!()],
    });
    state.status = 'ready';
  };

  const ready: Promise<void> = isFactory
    ? (options.model as () => Promise<VaeModel>)().then(
        (m) => {
          if (state.status === 'closing') return void m.release();
          attach(m);
          log.info(`model ${state.name} ready on ${m.device}`);
        },
        (err: unknown) => {
          state.status = 'failed';
          state.failure = err instanceof Error ? err.message : String(err);
          log.error(`model failed to load: ${state.failure}`);
          throw err;
        },
      )
    : Promise.resolve(attach(options.model as VaeModel));
  ready.catch(() => undefined);

  const app = Fastify({ logger: false, bodyLimit, return503OnClosing: true, forceCloseConnections: 'idle' });

  // Bodies with binary tensor data (JSON header + raw bytes) arrive as a Buffer; plain JSON is parsed
  // by Fastify's default (prototype-poisoning-safe) parser.
  const jsonParser = app.getDefaultJsonParser('error', 'error');
  app.removeContentTypeParser('application/json');
  app.addContentTypeParser('application/json', { parseAs: 'buffer' }, (request, body, done) => {
    if (request.headers[INFERENCE_HEADER] !== undefined) return done(null, body);
    return jsonParser(request, (body as Buffer).toString('utf8'), done);
  });
  app.addContentTypeParser('application/octet-stream', { parseAs: 'buffer' }, (_request, body, done) => done(null, body));

  const requireReady = (): { model: VaeModel; endpoints: Record<string, ModelEndpoint> } => {
    if (state.status !== 'ready' || !state.model) {
      throw new HttpError(503, `model: expected a loaded model, got status ${state.status}${state.failure ? ` (${state.failure})` : ''}`, { 'retry-after': '1' });
    }
    return { model: state.model, endpoints: state.endpoints };
  };
  const endpointFor = (name: string, version?: string): ModelEndpoint => {
    const { endpoints } = requireReady();
    const ep = endpoints[name];
    if (!ep) throw new HttpError(404, `model: expected one of ${Object.keys(endpoints).join('|')}, got ${JSON.stringify(name)}`);
    if (version !== undefined && version !== V2_VERSION) {
      throw new HttpError(404, `version: expected ${V2_VERSION} for model ${name}, got ${JSON.stringify(version)}`);
    }
    return ep;
  };
  const send = (reply: FastifyReply, err: HttpError): FastifyReply => {
    for (const [k, v] of Object.entries(err.headers)) void reply.header(k, v);
    return reply.code(err.statusCode).send({ error: err.message });
  };

  app.setErrorHandler((err: FastifyError | HttpError | Error, request, reply) => {
    if (err instanceof HttpError) return send(reply, err);
    const code = (err as FastifyError).code;
    const status = (err as FastifyError).statusCode;
    if (code === 'FST_ERR_CTP_BODY_TOO_LARGE') {
      const size = request.headers['content-length'];
      return send(reply, new HttpError(413, `body: expected at most ${bodyLimit} bytes, got ${size === undefined ? 'more' : `${size} bytes`}`));
    }
    if (typeof status === 'number' && status >= 400 && status < 500) return send(reply, new HttpError(status, `body: ${err.message}`));
    if (err instanceof RangeError || err instanceof TypeError) return send(reply, badRequest(err.message));
    log.error(`request failed: ${err.message}`);
    return send(reply, new HttpError(500, err.message));
  });
  app.setNotFoundHandler((request, reply) => send(reply, new HttpError(404, `route: expected a known route (see GET /v2), got ${request.method} ${request.url.split('?')[0]}`)));
  app.addHook('onSend', (_request, reply, payload, done) => {
    if (state.status === 'closing') void reply.header('connection', 'close');
    done(null, payload);
  });
  app.addHook('onResponse', (request, reply, done) => {
    const route = request.routeOptions.url ?? 'unmatched';
    metrics.requests.inc({ method: request.method, route, status: String(reply.statusCode) });
    metrics.latency.observe({ route }, reply.elapsedTime / 1000);
    done();
  });

  // Health and metadata.
  app.get('/v2/health/live', async () => ({ live: true }));
  app.get('/v2/health/ready', async (_req, reply) => {
    const ok = state.status === 'ready';
    return reply.code(ok ? 200 : 503).send({ ready: ok });
  });
  app.get('/v2', async () => SERVER_INFO);
  const metadata = async (req: { params: { name: string; version?: string } }) => endpointFor(req.params.name, req.params.version).metadata;
  app.get<{ Params: { name: string } }>('/v2/models/:name', metadata);
  app.get<{ Params: { name: string; version: string } }>('/v2/models/:name/versions/:version', metadata);
  const modelReady = async (req: { params: { name: string; version?: string } }) => {
    const ep = endpointFor(req.params.name, req.params.version);
    return { name: ep.metadata.name, ready: true };
  };
  app.get<{ Params: { name: string } }>('/v2/models/:name/ready', modelReady);
  app.get<{ Params: { name: string; version: string } }>('/v2/models/:name/versions/:version/ready', modelReady);

  // Inference.
  const infer = async (
    req: { params: { name: string; version?: string }; body: unknown; headers: Record<string, string | string[] | undefined> },
    reply: FastifyReply,
  ): Promise<V2InferResponse | FastifyReply> => {
    const ep = endpointFor(req.params.name, req.params.version);
    const { json, binary } = Buffer.isBuffer(req.body) ? splitBinaryBody(req.body, req.headers[INFERENCE_HEADER]) : { json: req.body, binary: undefined };
    const parsed = parseInferRequest(json, ep.metadata, maxRows, binary);
    metrics.queueDepth.set({ model: ep.metadata.name }, ep.batcher.depth + 1);
    const out = await ep.batcher.submit(parsed.inputs);
    metrics.queueDepth.set({ model: ep.metadata.name }, ep.batcher.depth);
    const chunks: Uint8Array[] = [];
    const response: V2InferResponse = {
      model_name: ep.metadata.name,
      model_version: V2_VERSION,
      ...(parsed.id === undefined ? {} : { id: parsed.id }),
      outputs: parsed.outputs.map((name) => {
        const t = out[name]!;
        if (!parsed.binaryOutputs.has(name)) return outputTensor(name, t);
        const bytes = float32Bytes(t);
        chunks.push(bytes);
        return { name, datatype: 'FP32', shape: [...t.shape], parameters: { binary_data_size: bytes.length } };
      }),
    };
    if (chunks.length === 0) return response;
    const header = Buffer.from(JSON.stringify(response), 'utf8');
    return reply
      .header(INFERENCE_HEADER, String(header.length))
      .header('content-type', 'application/octet-stream')
      .send(Buffer.concat([header, ...chunks]));
  };
  app.post<{ Params: { name: string } }>('/v2/models/:name/infer', infer);
  app.post<{ Params: { name: string; version: string } }>('/v2/models/:name/versions/:version/infer', infer);

  // Convenience routes.
  const bodyOf = (body: unknown): Record<string, unknown> => {
    if (!isRecord(body)) throw badRequest('body: expected a JSON object, got ' + (Array.isArray(body) ? 'an array' : typeof body));
    return body;
  };
  const labels = (model: VaeModel, body: Record<string, unknown>, rows: number): Tensor | undefined => {
    if (model.numClasses === 0) {
      if (body.y !== undefined) throw badRequest(`y: expected no labels for unconditional kind ${model.manifest.kind}, got ${typeof body.y}`);
      return undefined;
    }
    const y = parseRows(body.y, model.numClasses, 'y', maxRows);
    if (y.shape[0] !== rows) throw badRequest(`y: expected ${rows} rows (one per input), got ${y.shape[0]}`);
    return y;
  };
  type Endpoints = Record<string, ModelEndpoint>;
  const encodeRows = async (endpoints: Endpoints, x: Tensor, y: Tensor | undefined): Promise<NamedTensors> => {
    const ep = endpoints[`${state.name}-encoder`]!;
    const feeds: Record<string, Tensor> = { [ep.metadata.inputs[0]!.name]: x, ...(y ? { y } : {}) };
    return ep.batcher.submit(feeds);
  };
  const decodeRows = async (endpoints: Endpoints, z: Tensor, y: Tensor | undefined): Promise<NamedTensors> => {
    const ep = endpoints[`${state.name}-decoder`]!;
    const feeds: Record<string, Tensor> = { [ep.metadata.inputs[0]!.name]: z, ...(y ? { y } : {}) };
    return ep.batcher.submit(feeds);
  };
  const embedding = (model: VaeModel, out: NamedTensors): Tensor => out[model.manifest.graphs.encoder.outputs[0]!.name]!;
  const meanOf = (model: VaeModel, out: NamedTensors): Tensor => out[model.manifest.graphs.decoder.outputs[1]!.name]!;
  const evaluate = <T>(job: () => Promise<T>): Promise<T> => state.evaluations!.submit(job) as Promise<T>;

  app.post('/api/embed', async (req) => {
    const { model, endpoints } = requireReady();
    const body = bodyOf(req.body);
    const x = parseRows(body.x, model.inputSize, 'x', maxRows);
    const out = await encodeRows(endpoints, x, labels(model, body, x.shape[0]!));
    return { embedding: toRows(embedding(model, out)) };
  });
  app.post('/api/reconstruct', async (req) => {
    const { model, endpoints } = requireReady();
    const body = bodyOf(req.body);
    const x = parseRows(body.x, model.inputSize, 'x', maxRows);
    const y = labels(model, body, x.shape[0]!);
    const z = embedding(model, await encodeRows(endpoints, x, y));
    return { images: toRows(meanOf(model, await decodeRows(endpoints, z, y))), imageShape: model.manifest.imageShape };
  });
  app.post('/api/sample', async (req) => {
    const { model, endpoints } = requireReady();
    const body = bodyOf(req.body);
    const n = intField(body, 'n', 1, SERVER_DEFAULTS.maxSampleImages, 1);
    const seed = intField(body, 'seed', 0, 0xffffffff);
    const temperature = numberField(body, 'temperature', 0, 10, 1);
    const y = labels(model, body, n);
    const z = samplePrior(new Rng(seed), n, model.latentDim, temperature);
    return { images: toRows(meanOf(model, await decodeRows(endpoints, z, y))), imageShape: model.manifest.imageShape, seed };
  });
  app.post('/api/elbo', async (req) => {
    const { model } = requireReady();
    if (!model.variational) throw badRequest(`model: expected a variational model for ELBO, got kind ${model.manifest.kind}`);
    const body = bodyOf(req.body);
    const x = parseRows(body.x, model.inputSize, 'x', maxRows);
    const seed = intField(body, 'seed', 0, 0xffffffff);
    const y = labels(model, body, x.shape[0]!);
    const elbo = await evaluate(() => model.elbo(x, { seed, ...(y ? { y } : {}) }));
    return { elbo: Array.from(elbo), unit: 'nats per example', seed };
  });
  app.post('/api/log-likelihood', async (req) => {
    const { model } = requireReady();
    if (!model.variational) throw badRequest(`model: expected a variational model for log-likelihood, got kind ${model.manifest.kind}`);
    const body = bodyOf(req.body);
    const x = parseRows(body.x, model.inputSize, 'x', maxRows);
    const samples = intField(body, 'samples', 1, maxSamples, 100);
    const seed = intField(body, 'seed', 0, 0xffffffff);
    const chunkSize = body.chunkSize === undefined ? undefined : intField(body, 'chunkSize', 1, maxSamples);
    const y = labels(model, body, x.shape[0]!);
    const ll = await evaluate(() =>
      model.logLikelihood(x, { samples, seed, ...(chunkSize === undefined ? {} : { chunkSize }), ...(y ? { y } : {}) }),
    );
    return { logLikelihood: Array.from(ll), unit: 'nats per example', samples, seed };
  });

  app.get('/metrics', async (_req, reply) => {
    for (const [name, ep] of Object.entries(state.endpoints)) metrics.queueDepth.set({ model: name }, ep.batcher.depth);
    return reply.header('content-type', metrics.registry.contentType).send(await metrics.registry.metrics());
  });

  let closing: Promise<void> | undefined;
  return {
    app,
    metrics,
    ready,
    async listen(o = {}) {
      const address = await app.listen({ host: o.host ?? '127.0.0.1', port: o.port ?? 0 });
      log.info(`listening on ${address}`);
      return address;
    },
    close() {
      closing ??= (async () => {
        const wasReady = state.status === 'ready';
        state.status = 'closing';
        // New requests now get 503; queued ones run at once instead of waiting for their batch delay
        // and answer with `connection: close`, so keep-alive sockets end; then the HTTP server closes.
        await Promise.all([...Object.values(state.endpoints).map((e) => e.batcher.drain()), state.evaluations?.drain()]);
        await app.close();
        if (wasReady && ownsModel && state.model) await state.model.release();
        log.info('server closed');
      })();
      return closing;
    },
  };
}
