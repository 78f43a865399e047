import { readFileSync } from 'node:fs';
import type { ConnectionOptions as TlsOptions } from 'node:tls';
import type { RedisOptions as BullRedisOptions } from 'bullmq';
import { Redis, type RedisOptions } from 'ioredis';

/** How to reach Redis: the `--queue` URL and the options passed through to ioredis. */
export interface RedisConnectionInput {
  /** `redis://[[user]:password@]host[:port][/db]` or `rediss://…` (TLS). */
  readonly url: string;
  /** Password (`--redis-password`); overrides one in the URL. */
  readonly password?: string | undefined;
  /** PEM file of the CA that signed the server certificate (`--tls-ca`). */
  readonly tlsCa?: string | undefined;
  /** PEM client certificate (`--tls-cert`), for servers with `tls-auth-clients yes`. */
  readonly tlsCert?: string | undefined;
  /** PEM key of the client certificate (`--tls-key`). */
  readonly tlsKey?: string | undefined;
  /** Accept any server certificate (`--tls-insecure`; testing only). */
  readonly tlsInsecure?: boolean | undefined;
}

/** A parsed connection: ioredis options plus a printable (password-free) URL. */
export interface RedisConnection {
  readonly options: RedisOptions;
  /** The URL with any password replaced by `***`: safe to log. */
  readonly display: string;
}

/** Redis cannot be reached, refuses the credentials, or the TLS handshake fails. */
export class RedisUnreachableError extends Error {
  /** The last error's code, e.g. `ECONNREFUSED`, `WRONGPASS`, `SELF_SIGNED_CERT_IN_CHAIN`. */
  readonly code: string;

  constructor(message: string, code: string) {
    super(message);
    this.name = 'RedisUnreachableError';
    this.code = code;
  }
}

function readPem(file: string, option: string): Buffer {
  try {
    return readFileSync(file);
  } catch (err) {
    throw new Error(`${option}: expected a readable PEM file, got ${JSON.stringify(file)} (${(err as Error).message})`);
  }
}

