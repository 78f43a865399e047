import type { VaeModel } from '@vae/core';
import { loadModel } from '@vae/runtime-node';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { freePort, hasOpenssl, type RedisFixture, redisSkipReason, startRedis } from '../../../test/redis-fixture.js';
import {
  checkRedis,
  embedViaQueue,
  makeChunk,
  modelIdOf,
  type RedisConnectionInput,
  RedisUnreachableError,
  redisConnection,
  startQueueWorker,
} from '../src/index.js';
import { MODEL_DIR, RecordingSink, spawnCli } from './queue-fixtures.js';

const skip = redisSkipReason();
if (skip) console.warn(`queue-connection tests skipped: ${skip}`);
const PASSWORD = 's3cret-Pa55';

describe('redisConnection (options passed to ioredis)', () => {
  it('parses host, port, db, password from the URL; --redis-password overrides; the display hides it', () => {
    const c = redisConnection({ url: 'redis://:url-pass@10.1.2.3:6380/2' });
    expect(c.options).toMatchObject({ host: '10.1.2.3', port: 6380, db: 2, password: 'url-pass' });
    expect(c.display).toBe('redis://:***@10.1.2.3:6380/2');
    const o = redisConnection({ url: 'redis://h', password: 'flag-pass' });
    expect(o.options).toMatchObject({ host: 'h', port: 6379, password: 'flag-pass' });
    expect(o.display).not.toContain('flag-pass');
    expect(redisConnection({ url: 'rediss://h:1' }).options.tls).toEqual({ rejectUnauthorized: true });
  });

  it('rejects bad input naming the option, the expected and the actual value', () => {
    expect(() => redisConnection({ url: 'http://h:1' })).toThrow(
      /--queue: expected the scheme redis:\/\/ or rediss:\/\/, got "http:\/\/"/,
    );
    expect(() => redisConnection({ url: 'nonsense' })).toThrow(/--queue: expected redis:\/\/host:port.*got "nonsense"/);
    expect(() => redisConnection({ url: 'redis://h:1/x' })).toThrow(/database number.*got "\/x"/);
    expect(() => redisConnection({ url: 'rediss://h:1', tlsCa: '/nonexistent/ca.pem' })).toThrow(
      /--tls-ca: expected a readable PEM file, got "\/nonexistent\/ca.pem"/,
    );
    expect(() => redisConnection({ url: 'rediss://h:1', tlsCert: '/x.pem' })).toThrow(
      /--tls-cert\/--tls-key: expected both/,
    );
  });
});

describe.skipIf(skip)('connecting to a real redis-server', () => {
  let secured: RedisFixture;
  let model: VaeModel;
  const tls = hasOpenssl();

  beforeAll(async () => {
    secured = await startRedis({ password: PASSWORD, tls });
    model = await loadModel(MODEL_DIR, { device: 'cpu', threads: 1 });
  });
  afterAll(async () => {
    await model?.release();
    await secured?.stop();
  });

  const failure = async (input: RedisConnectionInput, timeoutMs = 1500): Promise<RedisUnreachableError> => {
    const err = await checkRedis(redisConnection(input), timeoutMs).then(
      () => null,
      (e: unknown) => e,
    );
    expect(err).toBeInstanceOf(RedisUnreachableError);
    return err as RedisUnreachableError;
  };

  it('unreachable Redis: a clear error naming the URL, the code and what to do, after the bounded retry', async () => {
    const port = await freePort();
    const err = await failure({ url: `redis://127.0.0.1:${port}` }, 1000);
    expect(err.code).toBe('ECONNREFUSED');
    expect(err.message).toMatch(
      new RegExp(`Redis at redis://127.0.0.1:${port} unreachable after 1 s: ECONNREFUSED .*start Redis there`),
    );
  });

  it('the retry reaches a Redis that comes up while it waits', async () => {
    const port = await freePort();
    const waiting = checkRedis(redisConnection({ url: `redis://127.0.0.1:${port}` }), 30_000);
    await new Promise((r) => setTimeout(r, 600));
    const late = await startRedis({ port });
    try {
      await expect(waiting).resolves.toBeUndefined();
    } finally {
      await late.stop();
    }
  });

  it('vae worker with an unreachable Redis exits 1 with the error (no hang)', async () => {
    const port = await freePort();
    const p = spawnCli([
      'worker',
      '--queue',
      `redis://127.0.0.1:${port}`,
      '--model',
      MODEL_DIR,
      '--connect-timeout-ms',
      '1000',
    ]);
    const exit = await p.exited;
    expect(exit.code, p.output()).toBe(1);
    expect(p.output()).toMatch(
      new RegExp(`error: Redis at redis://127.0.0.1:${port} unreachable after 1 s: ECONNREFUSED`),
    );
  });

  it('password: the right one connects; a wrong or missing one is a clear error that never shows it', async () => {
    await checkRedis(redisConnection({ url: secured.url, password: PASSWORD }), 3000);
    await checkRedis(redisConnection({ url: secured.url.replace('//', `//:${PASSWORD}@`) }), 3000);
    const wrong = await failure({ url: secured.url, password: 'not-it' });
    expect(wrong.code).toBe('WRONGPASS');
    expect(wrong.message).toMatch(/refused the connection: WRONGPASS .*check --redis-password/);
    expect(wrong.message).not.toContain('not-it');
    const missing = await failure({ url: secured.url });
    expect(missing.code).toBe('NOAUTH');
  });

  it.skipIf(!tls)(
    'TLS: CA + client certificate connect; an unknown CA is refused; --tls-insecure skips the check',
    async () => {
      const files = secured.tls!;
      const url = secured.tlsUrl!;
      const cert = { tlsCert: files.clientCert, tlsKey: files.clientKey };
      await checkRedis(redisConnection({ url, password: PASSWORD, tlsCa: files.ca, ...cert }), 3000);
      const unknownCa = await failure({ url, password: PASSWORD, ...cert });
      expect(unknownCa.message).toMatch(/refused the connection: .*(CERT|SELF_SIGNED).*--tls-ca/);
      await checkRedis(redisConnection({ url, password: PASSWORD, tlsInsecure: true, ...cert }), 3000);
    },
  );

  it('a chunk job runs end to end through the password (and TLS) options', async () => {
    const files = secured.tls;
    const input = files
      ? {
          url: secured.tlsUrl!,
          password: PASSWORD,
          tlsCa: files.ca,
          tlsCert: files.clientCert,
          tlsKey: files.clientKey,
        }
      : { url: secured.url, password: PASSWORD };
    const connection = redisConnection(input);
    const worker = await startQueueWorker({ connection, model, queueName: 'secured' });
    try {
      const d = model.inputSize;
      const pixels = Uint8Array.from({ length: 3 * d }, (_, i) => (i * 37) % 256);
      const sink = new RecordingSink();
      const result = await embedViaQueue({
        connection,
        queueName: 'secured',
        runId: 'secured',
        modelId: modelIdOf(model),
        inputSize: d,
        dim: model.latentDim,
        chunks: [makeChunk(0, 0, pixels, Int32Array.of(-1, -1, -1), d)],
        sink,
        batchSize: 2,
        logvar: false,
      });
      expect(result).toMatchObject({ written: 1, items: 3 });
      expect([...sink.stored.values()][0]!.mu.length).toBe(3 * model.latentDim);
    } finally {
      await worker.close();
    }
  });
});
