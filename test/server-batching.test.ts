import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { setLogLevel, type VaeModel } from '@vae/core';
import { loadModel } from '@vae/runtime-node';
import { createVaeServer, type VaeServer } from '@vae/server';
import { exportTinyModel, row, syntheticImages } from './runtime-node-fixtures.js';
import { getJson, metricValue, postJson, v2Input, waitForQueueDepth } from './server-fixtures.js';

let dir: string;
let model: VaeModel;

beforeAll(async () => {
  setLogLevel('warn');
  dir = await exportTinyModel({ name: 'tiny', hidden: [64] });
  model = await loadModel(dir, { device: 'cpu' });
});
afterAll(async () => {
  await model?.release();
});

async function withServer<T>(
  options: Parameters<typeof createVaeServer>[0],
  fn: (base: string, server: VaeServer) => Promise<T>,
): Promise<T> {
  const server = createVaeServer({ defaultMetrics: false, ...options });
  const base = await server.listen({ host: '127.0.0.1', port: 0 });
  try {
    return await fn(base, server);
  } finally {
    await server.close();
  }
}

describe('dynamic micro-batching', () => {
  it('merges 64 concurrent requests into batches of maxBatchSize rows, each response equal to its single-request result', async () => {
    const x = syntheticImages(64, 784, 5);
    const singles: { mu: number[]; logvar: number[] }[] = [];
    for (let i = 0; i < 64; i++) {
      const e = await model.encode(row(x, i));
      if (!('mu' in e)) throw new Error('variational');
      singles.push({ mu: Array.from(e.mu.data), logvar: Array.from(e.logvar.data) });
    }
    // Batches flush on size only (the delay is far longer than the test), so the grouping is deterministic.
    await withServer({ model, batching: { maxBatchSize: 8, maxQueueDelayMs: 600_000 } }, async (base) => {
      const responses = await Promise.all(
        Array.from({ length: 64 }, (_, i) =>
          postJson(`${base}/v2/models/tiny-encoder/infer`, { id: `r${i}`, inputs: [v2Input('x', row(x, i))] }),
        ),
      );
      responses.forEach((res, i) => {
        expect(res.status).toBe(200);
        expect(res.body.id).toBe(`r${i}`);
        expect(res.body.outputs[0].data).toEqual(singles[i]!.mu);
        expect(res.body.outputs[1].data).toEqual(singles[i]!.logvar);
      });
      const text = await (await fetch(`${base}/metrics`)).text();
      expect(metricValue(text, 'vae_batch_size_requests_count', { model: 'tiny-encoder' })).toBe(8);
      expect(metricValue(text, 'vae_batch_size_requests_sum', { model: 'tiny-encoder' })).toBe(64);
      expect(metricValue(text, 'vae_batch_size_rows_sum', { model: 'tiny-encoder' })).toBe(64);
    });
  });

  it('keeps multi-row requests intact inside a batch and splits the result back row for row', async () => {
    const parts = [1, 3, 2, 2].map((n, i) => syntheticImages(n, 784, 40 + i));
    const expected = await Promise.all(
      parts.map(async (p) => Array.from((await model.decode(await model.embed(p))).mean.data)),
    );
    await withServer({ model, batching: { maxBatchSize: 8, maxQueueDelayMs: 600_000 } }, async (base) => {
      const res = await Promise.all(
        parts.map((p) =>
          postJson(`${base}/api/reconstruct`, {
            x: Array.from({ length: p.shape[0]! }, (_, i) => Array.from(row(p, i).data)),
          }),
        ),
      );
      res.forEach((r, i) => expect(r.body.images.flat()).toEqual(expected[i]));
    });
  });

  it('runs one model call per request when batching is off, with the same results', async () => {
    const x = syntheticImages(16, 784, 8);
    await withServer({ model, batching: { enabled: false } }, async (base) => {
      const res = await Promise.all(
        Array.from({ length: 16 }, (_, i) => postJson(`${base}/api/embed`, { x: [Array.from(row(x, i).data)] })),
      );
      const all = await model.embed(x);
      res.forEach((r, i) => expect(r.body.embedding[0]).toEqual(Array.from(all.data.subarray(i * 4, (i + 1) * 4))));
      const text = await (await fetch(`${base}/metrics`)).text();
      expect(metricValue(text, 'vae_batch_size_requests_count', { model: 'tiny-encoder' })).toBe(16);
      expect(metricValue(text, 'vae_batch_size_requests_sum', { model: 'tiny-encoder' })).toBe(16);
    });
  });
});

