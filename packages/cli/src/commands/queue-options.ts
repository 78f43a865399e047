import type { RedisConnectionInput } from '@vae/embed';
import type { Argv } from 'yargs';

/** The Redis connection options `vae worker` and `vae embed --queue` share. */
export interface QueueConnectionArgs {
  queue?: string;
  'queue-name': string;
  'redis-password'?: string;
  'tls-ca'?: string;
  'tls-cert'?: string;
  'tls-key'?: string;
  'tls-insecure': boolean;
  'connect-timeout-ms': number;
}

/**
 * Adds `--queue` (required for `vae worker`, optional for `vae embed`), `--queue-name`,
 * `--redis-password`, the TLS options and `--connect-timeout-ms`.
 */
export function queueConnectionOptions<T>(y: Argv<T>, required: boolean): Argv<T> {
  return y
    .option('queue', {
      type: 'string',
      demandOption: required,
      describe: `Redis URL: redis://[:password@]host:port[/db] or rediss:// for TLS${required ? '' : '; embed on `vae worker` processes through this BullMQ queue'}`,
    })
    .option('queue-name', { type: 'string', default: 'vae-embed', describe: 'BullMQ queue name' })
    .option('redis-password', {
      type: 'string',
      describe: 'Redis password (default: $VAE_REDIS_PASSWORD, else one in the URL); never logged',
    })
    .option('tls-ca', { type: 'string', describe: 'PEM file of the CA that signed the Redis server certificate' })
    .option('tls-cert', { type: 'string', describe: 'PEM client certificate (Redis with tls-auth-clients)' })
    .option('tls-key', { type: 'string', describe: 'PEM key of --tls-cert' })
    .option('tls-insecure', {
      type: 'boolean',
      default: false,
      describe: 'do not verify the server certificate (testing only)',
    })
    .option('connect-timeout-ms', {
      type: 'number',
      default: 10_000,
      describe:
        'give up (exit 1) when Redis cannot be reached within this time; `vae embed` also when it is lost this long mid-run (`vae worker` keeps reconnecting)',
    }) as Argv<T>;
}

/** The `RedisConnectionInput` of parsed queue arguments. */
export function queueConnectionInput(args: QueueConnectionArgs & { queue: string }): RedisConnectionInput {
  return {
    url: args.queue,
    password: args['redis-password'] ?? (process.env.VAE_REDIS_PASSWORD || undefined),
    tlsCa: args['tls-ca'],
    tlsCert: args['tls-cert'],
    tlsKey: args['tls-key'],
    tlsInsecure: args['tls-insecure'],
  };
}
