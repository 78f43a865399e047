import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { setLogLevel, type VaeModel } from '@vae/core';
import { loadModel } from '@vae/runtime-node';
import { createVaeServer, type VaeServer } from '@vae/server';
import { cyclicOneHot, exportTinyModel, syntheticImages } from './runtime-node-fixtures.js';
import { getJson, metricValue, nested, postJson, v2Input } from './server-fixtures.js';

let model: VaeModel;
let server: VaeServer;
let base: string;
const x = syntheticImages(3);

beforeAll(async () => {
  setLogLevel('warn');
  const dir = await exportTinyModel({ name: 'tiny' });
  model = await loadModel(dir, { device: 'cpu' });
  server = createVaeServer({ model, bodyLimit: 256 * 1024, defaultMetrics: false });
  base = await server.listen({ host: '127.0.0.1', port: 0 });
});
afterAll(async () => {
  await server?.close();
  await model?.release();
});

describe('Open Inference Protocol: health and metadata', () => {
  it('server live, ready and metadata', async () => {
    expect(await getJson(`${base}/v2/health/live`)).toEqual({ status: 200, body: { live: true } });
    expect(await getJson(`${base}/v2/health/ready`)).toEqual({ status: 200, body: { ready: true } });
    const meta = await getJson(`${base}/v2`);
    expect(meta.status).toBe(200);
    expect(meta.body).toMatchObject({ name: 'vae-everywhere', version: '0.1.0', extensions: ['binary_tensor_data'] });
    expect(meta.body.routes).toContain('POST /v2/models/:name/infer');
  });

  it('model metadata and ready for the encoder and decoder, with and without a version', async () => {
    const enc = await getJson(`${base}/v2/models/tiny-encoder`);
    expect(enc).toEqual({
      status: 200,
      body: {
        name: 'tiny-encoder',
        versions: ['1'],
        platform: 'onnxruntime_onnx',
        inputs: [{ name: 'x', datatype: 'FP32', shape: [-1, 784] }],
        outputs: [
          { name: 'mu', datatype: 'FP32', shape: [-1, 4] },
          { name: 'logvar', datatype: 'FP32', shape: [-1, 4] },
        ],
        parameters: {
          device: 'cpu',
          backend: 'onnxruntime-node',
          verification: 'skipped',
          verification_reason: 'verify: false',
        },
      },
    });
    expect((await getJson(`${base}/v2/models/tiny-encoder/versions/1`)).body).toEqual(enc.body);
    const dec = await getJson(`${base}/v2/models/tiny-decoder`);
    expect(dec.body.inputs).toEqual([{ name: 'z', datatype: 'FP32', shape: [-1, 4] }]);
    expect(dec.body.outputs.map((o: { name: string }) => o.name)).toEqual(['x_logits', 'x_mean']);
    expect(await getJson(`${base}/v2/models/tiny-decoder/ready`)).toEqual({
      status: 200,
      body: { name: 'tiny-decoder', ready: true },
    });
    expect(await getJson(`${base}/v2/models/tiny-decoder/versions/1/ready`)).toEqual({
      status: 200,
      body: { name: 'tiny-decoder', ready: true },
    });
  });

  it('unknown models, versions and routes answer 404 with {"error"}', async () => {
    const unknown = await getJson(`${base}/v2/models/nope`);
    expect(unknown.status).toBe(404);
    expect(unknown.body.error).toMatch(/model: expected one of tiny-encoder\|tiny-decoder, got "nope"/);
    const version = await getJson(`${base}/v2/models/tiny-encoder/versions/7`);
    expect(version.status).toBe(404);
    expect(version.body.error).toMatch(/version: expected 1/);
    const route = await getJson(`${base}/v3/nothing`);
    expect(route.status).toBe(404);
    expect(Object.keys(route.body)).toEqual(['error']);
  });
});

