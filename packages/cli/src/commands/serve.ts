import type { Argv, CommandModule } from 'yargs';
import { integerOption } from './integer-option.js';
import { quietLanceDbLog } from '../lancedb-log.js';
import { formatVerification, getLogger, type DeviceRequest } from '@vae/core';
import { NODE_DEVICES } from '@vae/runtime-node/options';
import { SERVER_DEFAULTS } from '@vae/server/options';
import type { VaeServer, VaeServerOptions } from '@vae/server';
import { shutdownSignal } from '../shutdown-signal.js';
import { importOptional } from '../optional-package.js';

const log = getLogger('vae:serve');

interface ServeArgs {
  model: string;
  port: number;
  host: string;
  device: DeviceRequest;
  threads?: number;
  name?: string;
  batching: boolean;
  'max-batch-size': number;
  'max-queue-delay-ms': number;
  'max-queue-size': number;
  'body-limit': number;
  'max-in-flight': number;
  'max-in-flight-bytes': number;
  'eval-concurrency': number;
  'eval-queue': number;
  'max-work-rows': number;
  'max-chunk-rows': number;
  'request-timeout-ms': number;
  'headers-timeout-ms': number;
  'receive-timeout-ms': number;
  'allowed-hosts'?: string[];
  'auth-token'?: string;
  cors?: string;
  table?: string;
}

/** `--port`, checked before the model loads (Node's own error names no flag). */
const portNumber = integerOption('port', 0, 65535, 'an integer in [0, 65535] (0 picks a free one)');

/**
 * The error of a failed listen in the flags' terms: a port in use or not allowed names `--port`, an
 * address this machine does not have names `--host`; anything else is returned as it is.
 */
function listenError(err: unknown, host: string, port: number): unknown {
  const code = (err as { code?: unknown }).code;
  if (code === 'EADDRINUSE')
    return new Error(
      `--port: expected a free port on ${host}, got ${port} (another process listens on it; pick another, or --port 0 for any free one)`,
    );
  if (code === 'EACCES')
    return new Error(`--port: expected a port this user may listen on, got ${port} (ports below 1024 need privileges)`);
  if (code === 'EADDRNOTAVAIL' || code === 'ENOTFOUND')
    return new Error(`--host: expected an address of this machine, e.g. 127.0.0.1 or 0.0.0.0, got ${host} (${code})`);
  return err;
}

/** `vae serve`'s flags of what is served and where: model, address, device, threads, model names. */
function listenOptions(y: Argv): Argv {
  return y
    .option('model', {
      type: 'string',
      demandOption: true,
      describe: 'model directory (manifest.json, encoder.onnx, decoder.onnx)',
    })
    .option('port', { type: 'string', default: '8000', coerce: portNumber, describe: 'TCP port (0 picks a free one)' })
    .option('host', {
      type: 'string',
      default: '127.0.0.1',
      describe: 'address to listen on (0.0.0.0 for all interfaces)',
    })
    .option('device', {
      choices: ['auto', ...NODE_DEVICES] as DeviceRequest[],
      default: 'auto' as DeviceRequest,
      describe: 'execution device (auto: cuda → webgpu → cpu)',
    })
    .option('threads', { type: 'number', describe: 'intra-op threads (default: 1 for small models)' })
    .option('name', {
      type: 'string',
      describe: 'model name prefix (default: the manifest name): <name>-encoder, <name>-decoder',
    });
}

/** `vae serve`'s flags of dynamic micro-batching across concurrent requests. */
function batchingOptions(y: Argv): Argv {
  return y
    .option('batching', {
      type: 'boolean',
      default: SERVER_DEFAULTS.batching.enabled,
      describe: 'dynamic micro-batching across concurrent requests (--no-batching: one run per request)',
    })
    .option('max-batch-size', {
      type: 'number',
      default: SERVER_DEFAULTS.batching.maxBatchSize,
      describe: 'largest batch in rows',
    })
    .option('max-queue-delay-ms', {
      type: 'number',
      default: SERVER_DEFAULTS.batching.maxQueueDelayMs,
      describe: 'longest wait of the first queued request for others',
    })
    .option('max-queue-size', {
      type: 'number',
      default: SERVER_DEFAULTS.batching.maxQueueSize,
      describe: 'most queued requests per model; more get 503',
    });
}