/** Parses the `--queue` URL and TLS/password options into ioredis options (validating each). */
export function redisConnection(input: RedisConnectionInput): RedisConnection {
  let url: URL;
  try {
    url = new URL(input.url);
  } catch {
    throw new Error(`--queue: expected redis://host:port or rediss://host:port, got ${JSON.stringify(input.url)}`);
  }
  if (url.protocol !== 'redis:' && url.protocol !== 'rediss:')
    throw new Error(`--queue: expected the scheme redis:// or rediss://, got ${JSON.stringify(`${url.protocol}//`)}`);
  if (!url.hostname) throw new Error(`--queue: expected a host name in the URL, got ${JSON.stringify(input.url)}`);
  const port = url.port ? Number(url.port) : 6379;
  const dbText = url.pathname.replace(/^\//, '');
  if (dbText !== '' && !/^\d+$/.test(dbText))
    throw new Error(
      `--queue: expected a database number after the port (e.g. /0), got ${JSON.stringify(`/${dbText}`)}`,
    );
  const password = input.password ?? (url.password ? decodeURIComponent(url.password) : undefined);
  const username = url.username ? decodeURIComponent(url.username) : undefined;
  const useTls =
    url.protocol === 'rediss:' || Boolean(input.tlsCa || input.tlsCert || input.tlsKey || input.tlsInsecure);
  if (Boolean(input.tlsCert) !== Boolean(input.tlsKey))
    throw new Error('--tls-cert/--tls-key: expected both (a client certificate and its key), got only one');
  let tls: TlsOptions | undefined;
  if (useTls) {
    tls = {
      ...(input.tlsCa ? { ca: readPem(input.tlsCa, '--tls-ca') } : {}),
      ...(input.tlsCert ? { cert: readPem(input.tlsCert, '--tls-cert') } : {}),
      ...(input.tlsKey ? { key: readPem(input.tlsKey, '--tls-key') } : {}),
      rejectUnauthorized: !input.tlsInsecure,
    };
  }
  const host = url.hostname.replace(/^\[(.*)\]$/, '$1');
  const options: RedisOptions = {
    host,
    port,
    ...(dbText ? { db: Number(dbText) } : {}),
    ...(username ? { username } : {}),
    ...(password ? { password } : {}),
    ...(tls ? { tls } : {}),
  };
  const shown = new URL(input.url);
  if (shown.password) shown.password = '***';
  const display = `${shown.protocol}//${shown.username || shown.password ? `${shown.username}${shown.password ? `:${shown.password}` : ''}@` : ''}${shown.host}${shown.pathname === '/' ? '' : shown.pathname}${password && !shown.password ? ' (password given)' : ''}`;
  return { options, display };
}

/** What to do about a connection error, by its code. */
function hint(code: string, port: number | undefined): string {
  if (code === 'WRONGPASS' || code === 'NOAUTH' || code === 'NOPERM')
    return 'check --redis-password (or the password in the URL)';
  if (/CERT|SSL|TLS|EPROTO/.test(code))
    return 'check the rediss:// scheme and --tls-ca/--tls-cert/--tls-key (--tls-insecure skips server verification)';
  return `start Redis there (e.g. redis-server --port ${port ?? 6379}) or pass the right --queue URL`;
}

/** The code of a connection error: a Node error code, or the first word of a Redis error reply. */
export function errorCode(err: unknown): string {
  const e = err as { code?: unknown; message?: unknown };
  if (typeof e?.code === 'string' && e.code) return e.code;
  const m = typeof e?.message === 'string' ? /^([A-Z][A-Z_]+)\b/.exec(e.message) : null;
  return m?.[1] ?? 'EUNKNOWN';
}

const PERMANENT = /^(WRONGPASS|NOAUTH|NOPERM)$|CERT|SSL|EPROTO/;

/**
 * Connects once and sends PING, retrying transient failures (refused, reset, timeout) until
 * `timeoutMs` has passed; then throws a {@link RedisUnreachableError} naming the URL (without the
 * password), the error code and what to do. Wrong credentials and TLS failures fail at once.
 */
export async function checkRedis(connection: RedisConnection, timeoutMs = 10_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  let last: unknown;
  for (;;) {
    const remaining = deadline - Date.now();
    const client = new Redis({
      ...connection.options,
      lazyConnect: true,
      retryStrategy: () => null,
      maxRetriesPerRequest: 0,
      enableOfflineQueue: false,
      connectTimeout: Math.max(250, Math.min(remaining, 3000)),
    });
    client.on('error', (err: unknown) => {
      last = err;
    });
    try {
      await client.connect();
      await client.ping();
      client.disconnect();
      return;
    } catch (err) {
      // The 'error' event carries the socket's code (ECONNREFUSED…); the rejection may only say "closed".
      if (last === undefined || errorCode(err) !== 'EUNKNOWN') last = err;
      client.disconnect();
    }
    const code = errorCode(last);
    if (PERMANENT.test(code) || Date.now() >= deadline) {
      const seconds = Math.round(timeoutMs / 100) / 10;
      throw new RedisUnreachableError(
        `Redis at ${connection.display} ${PERMANENT.test(code) ? 'refused the connection' : `unreachable after ${seconds} s`}: ${code} (${(last as Error)?.message ?? String(last)}); ${hint(code, connection.options.port)}`,
        code,
      );
    }
    last = undefined;
    await new Promise((r) => setTimeout(r, Math.min(250, deadline - Date.now())));
  }
}

/** Set `stopped` to make clients made with {@link bullmqConnection} give up reconnecting. */
export interface ReconnectSwitch {
  stopped: boolean;
}

/**
 * The connection options BullMQ's Queue, QueueEvents and Worker (and the producer's and workers'
 * own clients) get: ioredis's, with `maxRetriesPerRequest: null` (BullMQ's blocking commands need
 * it) and a reconnect every 50 ms × attempts, at most 2 s apart, until `until.stopped` (then the
 * next failed attempt ends the client and fails the commands still waiting).
 */
export function bullmqConnection(connection: RedisConnection, until?: ReconnectSwitch): BullRedisOptions {
  const retryStrategy = (times: number) => (until?.stopped ? null : Math.min(times * 50, 2000));
  // ioredis's option types (retryStrategy, tls) are stricter than BullMQ's own copy of them.
  return { ...connection.options, maxRetriesPerRequest: null, retryStrategy } as BullRedisOptions;
}

/** Callbacks of {@link watchRedis}. */
export interface RedisWatch {
  /** Called once when the connection has been down for `timeoutMs` (ioredis kept reconnecting). */
  readonly onLost?: (err: RedisUnreachableError) => void;
  /** Called when an established connection drops. */
  readonly onDown?: () => void;
  /** Called when it is back after {@link RedisWatch.onDown}. */
  readonly onUp?: () => void;
}

/**
 * Watches an ioredis client while a run goes on. ioredis reconnects on its own; BullMQ's clients
 * wait for it without limit, so a caller that must not wait forever races its work against
 * `onLost`, which comes with a {@link RedisUnreachableError} naming the URL once the connection
 * has been down for `timeoutMs`. Returns a function that stops watching.
 */
export function watchRedis(client: Redis, connection: RedisConnection, timeoutMs: number, on: RedisWatch): () => void {
  let downSince: number | null = null;
  let lost = false;
  let last: unknown;
  const onError = (err: unknown) => {
    last = err;
  };
  const onClose = () => {
    if (downSince !== null) return;
    downSince = Date.now();
    on.onDown?.();
  };
  const onReady = () => {
    if (downSince === null) return;
    downSince = null;
    last = undefined;
    on.onUp?.();
  };
  client.on('error', onError);
  client.on('close', onClose);
  client.on('ready', onReady);
  const timer = setInterval(
    () => {
      if (lost || downSince === null || Date.now() - downSince < timeoutMs) return;
      lost = true;
      const code = errorCode(last);
      const seconds = Math.round(timeoutMs / 100) / 10;
      on.onLost?.(
        new RedisUnreachableError(
          `Redis at ${connection.display} lost for ${seconds} s while running: ${code}${last ? ` (${(last as Error).message})` : ''}; what is stored stays stored: restart Redis and run the same command again to resume`,
          code,
        ),
      );
    },
    Math.max(50, Math.min(500, timeoutMs / 4)),
  );
  timer.unref();
  return () => {
    clearInterval(timer);
    client.off('error', onError);
    client.off('close', onClose);
    client.off('ready', onReady);
  };
}