describe('Open Inference Protocol: infer', () => {
  it('runs the encoder on flat FP32 data, echoes the id and returns FP32 outputs with shapes', async () => {
    const res = await postJson(`${base}/v2/models/tiny-encoder/infer`, { id: 'req-1', inputs: [v2Input('x', x)] });
    expect(res.status).toBe(200);
    const e = await model.encode(x);
    if (!('mu' in e)) throw new Error('variational');
    expect(res.body).toEqual({
      model_name: 'tiny-encoder',
      model_version: '1',
      id: 'req-1',
      outputs: [
        { name: 'mu', datatype: 'FP32', shape: [3, 4], data: Array.from(e.mu.data) },
        { name: 'logvar', datatype: 'FP32', shape: [3, 4], data: Array.from(e.logvar.data) },
      ],
    });
  });

  it('accepts nested data, FP64, the versioned route, and honours the requested outputs', async () => {
    const res = await postJson(`${base}/v2/models/tiny-encoder/versions/1/infer`, {
      inputs: [{ name: 'x', shape: [3, 784], datatype: 'FP64', data: nested(x) }],
      outputs: [{ name: 'logvar' }],
    });
    expect(res.status).toBe(200);
    const e = await model.encode(x);
    if (!('logvar' in e)) throw new Error('variational');
    expect(res.body.id).toBeUndefined();
    expect(res.body.outputs).toEqual([
      { name: 'logvar', datatype: 'FP32', shape: [3, 4], data: Array.from(e.logvar.data) },
    ]);
  });

  it('runs the decoder', async () => {
    const z = { data: Float32Array.from([0.1, -0.2, 0.3, 0.4, 1, 0, -1, 0.5]), shape: [2, 4] };
    const res = await postJson(`${base}/v2/models/tiny-decoder/infer`, {
      inputs: [v2Input('z', z)],
      outputs: [{ name: 'x_mean' }],
    });
    expect(res.status).toBe(200);
    expect(res.body.outputs[0].shape).toEqual([2, 784]);
    expect(res.body.outputs[0].data).toEqual(Array.from((await model.decode(z)).mean.data));
  });

  it.each([
    [
      'a wrong shape',
      { inputs: [{ name: 'x', shape: [1, 783], datatype: 'FP32', data: new Array(783).fill(0) }] },
      /inputs\[0\]\.shape: expected \[batch, 784\] for input x, got \[1, 783\]/,
    ],
    [
      'a data length that does not match the shape',
      { inputs: [{ name: 'x', shape: [2, 784], datatype: 'FP32', data: new Array(784).fill(0) }] },
      /inputs\[0\]\.data: expected 1568 values for shape \[2, 784\], got 784/,
    ],
    [
      'nested data that does not match the shape',
      {
        inputs: [
          { name: 'x', shape: [2, 784], datatype: 'FP32', data: [new Array(784).fill(0), new Array(3).fill(0)] },
        ],
      },
      /inputs\[0\]\.data\[1\]: expected an array of length 784/,
    ],
    [
      'an unsupported datatype',
      { inputs: [{ name: 'x', shape: [1, 784], datatype: 'INT8', data: new Array(784).fill(0) }] },
      /inputs\[0\]\.datatype: expected FP32\|FP64, got "INT8"/,
    ],
    [
      'a non-number',
      { inputs: [{ name: 'x', shape: [1, 784], datatype: 'FP32', data: [...new Array(783).fill(0), 'NaN'] }] },
      /inputs\[0\]\.data\[783\]: expected a finite number, got "NaN"/,
    ],
    [
      'null',
      { inputs: [{ name: 'x', shape: [1, 784], datatype: 'FP32', data: [null, ...new Array(783).fill(0)] }] },
      /inputs\[0\]\.data\[0\]: expected a finite number, got null/,
    ],
    [
      'an unknown input',
      { inputs: [{ name: 'image', shape: [1, 784], datatype: 'FP32', data: new Array(784).fill(0) }] },
      /inputs\[0\]\.name: expected one of x, got "image"/,
    ],
    ['no inputs', { inputs: [] }, /inputs: expected a non-empty array of tensors/],
    [
      'an unknown requested output',
      { inputs: [v2Input('x', x)], outputs: [{ name: 'z' }] },
      /outputs\[0\]\.name: expected one of mu\|logvar, got "z"/,
    ],
    ['a non-string id', { id: 5, inputs: [v2Input('x', x)] }, /id: expected a string, got 5/],
    [
      'an empty batch',
      { inputs: [{ name: 'x', shape: [0, 784], datatype: 'FP32', data: [] }] },
      /inputs\[0\]\.shape\[0\]: expected a batch size in \[1, 1024\], got 0/,
    ],
  ])('answers 400 with the reason for %s', async (_what, body, reason) => {
    const res = await postJson(`${base}/v2/models/tiny-encoder/infer`, body);
    expect(res.status).toBe(400);
    expect(Object.keys(res.body)).toEqual(['error']);
    expect(res.body.error).toMatch(reason);
  });

  it('answers 400 for infinite numbers (1e999 in JSON) and malformed JSON', async () => {
    const inf = `{"inputs":[{"name":"x","shape":[1,784],"datatype":"FP32","data":[1e999${',0'.repeat(783)}]}]}`;
    const a = await postJson(`${base}/v2/models/tiny-encoder/infer`, null, inf);
    expect(a.status).toBe(400);
    expect(a.body.error).toMatch(/inputs\[0\]\.data\[0\]: expected a finite number, got Infinity/);
    const b = await postJson(`${base}/v2/models/tiny-encoder/infer`, null, '{"inputs": [');
    expect(b.status).toBe(400);
    expect(Object.keys(b.body)).toEqual(['error']);
  });

  it('answers 413 when the body exceeds the limit', async () => {
    const big = syntheticImages(40);
    const res = await postJson(`${base}/v2/models/tiny-encoder/infer`, { inputs: [v2Input('x', big)] });
    expect(res.status).toBe(413);
    expect(Object.keys(res.body)).toEqual(['error']);
    expect(res.body.error).toMatch(/^body: expected at most 262144 bytes, got \d{6,} bytes$/);
  });
});