describe('bounded queue and lifecycle', () => {
  it('answers 503 when the queue is full', async () => {
    const x = syntheticImages(1);
    const server = createVaeServer({
      model,
      defaultMetrics: false,
      batching: { maxBatchSize: 100, maxQueueDelayMs: 600_000, maxQueueSize: 2 },
    });
    const base = await server.listen();
    const queued = [0, 1].map(() => postJson(`${base}/v2/models/tiny-encoder/infer`, { inputs: [v2Input('x', x)] }));
    await waitForQueueDepth(base, 'tiny-encoder', 2);
    const rejected = await postJson(`${base}/v2/models/tiny-encoder/infer`, { inputs: [v2Input('x', x)] });
    expect(rejected.status).toBe(503);
    expect(rejected.body.error).toMatch(/queue full: expected at most 2 queued requests/);
    expect(rejected.headers.get('retry-after')).toBe('1');
    // Graceful shutdown: the queued requests run at once (not after the 10-minute delay) and answer 200.
    const closed = server.close();
    const done = await Promise.all(queued);
    expect(done.map((r) => r.status)).toEqual([200, 200]);
    await closed;
    await expect(fetch(`${base}/v2/health/live`)).rejects.toThrow();
  });

  it('finishes in-flight work on close (SIGTERM path) and refuses new requests after', async () => {
    const x = syntheticImages(2, 784, 3);
    const server = createVaeServer({
      model,
      defaultMetrics: false,
      batching: { maxBatchSize: 64, maxQueueDelayMs: 600_000 },
    });
    const base = await server.listen();
    const inflight = [
      postJson(`${base}/api/embed`, { x: [Array.from(row(x, 0).data)] }),
      postJson(`${base}/api/reconstruct`, { x: [Array.from(row(x, 1).data)] }),
    ];
    await waitForQueueDepth(base, 'tiny-encoder', 2);
    await server.close();
    const [embed, recon] = (await Promise.all(inflight)) as [
      Awaited<ReturnType<typeof postJson>>,
      Awaited<ReturnType<typeof postJson>>,
    ];
    expect(embed.status).toBe(200);
    expect(embed.body.embedding[0]).toEqual(Array.from((await model.embed(row(x, 0))).data));
    expect(recon.status).toBe(200);
    expect(recon.body.images[0]).toEqual(Array.from((await model.reconstruct(row(x, 1))).data));
    await expect(fetch(`${base}/v2/health/live`)).rejects.toThrow();
    expect((await model.embed(row(x, 0))).shape).toEqual([1, 4]);
  });

  it('is live but not ready while a model factory is loading, then serves it and releases it on close', async () => {
    let resolveModel!: (m: VaeModel) => void;
    const pending = new Promise<VaeModel>((r) => (resolveModel = r));
    const server = createVaeServer({ model: () => pending, name: 'late', defaultMetrics: false });
    const base = await server.listen();
    expect(await getJson(`${base}/v2/health/live`)).toEqual({ status: 200, body: { live: true } });
    expect(await getJson(`${base}/v2/health/ready`)).toEqual({ status: 503, body: { ready: false } });
    const early = await postJson(`${base}/v2/models/late-encoder/infer`, {
      inputs: [v2Input('x', syntheticImages(1))],
    });
    expect(early.status).toBe(503);
    expect(early.body.error).toMatch(/model: expected a loaded model, got status loading/);
    const own = await loadModel(dir, { device: 'cpu' });
    resolveModel(own);
    await server.ready;
    expect(await getJson(`${base}/v2/health/ready`)).toEqual({ status: 200, body: { ready: true } });
    expect((await getJson(`${base}/v2/models/late-decoder/ready`)).body).toEqual({ name: 'late-decoder', ready: true });
    await server.close();
    await expect(own.embed(syntheticImages(1))).rejects.toThrow(/model was released/);
  });

  it('reports a failed factory as not ready with the reason', async () => {
    const server = createVaeServer({
      model: () => loadModel(`${dir}-missing`, { device: 'cpu' }),
      name: 'broken',
      defaultMetrics: false,
    });
    const base = await server.listen();
    await expect(server.ready).rejects.toThrow(/manifest\.json/);
    expect((await getJson(`${base}/v2/health/ready`)).status).toBe(503);
    const res = await getJson(`${base}/v2/models/broken-encoder`);
    expect(res.status).toBe(503);
    expect(res.body.error).toMatch(
      /^model: expected a loaded model, got status failed \(the model failed to load; the server log has the reason\) \(request id [0-9a-f]{8}-\w+\)$/,
    );
    expect(res.body.error).not.toMatch(/manifest/);
    await server.close();
  });
});
