import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { setLogLevel, setLogSink, type VaeModel } from '@vae/core';
import { loadModel } from '@vae/runtime-node';
import { createVaeServer, type VaeServer, type VaeServerOptions } from '@vae/server';
import { exportTinyModel, syntheticImages } from './runtime-node-fixtures.js';
import { httpRequest, parseRawResponse, rawExchange, v2Input } from './server-fixtures.js';

let model: VaeModel;
const x = syntheticImages(1);
const inferBody = JSON.stringify({ inputs: [v2Input('x', x)] });
const json = { 'content-type': 'application/json' };

beforeAll(async () => {
  setLogLevel('warn');
  model = await loadModel(await exportTinyModel({ name: 'tiny' }), { device: 'cpu' });
});
afterAll(async () => {
  await model?.release();
});

async function withServer<T>(
  options: Partial<VaeServerOptions>,
  fn: (base: string, server: VaeServer) => Promise<T>,
  host = '127.0.0.1',
): Promise<T> {
  const server = createVaeServer({ model, defaultMetrics: false, ...options });
  const base = await server.listen({ host, port: 0 });
  try {
    return await fn(base, server);
  } finally {
    await server.close();
  }
}

const onlyError = (body: unknown): void => {
  expect(body).toBeTypeOf('object');
  expect(Object.keys(body as object)).toEqual(['error']);
};

describe('methods and the error shape', () => {
  it('answers 405 with Allow for a known path and a wrong method', async () => {
    await withServer({}, async (base) => {
      const cases: [string, string, string][] = [
        ['GET', '/v2/models/tiny-encoder/infer', 'POST'],
        ['DELETE', '/v2/health/live', 'GET, HEAD'],
        ['POST', '/v2/models/tiny-encoder', 'GET, HEAD'],
        ['PUT', '/api/embed', 'POST'],
        ['OPTIONS', '/metrics', 'GET, HEAD'],
      ];
      for (const [method, path, allow] of cases) {
        const res = await httpRequest(base, { method, path });
        expect(res.status, `${method} ${path}`).toBe(405);
        expect(res.headers.allow).toBe(allow);
        onlyError(res.body);
        expect(res.body.error).toBe(`method: expected ${allow.replace(', ', '|')} for ${path}, got ${method}`);
      }
      expect((await httpRequest(base, { path: '/v2/nothing' })).status).toBe(404);
    });
  });

  it("uses {'error': …} for the framework's own errors: bad %-encoding, JSON syntax, __proto__, media type, malformed HTTP", async () => {
    await withServer({}, async (base) => {
      const badUrl = await httpRequest(base, { path: '/v2/models/%E0%A4%A/ready' });
      expect(badUrl.status).toBe(400);
      onlyError(badUrl.body);
      expect(badUrl.body.error).toBe('url: expected a valid percent-encoded path, got "/v2/models/%E0%A4%A/ready"');
      const syntax = await httpRequest(base, { method: 'POST', path: '/api/embed', headers: json, body: '{"x": [1,' });
      expect(syntax.status).toBe(400);
      onlyError(syntax.body);
      expect(syntax.body.error).toMatch(/^body: expected valid JSON, got a syntax error \(.+\)$/);
      const proto = await httpRequest(base, {
        method: 'POST',
        path: '/v2/models/tiny-encoder/infer',
        headers: json,
        body: '{"inputs": [{"__proto__": {"admin": true}}]}',
      });
      expect(proto.status).toBe(400);
      expect(proto.body).toEqual({
        error: 'body.inputs[0].__proto__: expected no "__proto__" key (refused as prototype poisoning), got one',
      });
      const escaped = await httpRequest(base, {
        method: 'POST',
        path: '/api/embed',
        headers: json,
        body: '{"\\u005f_proto__": {}}',
      });
      expect(escaped.body).toEqual({
        error: 'body.__proto__: expected no "__proto__" key (refused as prototype poisoning), got one',
      });
      const ctor = await httpRequest(base, {
        method: 'POST',
        path: '/api/embed',
        headers: json,
        body: '{"constructor": {"prototype": {"x": 1}}}',
      });
      expect(ctor.body.error).toMatch(/^body\.constructor\.prototype: expected no "constructor\.prototype" key/);
      const empty = await httpRequest(base, { method: 'POST', path: '/api/embed', headers: json, body: '' });
      expect(empty.body).toEqual({ error: 'body: expected a JSON document, got an empty body' });
      const media = await httpRequest(base, {
        method: 'POST',
        path: '/api/embed',
        headers: { 'content-type': 'text/plain' },
        body: 'x',
      });
      expect(media.status).toBe(415);
      expect(media.body).toEqual({
        error: 'content-type: expected application/json or application/octet-stream, got "text/plain"',
      });
      const raw = parseRawResponse(await rawExchange(base, 'GARBAGE / HTTP/1.1\r\nHost: localhost\r\n\r\n'));
      expect(raw.status).toBe(400);
      onlyError(raw.body);
      expect(raw.body.error).toMatch(/^request: expected a well-formed HTTP\/1\.1 request, got a parse error/);
    });
  });

  it('answers 5xx with a plain message and the request id; the details go to the log only', async () => {
    const own = await loadModel(await exportTinyModel({ name: 'tiny' }), { device: 'cpu' });
    const logged: string[] = [];
    setLogSink((_level, _scope, message) => logged.push(message));
    try {
      await withServer({ model: own, ownsModel: false }, async (base) => {
        await own.release();
        const res = await httpRequest(base, {
          method: 'POST',
          path: '/v2/models/tiny-encoder/infer',
          headers: json,
          body: inferBody,
        });
        expect(res.status).toBe(500);
        const id = res.headers['x-request-id'];
        expect(id).toMatch(/^[0-9a-f]{8}-\w+$/);
        expect(res.body).toEqual({
          error: `internal error: the request failed on the server; the server log has the details (request id ${id})`,
        });
        expect(logged.some((m) => m.includes(`request ${id}`) && m.includes('model was released'))).toBe(true);
      });
    } finally {
      setLogSink((level, scope, message) => process.stderr.write(`${level}: [${scope}] ${message}\n`));
    }
  });
});