describe('binary tensor data extension', () => {
  function binaryRequest(
    json: unknown,
    tensors: Float32Array[],
    contentType = 'application/octet-stream',
  ): RequestInit {
    const header = Buffer.from(JSON.stringify(json));
    const bytes = tensors.map((t) => Buffer.from(t.buffer, t.byteOffset, t.byteLength));
    return {
      method: 'POST',
      headers: { 'content-type': contentType, 'inference-header-content-length': String(header.length) },
      body: Buffer.concat([header, ...bytes]),
    };
  }

  it('reads binary FP32 inputs and returns binary outputs when asked, equal to the JSON path', async () => {
    const e = await model.encode(x);
    if (!('mu' in e)) throw new Error('variational');
    for (const contentType of ['application/octet-stream', 'application/json']) {
      const res = await fetch(
        `${base}/v2/models/tiny-encoder/infer`,
        binaryRequest(
          {
            id: 'b',
            inputs: [{ name: 'x', shape: [3, 784], datatype: 'FP32', parameters: { binary_data_size: 3 * 784 * 4 } }],
            outputs: [{ name: 'mu', parameters: { binary_data: true } }, { name: 'logvar' }],
          },
          [x.data],
          contentType,
        ),
      );
      expect(res.status).toBe(200);
      expect(res.headers.get('content-type')).toBe('application/octet-stream');
      const body = Buffer.from(await res.arrayBuffer());
      const headerLength = Number(res.headers.get('inference-header-content-length'));
      const header = JSON.parse(body.subarray(0, headerLength).toString());
      expect(header.id).toBe('b');
      expect(header.outputs[0]).toEqual({
        name: 'mu',
        datatype: 'FP32',
        shape: [3, 4],
        parameters: { binary_data_size: 48 },
      });
      expect(header.outputs[1]).toEqual({
        name: 'logvar',
        datatype: 'FP32',
        shape: [3, 4],
        data: Array.from(e.logvar.data),
      });
      const mu = new Float32Array(
        body.buffer.slice(body.byteOffset + headerLength, body.byteOffset + headerLength + 48),
      );
      expect(mu).toEqual(e.mu.data);
    }
  });

  it('returns all outputs as binary with binary_data_output, from JSON inputs', async () => {
    const e = await model.encode(x);
    if (!('mu' in e)) throw new Error('variational');
    const res = await fetch(`${base}/v2/models/tiny-encoder/infer`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ parameters: { binary_data_output: true }, inputs: [v2Input('x', x)] }),
    });
    expect(res.status).toBe(200);
    const headerLength = Number(res.headers.get('inference-header-content-length'));
    const body = Buffer.from(await res.arrayBuffer());
    const header = JSON.parse(body.subarray(0, headerLength).toString());
    expect(header.outputs.map((o: { parameters: unknown }) => o.parameters)).toEqual([
      { binary_data_size: 48 },
      { binary_data_size: 48 },
    ]);
    expect(body.length).toBe(headerLength + 96);
    const values = new Float32Array(
      body.buffer.slice(body.byteOffset + headerLength, body.byteOffset + headerLength + 96),
    );
    expect(values.subarray(0, 12)).toEqual(e.mu.data);
    expect(values.subarray(12)).toEqual(e.logvar.data);
  });

  it('answers 400 for binary sizes that do not match', async () => {
    const wrongSize = await fetch(
      `${base}/v2/models/tiny-encoder/infer`,
      binaryRequest(
        { inputs: [{ name: 'x', shape: [3, 784], datatype: 'FP32', parameters: { binary_data_size: 100 } }] },
        [x.data],
      ),
    );
    expect(wrongSize.status).toBe(400);
    expect((await wrongSize.json()).error).toMatch(
      /inputs\[0\]\.parameters\.binary_data_size: expected 9408 \(2352 × FP32\), got 100/,
    );
    const short = await fetch(
      `${base}/v2/models/tiny-encoder/infer`,
      binaryRequest(
        { inputs: [{ name: 'x', shape: [3, 784], datatype: 'FP32', parameters: { binary_data_size: 9408 } }] },
        [x.data.subarray(0, 100)],
      ),
    );
    expect(short.status).toBe(400);
    expect((await short.json()).error).toMatch(/expected 9408 bytes of binary data after the JSON header, got 400/);
    const trailing = await fetch(
      `${base}/v2/models/tiny-encoder/infer`,
      binaryRequest({ inputs: [v2Input('x', x)] }, [Float32Array.from([1])]),
    );
    expect(trailing.status).toBe(400);
    expect((await trailing.json()).error).toMatch(
      /body: expected 0 bytes of binary tensor data after the JSON header, got 4/,
    );
    const nan = Float32Array.from(x.data);
    nan[5] = Number.NaN;
    const bad = await fetch(
      `${base}/v2/models/tiny-encoder/infer`,
      binaryRequest(
        { inputs: [{ name: 'x', shape: [3, 784], datatype: 'FP32', parameters: { binary_data_size: 9408 } }] },
        [nan],
      ),
    );
    expect(bad.status).toBe(400);
    expect((await bad.json()).error).toMatch(/^inputs\[0\]\.data \(binary\)\[5\]: expected a finite number, got NaN$/);
  });
});