/** `vae serve`'s admission limits: body size, requests and bytes in flight. */
function admissionOptions(y: Argv): Argv {
  return y
    .option('body-limit', {
      type: 'number',
      default: SERVER_DEFAULTS.bodyLimit,
      describe: 'largest request body in bytes; larger get 413',
    })
    .option('max-in-flight', {
      type: 'number',
      default: SERVER_DEFAULTS.maxInFlight,
      describe: 'most POST requests admitted at once; more get 503 + Retry-After before their body is read',
    })
    .option('max-in-flight-bytes', {
      type: 'number',
      default: SERVER_DEFAULTS.maxInFlightBytes,
      describe: 'most request-body bytes admitted at once (by Content-Length)',
    });
}

/** `vae serve`'s limits of the /api/elbo and /api/log-likelihood evaluations. */
function evaluationOptions(y: Argv): Argv {
  return y
    .option('eval-concurrency', {
      type: 'number',
      default: SERVER_DEFAULTS.evaluation.maxConcurrent,
      describe: '/api/elbo and /api/log-likelihood requests running at once',
    })
    .option('eval-queue', {
      type: 'number',
      default: SERVER_DEFAULTS.evaluation.maxQueued,
      describe: 'evaluation requests waiting; more get 503',
    })
    .option('max-work-rows', {
      type: 'number',
      default: SERVER_DEFAULTS.evaluation.maxWorkRows,
      describe: 'work budget of one evaluation request: rows × samples',
    })
    .option('max-chunk-rows', {
      type: 'number',
      default: SERVER_DEFAULTS.evaluation.maxChunkRows,
      describe: 'rows decoded at once by an evaluation (rows × chunkSize): bounds its memory',
    });
}

/** `vae serve`'s request, header and receive timeouts. */
function timeoutOptions(y: Argv): Argv {
  return y
    .option('request-timeout-ms', {
      type: 'number',
      default: SERVER_DEFAULTS.requestTimeoutMs,
      describe: 'longest wait + run of an evaluation request (503 waiting, 504 running)',
    })
    .option('headers-timeout-ms', {
      type: 'number',
      default: SERVER_DEFAULTS.headersTimeoutMs,
      describe: 'longest time a client may take to send its headers (then 408)',
    })
    .option('receive-timeout-ms', {
      type: 'number',
      default: SERVER_DEFAULTS.receiveTimeoutMs,
      describe: 'longest time a client may take to send the whole request (then 408)',
    });
}

/** `vae serve`'s flags of who may call (allowed hosts, bearer token, CORS) and of the embeddings table searched. */
function accessOptions(y: Argv): Argv {
  return y
    .option('allowed-hosts', {
      type: 'string',
      array: true,
      describe: 'Host names accepted (* for any); default on loopback: localhost 127.0.0.1 [::1]',
    })
    .option('auth-token', {
      type: 'string',
      describe: 'require Authorization: Bearer <token> on all but /v2/health/* (default: $VAE_AUTH_TOKEN)',
    })
    .option('cors', { type: 'string', describe: 'allow this origin (or *) by CORS; default: no CORS' })
    .option('table', {
      type: 'string',
      describe: 'embeddings table (vae embed) searched by POST /api/search; it must be of this model',
    });
}

/** The option groups of `vae serve`, in the order `vae serve --help` lists them. */
const SERVE_OPTION_GROUPS = [
  listenOptions,
  batchingOptions,
  admissionOptions,
  evaluationOptions,
  timeoutOptions,
  accessOptions,
] as const;

type ServedModel = Awaited<ReturnType<typeof import('@vae/runtime-node').loadModel>>;
type TableSearch = Awaited<ReturnType<typeof import('@vae/embed').openTableSearch>>;

/** `--table`: opens the embeddings table (optional `@vae/embed`), checked to be of the served model. */
async function openSearchTable(table: string, model: ServedModel): Promise<TableSearch> {
  quietLanceDbLog();
  const { openTableSearch, assertSameModel } = await importOptional(
    '@vae/embed',
    'vae serve --table',
    () => import('@vae/embed'),
  );
  const search = await openTableSearch(table);
  try {
    assertSameModel(search.meta, model, table);
  } catch (err) {
    search.close();
    throw err;
  }
  return search;
}

