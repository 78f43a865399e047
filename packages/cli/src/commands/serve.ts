import type { CommandModule } from 'yargs';
import { getLogger, type DeviceRequest } from '@vae/core';
import { NODE_DEVICES } from '@vae/runtime-node/options';
import { SERVER_DEFAULTS } from '@vae/server/options';

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
}

/** Resolves when the process receives SIGTERM or SIGINT. */
function shutdownSignal(): Promise<NodeJS.Signals> {
  return new Promise((resolve) => {
    const on = (signal: NodeJS.Signals) => {
      process.off('SIGTERM', on);
      process.off('SIGINT', on);
      resolve(signal);
    };
    process.on('SIGTERM', on);
    process.on('SIGINT', on);
  });
}

/** `vae serve`: Open Inference Protocol (KServe V2) HTTP server for a model directory. */
export const serveCommand: CommandModule<object, ServeArgs> = {
  command: 'serve',
  describe: 'Serve a model directory over the Open Inference Protocol (KServe V2 REST)',
  builder: (y) =>
    y
      .option('model', { type: 'string', demandOption: true, describe: 'model directory (manifest.json, encoder.onnx, decoder.onnx)' })
      .option('port', { type: 'number', default: 8000, describe: 'TCP port (0 picks a free one)' })
      .option('host', { type: 'string', default: '127.0.0.1', describe: 'address to listen on (0.0.0.0 for all interfaces)' })
      .option('device', { choices: ['auto', ...NODE_DEVICES] as DeviceRequest[], default: 'auto' as DeviceRequest, describe: 'execution device (auto: cuda → webgpu → cpu)' })
      .option('threads', { type: 'number', describe: 'intra-op threads (default: 1 for small models)' })
      .option('name', { type: 'string', describe: 'model name prefix (default: the manifest name): <name>-encoder, <name>-decoder' })
      .option('batching', { type: 'boolean', default: SERVER_DEFAULTS.batching.enabled, describe: 'dynamic micro-batching across concurrent requests (--no-batching: one run per request)' })
      .option('max-batch-size', { type: 'number', default: SERVER_DEFAULTS.batching.maxBatchSize, describe: 'largest batch in rows' })
      .option('max-queue-delay-ms', { type: 'number', default: SERVER_DEFAULTS.batching.maxQueueDelayMs, describe: 'longest wait of the first queued request for others' })
      .option('max-queue-size', { type: 'number', default: SERVER_DEFAULTS.batching.maxQueueSize, describe: 'most queued requests per model; more get 503' })
      .option('body-limit', { type: 'number', default: SERVER_DEFAULTS.bodyLimit, describe: 'largest request body in bytes; larger get 413' }) as never,
  handler: async (args) => {
    const [{ loadModel }, { createVaeServer }] = await Promise.all([import('@vae/runtime-node'), import('@vae/server')]);
    const model = await loadModel(args.model, { device: args.device, ...(args.threads === undefined ? {} : { threads: args.threads }) });
    for (const f of model.fallbacks) log.info(`skipped ${f.device}: ${f.reason}`);
    const server = createVaeServer({
      model,
      ...(args.name === undefined ? {} : { name: args.name }),
      ownsModel: true,
      bodyLimit: args['body-limit'],
      batching: {
        enabled: args.batching,
        maxBatchSize: args['max-batch-size'],
        maxQueueDelayMs: args['max-queue-delay-ms'],
        maxQueueSize: args['max-queue-size'],
      },
    });
    const stop = shutdownSignal();
    const url = await server.listen({ host: args.host, port: args.port });
    const name = args.name ?? model.manifest.name;
    process.stdout.write(`serving ${name}-encoder and ${name}-decoder on ${model.device} at ${url} (batching ${args.batching ? `on, ≤${args['max-batch-size']} rows, ≤${args['max-queue-delay-ms']} ms` : 'off'})\n`);
    const signal = await stop;
    log.info(`${signal}: finishing in-flight requests`);
    await server.close();
    process.stdout.write('server stopped\n');
  },
};
