import { createHash, timingSafeEqual } from 'node:crypto';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { HttpError } from './http-error.js';

/** Host names a loopback-bound server accepts by default (DNS-rebinding protection). */
export const LOOPBACK_HOSTS = Object.freeze(['localhost', '127.0.0.1', '[::1]']);

/** Whether `host` (a listen address) is a loopback address. */
export function isLoopback(host: string): boolean {
  return host === 'localhost' || host === '::1' || host === '[::1]' || /^127\.\d+\.\d+\.\d+$/.test(host);
}

/** Options of {@link installGuards}. */
export interface GuardOptions {
  /** Bearer token required on every route but `/v2/health/*`; undefined: no token. */
  readonly authToken?: string;
  /** Origin allowed by CORS (`*` for any); undefined: no CORS headers, preflights get 405. */
  readonly cors?: string;
}

const CORS_HEADERS = 'content-type, authorization, inference-header-content-length';
const EXPOSED_HEADERS = 'inference-header-content-length, x-request-id, retry-after';

function digest(s: string): Buffer {
  return createHash('sha256').update(s, 'utf8').digest();
}

/** Host name of a `Host` header without the port, lower-cased (`[::1]` keeps its brackets). */
function hostName(header: string): string {
  const h = header.trim().toLowerCase();
  if (h.startsWith('[')) return h.slice(0, h.indexOf(']') + 1);
  return h.split(':')[0]!;
}

/**
 * `onRequest` guards, run before a body is read: the `Host` allow-list, CORS (preflight answers and
 * response headers) and the bearer token. {@link Guards.allowHosts} sets the allow-list once the
 * listen address is known.
 */
export class Guards {
  private hosts: ReadonlySet<string> | undefined;
  private readonly token: Buffer | undefined;

  constructor(private readonly o: GuardOptions) {
    if (o.authToken !== undefined && (typeof o.authToken !== 'string' || o.authToken.length === 0)) {
      throw new TypeError(`authToken: expected a non-empty string, got ${JSON.stringify(o.authToken)}`);
    }
    if (
      o.cors !== undefined &&
      (typeof o.cors !== 'string' || !(o.cors === '*' || /^https?:\/\/[^/\s]+$/.test(o.cors)))
    ) {
      throw new TypeError(`cors: expected an origin such as https://app.example or *, got ${JSON.stringify(o.cors)}`);
    }
    this.token = o.authToken === undefined ? undefined : digest(o.authToken);
  }

  /** Accept only these `Host` names (any port); undefined or a list containing `*`: any host. */
  allowHosts(hosts: readonly string[] | undefined): void {
    this.hosts = hosts === undefined || hosts.includes('*') ? undefined : new Set(hosts.map((h) => h.toLowerCase()));
  }

  /** Registers the guards on `app`. */
  install(app: FastifyInstance): void {
    app.addHook('onRequest', async (request, reply) => {
      this.checkHost(request);
      if (this.cors(request, reply)) return reply;
      if (!request.url.startsWith('/v2/health/')) this.checkToken(request);
      return undefined;
    });
  }

  private checkHost(request: FastifyRequest): void {
    if (!this.hosts) return;
    const header = request.headers.host;
    const name = header === undefined ? undefined : hostName(header);
    if (name === undefined || !this.hosts.has(name)) {
      throw new HttpError(
        403,
        `host: expected one of ${[...this.hosts].join('|')} (DNS-rebinding protection; allow more with --allowed-hosts), got ${JSON.stringify(header ?? null)}`,
      );
    }
  }

  /** Adds CORS headers; answers a preflight (returns true when it did). */
  private cors(request: FastifyRequest, reply: FastifyReply): boolean {
    const allowed = this.o.cors;
    const origin = request.headers.origin;
    if (allowed === undefined || origin === undefined) return false;
    const ok = allowed === '*' || origin === allowed;
    const preflight = request.method === 'OPTIONS' && request.headers['access-control-request-method'] !== undefined;
    if (!ok) {
      if (preflight) throw new HttpError(403, `origin: expected ${allowed}, got ${JSON.stringify(origin)}`);
      return false;
    }
    void reply.header('access-control-allow-origin', allowed === '*' ? '*' : origin).header('vary', 'origin');
    if (!preflight) {
      void reply.header('access-control-expose-headers', EXPOSED_HEADERS);
      return false;
    }
    void reply
      .code(204)
      .header('access-control-allow-methods', 'GET, POST')
      .header('access-control-allow-headers', CORS_HEADERS)
      .header('access-control-max-age', '600')
      .send();
    return true;
  }

  private checkToken(request: FastifyRequest): void {
    if (!this.token) return;
    const header = request.headers.authorization;
    const m = header === undefined ? null : /^Bearer\s+(\S+)\s*$/i.exec(header);
    const headers = { 'www-authenticate': 'Bearer' };
    if (!m)
      throw new HttpError(
        401,
        `authorization: expected "Bearer <token>", got ${header === undefined ? 'no Authorization header' : 'another scheme'}`,
        headers,
      );
    if (!timingSafeEqual(digest(m[1]!), this.token))
      throw new HttpError(401, 'authorization: expected the server token, got a different one', headers);
  }
}

/**
 * Remembers every route's method and URL pattern (register before the routes) and tells which
 * methods a path supports, for `405 Method Not Allowed` with `Allow`.
 */
export class RouteMethods {
  private readonly routes: { readonly pattern: RegExp; readonly method: string; readonly url: string }[] = [];

  install(app: FastifyInstance): void {
    app.addHook('onRoute', (route) => {
      const pattern = new RegExp(`^${route.url.replace(/[.*+?^${}()|[\]\\]/g, '\\$&').replace(/:[^/]+/g, '[^/]+')}$`);
      for (const method of [route.method].flat()) this.routes.push({ pattern, method, url: route.url });
    });
  }

  /** Every registered route but Fastify's automatic HEAD ones, in registration order. */
  list(): { readonly method: string; readonly url: string }[] {
    return this.routes.filter((r) => r.method !== 'HEAD').map(({ method, url }) => ({ method, url }));
  }

  /** Methods routed for `path` (without the query), sorted; empty when the path is unknown. */
  allowed(path: string): string[] {
    return [...new Set(this.routes.filter((r) => r.pattern.test(path)).map((r) => r.method))].sort();
  }
}
