import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { setLogLevel, type VaeModel } from '@vae/core';
import { loadModel } from '@vae/runtime-node';
import { MicroBatcher, createVaeServer, type VaeServer } from '@vae/server';
import { exportTinyModel, row, syntheticImages } from './runtime-node-fixtures.js';
import { metricValue, postJson } from './server-fixtures.js';

let model: VaeModel;
let server: VaeServer;
let base: string;
const x = syntheticImages(30, 784, 11);
const singles: number[][] = [];

beforeAll(async () => {
  setLogLevel('error');
  model = await loadModel(await exportTinyModel({ name: 'tiny', hidden: [64] }), { device: 'cpu' });
  for (let i = 0; i < 30; i++) singles.push(Array.from((await model.embed(row(x, i))).data));
  // A 50 ms batch window: concurrent requests share merged runs.
  server = createVaeServer({ model, defaultMetrics: false, batching: { maxBatchSize: 1000, maxQueueDelayMs: 50 } });
  base = await server.listen();
});
afterAll(async () => {
  await server?.close();
  await model?.release();
});

/** JSON text of an infer request with `value` written verbatim at flat index 2 of row `i`. */
function jsonWith(i: number, value: string): string {
  const data = Array.from(row(x, i).data, String);
  data[2] = value;
  return `{"id":"r${i}","inputs":[{"name":"x","shape":[1,784],"datatype":"FP32","data":[${data.join(',')}]}]}`;
}

function binaryFp64With(i: number, value: number): RequestInit {
  const values = Float64Array.from(row(x, i).data);
  values[2] = value;
  const header = Buffer.from(
    JSON.stringify({
      id: `r${i}`,
      inputs: [{ name: 'x', shape: [1, 784], datatype: 'FP64', parameters: { binary_data_size: 784 * 8 } }],
    }),
  );
  return {
    method: 'POST',
    headers: { 'content-type': 'application/octet-stream', 'inference-header-content-length': String(header.length) },
    body: Buffer.concat([header, Buffer.from(values.buffer)]),
  };
}

describe('one poisoned request never fails its neighbours', () => {
  it('JSON 1e39 (finite in JSON, Infinity as float32): 29 concurrent valid requests succeed, the poisoned one gets 400 naming its own index', async () => {
    for (let round = 0; round < 3; round++) {
      const poisoned = 7 + round * 9;
      const responses = await Promise.all(
        Array.from({ length: 30 }, (_, i) =>
          postJson(
            `${base}/v2/models/tiny-encoder/infer`,
            null,
            i === poisoned ? jsonWith(i, '1e39') : jsonWith(i, String(row(x, i).data[2])),
          ),
        ),
      );
      responses.forEach((res, i) => {
        if (i === poisoned) {
          expect(res.status).toBe(400);
          expect(res.body).toEqual({
            error:
              'inputs[0].data[2]: expected a number within float32 range (|v| ≤ 3.4028234663852886e+38), got 1e+39',
          });
        } else {
          expect(res.status, `request ${i}`).toBe(200);
          expect(res.body.outputs[0].data).toEqual(singles[i]);
        }
      });
    }
    // The valid requests did share merged runs (fewer runs than requests).
    const text = await (await fetch(`${base}/metrics`)).text();
    expect(metricValue(text, 'vae_batch_size_requests_sum', { model: 'tiny-encoder' })).toBe(87);
    expect(metricValue(text, 'vae_batch_size_requests_count', { model: 'tiny-encoder' })).toBeLessThan(87);
  });

  it('binary FP64 1e300: concurrent /api/embed and infer calls all succeed, the poisoned one gets 400 naming its own index', async () => {
    const poisoned = 13;
    const [bin, ...embeds] = await Promise.all([
      fetch(`${base}/v2/models/tiny-encoder/infer`, binaryFp64With(poisoned, 1e300)),
      ...Array.from({ length: 29 }, (_, i) => postJson(`${base}/api/embed`, { x: [Array.from(row(x, i).data)] })),
    ]);
    expect(bin!.status).toBe(400);
    expect(await bin!.json()).toEqual({
      error:
        'inputs[0].data (binary)[2]: expected a number within float32 range (|v| ≤ 3.4028234663852886e+38), got 1e+300',
    });
    embeds.forEach((res, i) => {
      expect(res.status, `embed ${i}`).toBe(200);
      expect(res.body.embedding[0]).toEqual(singles[i]);
    });
    const ok = await fetch(`${base}/v2/models/tiny-encoder/infer`, binaryFp64With(3, row(x, 3).data[2]!));
    expect(ok.status).toBe(200);
  });

  it('JSON 1e39 in a row of /api/embed names that row and column', async () => {
    const rows = [Array.from(row(x, 0).data), Array.from(row(x, 1).data)];
    const text = JSON.stringify({ x: rows }).replace(/^(\{"x":\[\[[^\]]*\],\[)([^,]+)/, '$11e39');
    const res = await postJson(`${base}/api/embed`, null, text);
    expect(res.status).toBe(400);
    expect(res.body.error).toBe(
      'x[1][0]: expected a number within float32 range (|v| ≤ 3.4028234663852886e+38), got 1e+39',
    );
  });

  it('a merged model run that still fails is re-run request by request: only the offender fails, with an index into its own rows', async () => {
    // The batcher of the server's encoder endpoint, fed tensors directly (past HTTP validation).
    const runs: number[] = [];
    const batcher = new MicroBatcher<Float32Array, Float32Array>({
      enabled: true,
      maxBatchSize: 1000,
      maxQueueDelayMs: 600_000,
      maxQueueSize: 100,
      rows: (d) => d.length / 784,
      run: async (inputs) => {
        runs.push(inputs.length);
        const merged = new Float32Array(inputs.reduce((n, d) => n + d.length, 0));
        let at = 0;
        for (const d of inputs) {
          merged.set(d, at);
          at += d.length;
        }
        const e = await model.embed({ data: merged, shape: [merged.length / 784, 784] });
        return inputs.map((_, i) => e.data.slice(i * 4, (i + 1) * 4));
      },
    });
    const inputs = Array.from({ length: 12 }, (_, i) => Float32Array.from(row(x, i).data));
    inputs[9]![5] = Number.POSITIVE_INFINITY;
    const settled = Promise.allSettled(inputs.map((d) => batcher.submit(d)));
    await batcher.drain();
    const results = await settled;
    results.forEach((r, i) => {
      if (i === 9) {
        expect(r.status).toBe('rejected');
        expect(String((r as PromiseRejectedResult).reason)).toBe(
          'RangeError: x: expected finite values, got Infinity at flat index 5',
        );
      } else {
        expect(r).toEqual({ status: 'fulfilled', value: Float32Array.from(singles[i]!) });
      }
    });
    expect(runs).toEqual([12, ...new Array(12).fill(1)]);
  });
});
