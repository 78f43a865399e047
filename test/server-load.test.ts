import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { setLogLevel, type VaeModel } from '@vae/core';
import { loadModel } from '@vae/runtime-node';
import { createVaeServer, type VaeServer, type VaeServerOptions } from '@vae/server';
import { exportTinyModel, syntheticImages } from './runtime-node-fixtures.js';
import {
  getJson,
  metricValue,
  nested,
  parseRawResponse,
  postJson,
  rawExchange,
  v2Input,
  waitForQueueDepth,
} from './server-fixtures.js';

let model: VaeModel;
const x = syntheticImages(1);

beforeAll(async () => {
  setLogLevel('error');
  model = await loadModel(await exportTinyModel({ name: 'tiny', hidden: [64] }), { device: 'cpu' });
});
afterAll(async () => {
  await model?.release();
});

async function withServer<T>(
  options: Partial<VaeServerOptions>,
  fn: (base: string, server: VaeServer) => Promise<T>,
): Promise<T> {
  const server = createVaeServer({ model, defaultMetrics: false, ...options });
  const base = await server.listen();
  try {
    return await fn(base, server);
  } finally {
    await server.close();
  }
}

/** Headers of a POST whose body is announced (Content-Length) but never sent. */
const announced = (path: string, length: number) =>
  `POST ${path} HTTP/1.1\r\nHost: localhost\r\nContent-Type: application/json\r\nContent-Length: ${length}\r\n\r\n`;
const untilBody = /\r\n\r\n\{.*\}$/s;

describe('early shedding: 503 + Retry-After decided from the headers, before the body is read', () => {
  it('sheds POSTs over maxInFlight without waiting for their body; health and metrics still answer', async () => {
    await withServer(
      { maxInFlight: 1, batching: { maxBatchSize: 1000, maxQueueDelayMs: 600_000 } },
      async (base, server) => {
        const held = postJson(`${base}/v2/models/tiny-encoder/infer`, { inputs: [v2Input('x', x)] });
        await waitForQueueDepth(base, 'tiny-encoder', 1);
        // The body never comes: an answer at all proves it was decided on the headers.
        const res = parseRawResponse(
          await rawExchange(base, announced('/v2/models/tiny-encoder/infer', 1_000_000), untilBody),
        );
        expect(res.status).toBe(503);
        expect(res.headers['retry-after']).toBe('1');
        expect(res.headers.connection).toBe('close');
        expect(res.body.error).toBe(
          `server: expected at most 1 requests in flight, got one more; retry later (request id ${res.headers['x-request-id']})`,
        );
        expect(await getJson(`${base}/v2/health/ready`)).toEqual({ status: 200, body: { ready: true } });
        const text = await (await fetch(`${base}/metrics`)).text();
        expect(metricValue(text, 'vae_http_shed_total', { reason: 'busy' })).toBe(1);
        void server.close();
        expect((await held).status).toBe(200);
      },
    );
  });

  it('sheds a POST whose declared body would pass maxInFlightBytes', async () => {
    await withServer(
      { maxInFlightBytes: 100_000, batching: { maxBatchSize: 1000, maxQueueDelayMs: 600_000 } },
      async (base, server) => {
        const held = postJson(`${base}/api/embed`, { x: nested(x) });
        await waitForQueueDepth(base, 'tiny-encoder', 1);
        const res = parseRawResponse(await rawExchange(base, announced('/api/embed', 90_000), untilBody));
        expect(res.status).toBe(503);
        expect(res.body.error).toMatch(
          /^server: expected at most 100000 request bytes in flight, got \d+ \+ 90000; retry later/,
        );
        void server.close();
        expect((await held).status).toBe(200);
      },
    );
  });
});