describe('convenience routes', () => {
  it('embed, reconstruct, sample (seeded), ELBO and log-likelihood match the VaeModel API', async () => {
    const embed = await postJson(`${base}/api/embed`, { x: nested(x) });
    expect(embed.status).toBe(200);
    expect(embed.body.embedding).toEqual(nested(await model.embed(x)));
    const one = await postJson(`${base}/api/embed`, { x: Array.from(x.data.subarray(0, 784)) });
    expect(one.body.embedding).toEqual([embed.body.embedding[0]]);
    const recon = await postJson(`${base}/api/reconstruct`, { x: nested(x) });
    expect(recon.body.images).toEqual(nested(await model.reconstruct(x)));
    expect(recon.body.imageShape).toEqual([28, 28, 1]);
    const sample = await postJson(`${base}/api/sample`, { n: 2, seed: 42, temperature: 0.8 });
    expect(sample.body.images).toEqual(nested(await model.sample({ n: 2, seed: 42, temperature: 0.8 })));
    const elbo = await postJson(`${base}/api/elbo`, { x: nested(x), seed: 3 });
    expect(elbo.body.elbo).toEqual(Array.from(await model.elbo(x, { seed: 3 })));
    const ll = await postJson(`${base}/api/log-likelihood`, { x: nested(x), samples: 20, seed: 4, chunkSize: 7 });
    expect(ll.body.logLikelihood).toEqual(
      Array.from(await model.logLikelihood(x, { samples: 20, seed: 4, chunkSize: 7 })),
    );
  });

  it('validates their inputs (400 with the reason)', async () => {
    const cases: [string, unknown, RegExp][] = [
      [
        '/api/embed',
        { x: [[1, 2, 3]] },
        /x\[0\]: expected a row of 784 numbers \(one 28 high × 28 wide × 1 channel image, HWC\), got an array of length 3/,
      ],
      [
        '/api/embed',
        { x: nested(x), y: nested(cyclicOneHot(3, 10)) },
        /y: expected no labels for unconditional kind vae/,
      ],
      ['/api/sample', { n: 2 }, /seed: expected an integer in \[0, 4294967295\], got undefined/],
      ['/api/sample', { n: 0, seed: 1 }, /n: expected an integer in \[1, 1024\], got 0/],
      ['/api/sample', { n: 1, seed: 1, temperature: -2 }, /temperature: expected a number in \[0, 10\], got -2/],
      ['/api/log-likelihood', { x: nested(x), seed: 1, samples: 1e6 }, /samples: expected an integer in \[1, 5000\]/],
      ['/api/elbo', [1, 2], /body: expected a JSON object, got an array/],
    ];
    for (const [route, body, reason] of cases) {
      const res = await postJson(`${base}${route}`, body);
      expect(res.status, route).toBe(400);
      expect(res.body.error).toMatch(reason);
    }
  });
});

