import { STATUS_CODES, createServer } from 'node:http';
import Fastify, { type FastifyError, type FastifyInstance, type FastifyReply, type FastifyRequest } from 'fastify';
import { getLogger, type VaeModel } from '@vae/core';
import { Admission } from './admission.js';
import { isEvaluationRoute, registerApiRoutes } from './api-routes.js';
import { Guards, LOOPBACK_HOSTS, RouteMethods, isLoopback } from './http-guards.js';
import { HttpError, badRequest } from './http-error.js';
import { parseJsonBody } from './json-body.js';
import { openApiDocument } from './openapi.js';
import { V2_VERSION, createModelEndpoints, type BatchingOptions, type ModelEndpoint } from './model-endpoints.js';
import { REQUEST_ID_HEADER, createRequestIds } from './request-id.js';
import { createServerMetrics, recordModelMetrics, type ServerMetrics } from './server-metrics.js';
import { SERVER_DEFAULTS, type EvaluationLimits, type VaeServerOptions } from './server-options.js';
import { float32Bytes, outputTensor, parseInferRequest, type V2InferResponse } from './v2-protocol.js';
import { splitBinaryBody } from './v2-binary.js';
import { WorkQueue } from './work-queue.js';

const log = getLogger('server');

/** Server name and version reported by `GET /v2`. */
export const SERVER_INFO = Object.freeze({
  name: 'vae-everywhere',
  version: '0.1.0',
  extensions: Object.freeze(['binary_tensor_data']),
});

const SERVER_INFO_TITLE = Object.freeze({
  title: `${SERVER_INFO.name} inference server`,
  version: SERVER_INFO.version,
});

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
  status: 'loading' | 'ready' | 'failed' | 'closing';
}

function isRecord(v: unknown): v is Record<string, unknown> {
  return v !== null && typeof v === 'object' && !Array.isArray(v);
}

function positiveInteger(value: number, key: string): number {
  if (!Number.isInteger(value) || value < 1)
    throw new RangeError(`${key}: expected a positive integer, got ${String(value)}`);
  return value;
}

/** Fastify's own 4xx errors, reworded as `field: expected …, got …`. */
function frameworkMessage(err: FastifyError, request: FastifyRequest, bodyLimit: number): string {
  switch (err.code) {
    case 'FST_ERR_CTP_BODY_TOO_LARGE': {
      const size = request.headers['content-length'];
      return `body: expected at most ${bodyLimit} bytes, got ${size === undefined ? 'more' : `${size} bytes`}`;
    }
    case 'FST_ERR_CTP_INVALID_MEDIA_TYPE':
      return `content-type: expected application/json or application/octet-stream, got ${JSON.stringify(request.headers['content-type'] ?? null)}`;
    case 'FST_ERR_CTP_EMPTY_JSON_BODY':
      return 'body: expected a JSON document, got an empty body';
    case 'FST_ERR_BAD_URL':
      return `url: expected a valid percent-encoded path, got ${JSON.stringify(request.raw.url ?? '')}`;
    default:
      return `request: ${err.message}`;
  }
}

/**
 * An Open Inference Protocol (KServe V2) REST server over a {@link VaeModel}: health, server and
 * model metadata, `infer` for `<name>-encoder` and `<name>-decoder` with dynamic micro-batching,
 * convenience routes under `/api`, and Prometheus metrics at `/metrics`.
 *
 * Hardening: POST requests are admitted or shed (503 + Retry-After) before their body is read;
 * every request is validated (finite as float32) before it joins a batch; evaluation routes run in
 * their own bounded queue with a work budget and a deadline; `Host` allow-list, optional bearer
 * token, CORS only when asked; every error is `{"error": "…"}`, 5xx with a request id.
 */