/** The server's options from the flags (the server owns the model: closing it releases the model). */
function serverOptions(
  args: ServeArgs,
  model: ServedModel,
  authToken: string | undefined,
  search: TableSearch | null,
): VaeServerOptions {
  return {
    model,
    ...(args.name === undefined ? {} : { name: args.name }),
    ownsModel: true,
    bodyLimit: args['body-limit'],
    maxInFlight: args['max-in-flight'],
    maxInFlightBytes: args['max-in-flight-bytes'],
    evaluation: {
      maxConcurrent: args['eval-concurrency'],
      maxQueued: args['eval-queue'],
      maxWorkRows: args['max-work-rows'],
      maxChunkRows: args['max-chunk-rows'],
    },
    requestTimeoutMs: args['request-timeout-ms'],
    headersTimeoutMs: args['headers-timeout-ms'],
    receiveTimeoutMs: args['receive-timeout-ms'],
    ...(args['allowed-hosts'] === undefined ? {} : { allowedHosts: args['allowed-hosts'] }),
    ...(authToken === undefined ? {} : { authToken }),
    ...(args.cors === undefined ? {} : { cors: args.cors }),
    ...(search ? { search } : {}),
    batching: {
      enabled: args.batching,
      maxBatchSize: args['max-batch-size'],
      maxQueueDelayMs: args['max-queue-delay-ms'],
      maxQueueSize: args['max-queue-size'],
    },
  };
}

/** Listens, prints the line that reports ready, and on SIGTERM/SIGINT closes the server after its in-flight requests. */
async function serveUntilSignal(
  server: VaeServer,
  search: TableSearch | null,
  args: ServeArgs,
  model: ServedModel,
): Promise<void> {
  const url = await server.listen({ host: args.host, port: args.port }).catch(async (err: unknown) => {
    // Nothing listens: close the server (it owns the model) and the table before the error ends the command.
    await server.close();
    search?.close();
    throw listenError(err, args.host, args.port);
  });
  const stop = shutdownSignal();
  const name = args.name ?? model.manifest.name;
  process.stdout.write(
    `serving ${name}-encoder and ${name}-decoder on ${model.device} at ${url} (batching ${args.batching ? `on, ≤${args['max-batch-size']} rows, ≤${args['max-queue-delay-ms']} ms` : 'off'})\n`,
  );
  const signal = await stop;
  log.info(`${signal}: finishing in-flight requests`);
  await server.close();
  search?.close();
  process.stdout.write('server stopped\n');
}

/** `vae serve`: Open Inference Protocol (KServe V2) HTTP server for a model directory. */
export const serveCommand: CommandModule<object, ServeArgs> = {
  command: 'serve',
  describe: 'Serve a model directory over the Open Inference Protocol (KServe V2 REST)',
  builder: (y) => SERVE_OPTION_GROUPS.reduce((out, addGroup) => addGroup(out), y as Argv) as never,
  handler: async (args) => {
    const authToken = args['auth-token'] ?? (process.env.VAE_AUTH_TOKEN || undefined);
    const [{ loadModel }, { createVaeServer }] = await Promise.all([
      import('@vae/runtime-node'),
      import('@vae/server'),
    ]);
    // A model that fails to load (missing files, a manifest that disagrees with its graphs) throws
    // here: the command exits 1 with the reason and never listens, so nothing reports ready.
    const model = await loadModel(args.model, {
      device: args.device,
      ...(args.threads === undefined ? {} : { threads: args.threads }),
    });
    for (const f of model.fallbacks) log.info(`skipped ${f.device}: ${f.reason}`);
    log.info(`golden check ${formatVerification(model.verification)}`);
    let server: VaeServer;
    let search: TableSearch | null = null;
    try {
      if (args.table !== undefined) search = await openSearchTable(args.table, model);
      server = createVaeServer(serverOptions(args, model, authToken, search));
    } catch (err) {
      // Bad server options or table: free the model before the error ends the command.
      search?.close();
      await model.release();
      throw err;
    }
    await serveUntilSignal(server, search, args, model);
  },
};