describe('Host allow-list, bearer token and CORS', () => {
  it('accepts only loopback Host names when bound to loopback (DNS rebinding), any when told so', async () => {
    await withServer({}, async (base) => {
      const port = new URL(base).port;
      for (const host of [`localhost:${port}`, `127.0.0.1:${port}`, `[::1]:${port}`, 'LOCALHOST']) {
        expect((await httpRequest(base, { path: '/v2/health/ready', headers: { host } })).status, host).toBe(200);
      }
      const evil = await httpRequest(base, {
        path: '/v2/models/tiny-encoder',
        headers: { host: `attacker.example:${port}` },
      });
      expect(evil.status).toBe(403);
      expect(evil.body).toEqual({
        error: `host: expected one of localhost|127.0.0.1|[::1] (DNS-rebinding protection; allow more with --allowed-hosts), got "attacker.example:${port}"`,
      });
      const infer = await httpRequest(base, {
        method: 'POST',
        path: '/v2/models/tiny-encoder/infer',
        headers: { ...json, host: 'attacker.example' },
        body: inferBody,
      });
      expect(infer.status).toBe(403);
    });
    await withServer({ allowedHosts: ['vae.internal'] }, async (base) => {
      expect((await httpRequest(base, { path: '/v2', headers: { host: 'vae.internal:80' } })).status).toBe(200);
      expect((await httpRequest(base, { path: '/v2', headers: { host: 'localhost' } })).status).toBe(403);
    });
    await withServer({ allowedHosts: ['*'] }, async (base) => {
      expect((await httpRequest(base, { path: '/v2', headers: { host: 'anything.example' } })).status).toBe(200);
    });
  });

  it('requires the bearer token on inference, metadata and /metrics, not on health', async () => {
    await withServer({ authToken: 's3cret-token' }, async (base) => {
      expect((await httpRequest(base, { path: '/v2/health/live' })).status).toBe(200);
      expect((await httpRequest(base, { path: '/v2/health/ready' })).status).toBe(200);
      const none = await httpRequest(base, {
        method: 'POST',
        path: '/v2/models/tiny-encoder/infer',
        headers: json,
        body: inferBody,
      });
      expect(none.status).toBe(401);
      expect(none.headers['www-authenticate']).toBe('Bearer');
      expect(none.body).toEqual({ error: 'authorization: expected "Bearer <token>", got no Authorization header' });
      const wrong = await httpRequest(base, { path: '/metrics', headers: { authorization: 'Bearer s3cret-tokeN' } });
      expect(wrong.status).toBe(401);
      expect(wrong.body).toEqual({ error: 'authorization: expected the server token, got a different one' });
      expect(
        (await httpRequest(base, { path: '/metrics', headers: { authorization: 'Basic abc' } })).body.error,
      ).toMatch(/got another scheme/);
      const ok = await httpRequest(base, {
        method: 'POST',
        path: '/v2/models/tiny-encoder/infer',
        headers: { ...json, authorization: 'Bearer s3cret-token' },
        body: inferBody,
      });
      expect(ok.status).toBe(200);
      expect(ok.body.outputs[0].shape).toEqual([1, 4]);
    });
  });

  it('sends no CORS headers unless --cors is set; then answers preflights for that origin only', async () => {
    const origin = 'https://app.example';
    await withServer({}, async (base) => {
      const res = await httpRequest(base, { path: '/v2', headers: { origin } });
      expect(res.headers['access-control-allow-origin']).toBeUndefined();
      const pre = await httpRequest(base, {
        method: 'OPTIONS',
        path: '/api/embed',
        headers: { origin, 'access-control-request-method': 'POST' },
      });
      expect(pre.status).toBe(405);
    });
    await withServer({ cors: origin, authToken: 't' }, async (base) => {
      const pre = await httpRequest(base, {
        method: 'OPTIONS',
        path: '/api/embed',
        headers: {
          origin,
          'access-control-request-method': 'POST',
          'access-control-request-headers': 'authorization, content-type',
        },
      });
      expect(pre.status).toBe(204);
      expect(pre.headers['access-control-allow-origin']).toBe(origin);
      expect(pre.headers['access-control-allow-methods']).toBe('GET, POST');
      expect(pre.headers['access-control-allow-headers']).toContain('authorization');
      const other = await httpRequest(base, {
        method: 'OPTIONS',
        path: '/api/embed',
        headers: { origin: 'https://evil.example', 'access-control-request-method': 'POST' },
      });
      expect(other.status).toBe(403);
      expect(other.body).toEqual({ error: `origin: expected ${origin}, got "https://evil.example"` });
      const get = await httpRequest(base, { path: '/v2', headers: { origin, authorization: 'Bearer t' } });
      expect(get.status).toBe(200);
      expect(get.headers['access-control-allow-origin']).toBe(origin);
      expect(get.headers.vary).toBe('origin');
      expect(
        (
          await httpRequest(base, {
            path: '/v2',
            headers: { origin: 'https://evil.example', authorization: 'Bearer t' },
          })
        ).headers['access-control-allow-origin'],
      ).toBeUndefined();
    });
    expect(() => createVaeServer({ model, cors: 'app.example' })).toThrow(
      /cors: expected an origin such as https:\/\/app\.example or \*, got "app\.example"/,
    );
  });
});

describe('timeouts', () => {
  it('cuts off a client that sends its headers too slowly with 408 {"error"}', async () => {
    await withServer({ headersTimeoutMs: 300, receiveTimeoutMs: 600 }, async (base) => {
      const started = Date.now();
      const text = await rawExchange(
        base,
        'POST /api/embed HTTP/1.1\r\nHost: localhost\r\nContent-Type: application/json\r\n',
      );
      const res = parseRawResponse(text);
      expect(res.status).toBe(408);
      expect(res.body).toEqual({
        error: 'request: expected the headers within 300 ms and the whole request within 600 ms, got neither in time',
      });
      // Generous: only catches a server that holds the socket (Node checks every second).
      expect(Date.now() - started).toBeLessThan(10_000);
    });
  });

  it('cuts off a client that never finishes its body with 408', async () => {
    await withServer({ headersTimeoutMs: 300, receiveTimeoutMs: 600 }, async (base) => {
      const text = await rawExchange(
        base,
        `POST /api/embed HTTP/1.1\r\nHost: localhost\r\nContent-Type: application/json\r\nContent-Length: 1000\r\n\r\n{"x": [`,
      );
      expect(parseRawResponse(text).status).toBe(408);
    });
  });
});