export function createVaeServer(options: VaeServerOptions): VaeServer {
  if (!isRecord(options) || (typeof options.model !== 'function' && !isRecord(options.model))) {
    throw new TypeError(
      `options.model: expected a VaeModel or a factory returning one, got ${isRecord(options) ? typeof options.model : String(options)}`,
    );
  }
  const batching: BatchingOptions = { ...SERVER_DEFAULTS.batching, ...options.batching };
  const limits: EvaluationLimits = { ...SERVER_DEFAULTS.evaluation, ...options.evaluation };
  const bodyLimit = options.bodyLimit ?? SERVER_DEFAULTS.bodyLimit;
  const maxRows = options.maxRowsPerRequest ?? SERVER_DEFAULTS.maxRowsPerRequest;
  const maxSamples = options.maxSamples ?? SERVER_DEFAULTS.maxSamples;
  const headersTimeoutMs = positiveInteger(
    options.headersTimeoutMs ?? SERVER_DEFAULTS.headersTimeoutMs,
    'headersTimeoutMs',
  );
  const receiveTimeoutMs = positiveInteger(
    options.receiveTimeoutMs ?? SERVER_DEFAULTS.receiveTimeoutMs,
    'receiveTimeoutMs',
  );
  if (headersTimeoutMs > receiveTimeoutMs)
    throw new RangeError(
      `headersTimeoutMs: expected at most receiveTimeoutMs (${receiveTimeoutMs}), got ${headersTimeoutMs}`,
    );
  for (const key of ['maxWorkRows', 'maxChunkRows'] as const) positiveInteger(limits[key], `evaluation.${key}`);
  const isFactory = typeof options.model === 'function';
  if (isFactory && options.name === undefined)
    throw new TypeError('options.name: expected a model name when options.model is a factory, got undefined');
  const ownsModel = options.ownsModel ?? isFactory;
  const metrics = createServerMetrics({ defaultMetrics: options.defaultMetrics ?? true });
  const state: State = { model: undefined, name: options.name, endpoints: {}, status: 'loading' };
  const evaluations = new WorkQueue({
    maxConcurrent: limits.maxConcurrent,
    maxQueued: limits.maxQueued,
    timeoutMs: positiveInteger(options.requestTimeoutMs ?? SERVER_DEFAULTS.requestTimeoutMs, 'requestTimeoutMs'),
  });
  const nextId = createRequestIds();
  const admission = new Admission(
    {
      maxInFlight: positiveInteger(options.maxInFlight ?? SERVER_DEFAULTS.maxInFlight, 'maxInFlight'),
      maxInFlightBytes: positiveInteger(
        options.maxInFlightBytes ?? SERVER_DEFAULTS.maxInFlightBytes,
        'maxInFlightBytes',
      ),
      maxHeavy: limits.maxConcurrent + limits.maxQueued,
      bodyLimit,
    },
    isEvaluationRoute,
    nextId,
    (reason) => metrics.shed.inc({ reason }),
  );
  const guards = new Guards({
    ...(options.authToken === undefined ? {} : { authToken: options.authToken }),
    ...(options.cors === undefined ? {} : { cors: options.cors }),
  });

  const attach = (model: VaeModel): void => {
    const name = options.name ?? model.manifest.name;
    state.model = model;
    state.name = name;
    state.endpoints = createModelEndpoints(model, name, batching, (graph, rows, requests) => {
      metrics.batchRows.observe({ model: `${name}-${graph}` }, rows);
      metrics.batchRequests.observe({ model: `${name}-${graph}` }, requests);
    });
    recordModelMetrics(metrics, model, name);
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
          log.error(`model failed to load: ${err instanceof Error ? err.message : String(err)}`);
          throw err;
        },
      )
    : Promise.resolve(attach(options.model as VaeModel));
  ready.catch(() => undefined);

  const app = Fastify({
    logger: false,
    bodyLimit,
    return503OnClosing: false,
    forceCloseConnections: 'idle',
    genReqId: () => nextId(),
    requestIdHeader: false,
    // Node's own timeouts, checked every second: slow clients are cut off with 408.
    serverFactory: (handler) =>
      createServer(
        { headersTimeout: headersTimeoutMs, requestTimeout: receiveTimeoutMs, connectionsCheckingInterval: 1000 },
        admission.wrap(handler),
      ),
    clientErrorHandler: (err: NodeJS.ErrnoException, socket) => {
      if (err.code === 'ECONNRESET' || socket.destroyed) return;
      const [status, message] =
        err.code === 'ERR_HTTP_REQUEST_TIMEOUT'
          ? [
              408,
              `request: expected the headers within ${headersTimeoutMs} ms and the whole request within ${receiveTimeoutMs} ms, got neither in time`,
            ]
          : err.code === 'HPE_HEADER_OVERFLOW'
            ? [431, 'headers: expected at most 16 KiB of request headers, got more']
            : [400, `request: expected a well-formed HTTP/1.1 request, got a parse error (${err.code ?? 'unknown'})`];
      const body = JSON.stringify({ error: message });
      if (socket.writable)
        socket.end(
          `HTTP/1.1 ${status} ${STATUS_CODES[status]}\r\nContent-Type: application/json; charset=utf-8\r\nContent-Length: ${Buffer.byteLength(body)}\r\nConnection: close\r\n\r\n${body}`,
        );
      else socket.destroy();
    },
    frameworkErrors: (err, request, reply) => {
      void send(request, reply, new HttpError(400, frameworkMessage(err, request, bodyLimit)));
    },
  });
  const routes = new RouteMethods();
  routes.install(app);
  guards.install(app);

  // Bodies with binary tensor data (JSON header + raw bytes) arrive as a Buffer; plain JSON is parsed
  // here so syntax errors and prototype-poisoning keys get precise messages.
  app.removeContentTypeParser(['application/json', 'text/plain']);
  app.addContentTypeParser('application/json', { parseAs: 'buffer' }, (request, body, done) => {
    if (request.headers[INFERENCE_HEADER] !== undefined) return done(null, body);
    try {
      done(null, parseJsonBody((body as Buffer).toString('utf8')));
    } catch (err) {
      done(err as Error, undefined);
    }
  });
  app.addContentTypeParser('application/octet-stream', { parseAs: 'buffer' }, (_request, body, done) =>
    done(null, body),
  );

  const requireReady = (): { model: VaeModel; endpoints: Record<string, ModelEndpoint>; name: string } => {
    if (state.status !== 'ready' || !state.model) {
      const why =
        state.status === 'failed' ? 'the model failed to load; the server log has the reason' : 'retry shortly';
      throw new HttpError(503, `model: expected a loaded model, got status ${state.status} (${why})`, {
        'retry-after': '1',
      });
    }
    return { model: state.model, endpoints: state.endpoints, name: state.name! };
  };
  const endpointFor = (name: string, version?: string): ModelEndpoint => {
    const { endpoints } = requireReady();
    const ep = endpoints[name];
    if (!ep)
      throw new HttpError(
        404,
        `model: expected one of ${Object.keys(endpoints).join('|')}, got ${JSON.stringify(name)}`,
      );
    if (version !== undefined && version !== V2_VERSION) {
      throw new HttpError(404, `version: expected ${V2_VERSION} for model ${name}, got ${JSON.stringify(version)}`);
    }
    return ep;
  };
  /** Sends `{"error": message}`; a 5xx message also names the request id (the log has the details). */
  const send = (request: FastifyRequest, reply: FastifyReply, err: HttpError): FastifyReply => {
    for (const [k, v] of Object.entries(err.headers)) void reply.header(k, v);
    const message = err.statusCode >= 500 ? `${err.message} (request id ${request.id})` : err.message;
    return reply.code(err.statusCode).send({ error: message });
  };

  app.setErrorHandler((err: FastifyError | HttpError | Error, request, reply) => {
    if (err instanceof HttpError) return send(request, reply, err);
    const status = (err as FastifyError).statusCode;
    if (typeof status === 'number' && status >= 400 && status < 500) {
      return send(request, reply, new HttpError(status, frameworkMessage(err as FastifyError, request, bodyLimit)));
    }
    if (err instanceof RangeError || err instanceof TypeError) return send(request, reply, badRequest(err.message));
    log.error(`request ${request.id} (${request.method} ${request.url}) failed: ${err.stack ?? err.message}`);
    return send(
      request,
      reply,
      new HttpError(500, 'internal error: the request failed on the server; the server log has the details'),
    );
  });
  app.setNotFoundHandler((request, reply) => {
    const path = request.url.split('?')[0]!;
    const allow = routes.allowed(path);
    if (allow.length > 0) {
      return send(
        request,
        reply,
        new HttpError(405, `method: expected ${allow.join('|')} for ${path}, got ${request.method}`, {
          allow: allow.join(', '),
        }),
      );
    }
    return send(
      request,
      reply,
      new HttpError(
        404,
        `route: expected one of ${routeList().join(', ')} (GET /openapi.json documents them), got ${request.method} ${path}`,
      ),
    );
  });
  app.addHook('onSend', (request, reply, payload, done) => {
    void reply.header(REQUEST_ID_HEADER, request.id);
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
  /** `METHOD /path` of every route, for `GET /v2` and the 404 hint. */
  const routeList = (): string[] => routes.list().map((r) => `${r.method} ${r.url}`);
  app.get('/v2', async () => ({ ...SERVER_INFO, routes: routeList() }));
  const metadata = async (req: { params: { name: string; version?: string } }) =>
    endpointFor(req.params.name, req.params.version).metadata;
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
    req: {
      params: { name: string; version?: string };
      body: unknown;
      headers: Record<string, string | string[] | undefined>;
    },
    reply: FastifyReply,
  ): Promise<V2InferResponse | FastifyReply> => {
    const ep = endpointFor(req.params.name, req.params.version);
    const { json, binary } = Buffer.isBuffer(req.body)
      ? splitBinaryBody(req.body, req.headers[INFERENCE_HEADER])
      : { json: req.body, binary: undefined };
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

  const bodies = registerApiRoutes(app, {
    requireReady,
    evaluations,
    limits,
    maxRows,
    maxSamples,
    search: options.search ?? null,
  });

  app.get('/metrics', async (_req, reply) => {
    if (state.model) recordModelMetrics(metrics, state.model, state.name!);
    for (const [name, ep] of Object.entries(state.endpoints)) metrics.queueDepth.set({ model: name }, ep.batcher.depth);
    metrics.queueDepth.set({ model: 'evaluations' }, evaluations.depth);
    return reply.header('content-type', metrics.registry.contentType).send(await metrics.registry.metrics());
  });

  let openApi: Record<string, unknown> | undefined;
  app.get('/openapi.json', async () => {
    // Built once the model is known, so row widths and examples are exact for it.
    if (!state.model) return openApiDocument(routes.list(), bodies, undefined, SERVER_INFO_TITLE);
    openApi ??= openApiDocument(routes.list(), bodies, state.model, SERVER_INFO_TITLE);
    return openApi;
  });

  let closing: Promise<void> | undefined;
  return {
    app,
    metrics,
    ready,
    async listen(o = {}) {
      const host = o.host ?? '127.0.0.1';
      guards.allowHosts(options.allowedHosts ?? (isLoopback(host) ? LOOPBACK_HOSTS : undefined));
      const address = await app.listen({ host, port: o.port ?? 0 });
      log.info(`listening on ${address}`);
      return address;
    },
    close() {
      closing ??= (async () => {
        const wasReady = state.status === 'ready';
        state.status = 'closing';
        // New requests now get 503 on arrival; queued ones run at once instead of waiting for their
        // batch delay and answer with `connection: close`, so keep-alive sockets end; then the HTTP
        // server closes.
        admission.close();
        await Promise.all([...Object.values(state.endpoints).map((e) => e.batcher.drain()), evaluations.drain()]);
        await app.close();
        if (wasReady && ownsModel && state.model) await state.model.release();
        log.info('server closed');
      })();
      return closing;
    },
  };
}