describe('admission bookkeeping', () => {
  it('frees the slots of pipelined requests whose client went away before their answers', async () => {
    await withServer({ maxInFlight: 4, batching: { maxBatchSize: 1000, maxQueueDelayMs: 200 } }, async (base) => {
      const body = JSON.stringify({ inputs: [v2Input('x', x)] });
      const one = `POST /v2/models/tiny-encoder/infer HTTP/1.1\r\nHost: localhost\r\nContent-Type: application/json\r\nContent-Length: ${Buffer.byteLength(body)}\r\n\r\n${body}`;
      for (let round = 0; round < 3; round++) {
        // Four pipelined requests are admitted and queued; the client hangs up before any answer.
        const { connect } = await import('node:net');
        const url = new URL(base);
        await new Promise<void>((resolve) => {
          const socket = connect(Number(url.port), url.hostname, () => socket.write(one.repeat(4)));
          setTimeout(() => {
            socket.destroy();
            resolve();
          }, 50);
        });
        await new Promise((r) => setTimeout(r, 400));
      }
      // Every slot is free again: four concurrent requests are all admitted.
      const res = await Promise.all(
        Array.from({ length: 4 }, () =>
          postJson(`${base}/v2/models/tiny-encoder/infer`, { inputs: [v2Input('x', x)] }),
        ),
      );
      expect(res.map((r) => r.status)).toEqual([200, 200, 200, 200]);
    });
  });
});

describe('evaluation routes: work budget, chunk bound, own queue, deadline', () => {
  it('refuses the 64 rows × 5000 samples × chunkSize 5000 request with 400 and bounds chunkSize by rows', async () => {
    await withServer({}, async (base) => {
      const x64 = nested(syntheticImages(64, 784, 2));
      const big = await postJson(`${base}/api/log-likelihood`, { x: x64, samples: 5000, chunkSize: 5000, seed: 1 });
      expect(big.status).toBe(400);
      expect(big.body.error).toBe(
        'samples: expected rows × samples ≤ 131072 (the work budget of one request), got 64 × 5000 = 320000; split the rows over several requests',
      );
      const chunk = await postJson(`${base}/api/log-likelihood`, {
        x: x64.slice(0, 3),
        samples: 1000,
        chunkSize: 500,
        seed: 1,
      });
      expect(chunk.status).toBe(400);
      expect(chunk.body.error).toBe(
        'chunkSize: expected an integer in [1, 341] for 3 rows (rows × chunkSize ≤ 1024, the rows decoded at once), got 500',
      );
      // Without chunkSize the server picks min(100, 1024 / rows) and says so; the value is the model's.
      const ok = await postJson(`${base}/api/log-likelihood`, { x: x64, samples: 50, seed: 7 });
      expect(ok.status).toBe(200);
      expect(ok.body.chunkSize).toBe(16);
      const xs = syntheticImages(64, 784, 2);
      expect(ok.body.logLikelihood).toEqual(
        Array.from(await model.logLikelihood(xs, { samples: 50, seed: 7, chunkSize: 16 })),
      );
    });
  });

  it('stops a running evaluation at the deadline (504) and sheds one over the queue on arrival (503)', async () => {
    // 256 × 5000 decoded rows (10× the default work budget, raised here): the tiny model's scorer
    // decodes 64 × 2000 rows in well under 300 ms since the IS speed-ups, so the request must be larger.
    const evaluation = { maxConcurrent: 1, maxQueued: 0, maxWorkRows: 1_280_000 };
    await withServer({ requestTimeoutMs: 300, evaluation }, async (base) => {
      const started = Date.now();
      const long = postJson(`${base}/api/log-likelihood`, {
        x: nested(syntheticImages(256, 784, 3)),
        samples: 5000,
        seed: 1,
      });
      await waitForQueueDepth(base, 'evaluations', 1);
      const shed = parseRawResponse(await rawExchange(base, announced('/api/elbo', 5000), untilBody));
      expect(shed.status).toBe(503);
      expect(shed.headers['retry-after']).toBe('1');
      expect(shed.body.error).toMatch(
        /^evaluation routes: expected at most 1 requests running or queued, got one more; retry later \(request id /,
      );
      // The fast path is not behind the evaluation queue.
      expect((await postJson(`${base}/api/embed`, { x: nested(x) })).status).toBe(200);
      const res = await long;
      expect(res.status).toBe(504);
      expect(res.body.error).toMatch(
        /^request: expected to finish within 300 ms, got stopped after \d+ ms; ask for fewer rows or samples \(request id [0-9a-f]{8}-\w+\)$/,
      );
      // Generous bound: only catches a job that ignores its deadline (256 × 5000 rows take seconds).
      expect(Date.now() - started).toBeLessThan(30_000);
      expect((await postJson(`${base}/api/elbo`, { x: nested(x), seed: 1 })).status).toBe(200);
    });
  });
});