describe('metrics', () => {
  it('exports request counts by route and status, latency and batch-size histograms', async () => {
    await postJson(`${base}/v2/models/tiny-encoder/infer`, { inputs: [v2Input('x', x)] });
    const res = await fetch(`${base}/metrics`);
    expect(res.headers.get('content-type')).toMatch(/text\/plain/);
    const text = await res.text();
    expect(
      metricValue(text, 'vae_http_requests_total', { route: '/v2/models/:name/infer', status: '200' }),
    ).toBeGreaterThanOrEqual(1);
    expect(
      metricValue(text, 'vae_http_requests_total', { route: '/v2/models/:name/infer', status: '400' }),
    ).toBeGreaterThanOrEqual(11);
    expect(metricValue(text, 'vae_http_requests_total', { route: '/v2/models/:name/infer', status: '413' })).toBe(1);
    expect(
      metricValue(text, 'vae_http_request_duration_seconds_count', { route: '/v2/models/:name/infer' }),
    ).toBeGreaterThanOrEqual(13);
    expect(metricValue(text, 'vae_batch_size_rows_count', { model: 'tiny-encoder' })).toBeGreaterThanOrEqual(1);
    expect(text).toContain('# TYPE vae_batch_size_requests histogram');
    expect(text).toMatch(
      /^vae_model_info\{model="tiny",device="cpu",backend="onnxruntime-node",verification="skipped"\} 1$/m,
    );
  });
});
