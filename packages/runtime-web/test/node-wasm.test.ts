import { readFile } from 'node:fs/promises';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ModelFileNotFoundError, VaeModel, setLogLevel, type BackendSession, type Tensor } from '@vae/core';
import { fetchFileSource } from '../src/fetch-file-source.js';
import { configureNodeWebRuntime, loadOrtWebForNode, nodeWebBackend } from '../src/node/index.js';
import { createWebBackend } from '../src/web-backend.js';
import { dirSource, exportTinyModel, latents, maxAbsDiff, runOnNodeCpu } from './fixtures.js';

describe('onnxruntime-web backend in Node (wasm EP)', () => {
  let dir: string;
  let decoder: BackendSession;

  beforeAll(async () => {
    setLogLevel('warn');
    dir = await exportTinyModel();
    decoder = await nodeWebBackend().createSession(new Uint8Array(await readFile(join(dir, 'decoder.onnx'))), {
      device: 'wasm',
    });
  });
  afterAll(async () => {
    await decoder?.release();
  });

  it('decodes like onnxruntime-node on the CPU (max |Δ| < 1e-4)', async () => {
    const z = latents(16, 4);
    const web = await decoder.run({ z });
    const cpu = await runOnNodeCpu(join(dir, 'decoder.onnx'), { z });
    expect(decoder.device).toBe('wasm');
    expect([...decoder.outputNames].sort()).toEqual(Object.keys(cpu).sort());
    for (const name of decoder.outputNames) {
      expect(web[name]!.shape).toEqual([16, 784]);
      expect(maxAbsDiff(web[name]!, cpu[name]!)).toBeLessThan(1e-4);
    }
  });

  it('queues concurrent runs on one session: each result equals its sequential run', async () => {
    const batches = Array.from({ length: 6 }, (_, i) => latents(1 + i, 4, 100 + i));
    const sequential: Record<string, Tensor>[] = [];
    for (const z of batches) sequential.push(await decoder.run({ z }));
    const concurrent = await Promise.all(batches.map((z) => decoder.run({ z })));
    concurrent.forEach((r, i) => {
      expect(r.x_logits!.shape).toEqual([1 + i, 784]);
      expect(Array.from(r.x_logits!.data)).toEqual(Array.from(sequential[i]!.x_logits!.data));
    });
  });

  it('rejects bad devices and feeds with the argument, expected and actual value', async () => {
    const bytes = new Uint8Array(await readFile(join(dir, 'decoder.onnx')));
    await expect(nodeWebBackend().createSession(bytes, { device: 'cpu' })).rejects.toThrow(
      /device: expected one of webgpu\|wasm .* got "cpu"/,
    );
    await expect(nodeWebBackend().createSession(new Uint8Array(0), { device: 'wasm' })).rejects.toThrow(
      /model: expected non-empty ONNX bytes/,
    );
    await expect(decoder.run({})).rejects.toThrow(/feeds: expected input "z", got only none/);
    await expect(decoder.run({ z: latents(1, 4), w: latents(1, 4) })).rejects.toThrow(/got unknown "w"/);
    await expect(decoder.run({ z: { data: new Float32Array(3), shape: [1, 4] } })).rejects.toThrow(
      /feeds\.z: expected 4 values for shape \[1, 4\], got 3/,
    );
  });

  it('release() lets queued runs finish, then later runs reject', async () => {
    const bytes = new Uint8Array(await readFile(join(dir, 'decoder.onnx')));
    const session = await nodeWebBackend().createSession(bytes, { device: 'wasm' });
    const runs = [1, 2, 3].map((n) => session.run({ z: latents(n, 4, n) }));
    const released = session.release();
    const shapes = (await Promise.all(runs)).map((r) => r.x_mean!.shape);
    await released;
    expect(shapes).toEqual([
      [1, 784],
      [2, 784],
      [3, 784],
    ]);
    await expect(session.run({ z: latents(1, 4) })).rejects.toThrow(/expected a live session, got a released one/);
  });

  it('validates runtime settings, naming the field', () => {
    expect(() => configureNodeWebRuntime({ numThreads: 0 })).toThrow(
      /numThreads: expected an integer in \[1, 64\], got 0/,
    );
    expect(() => configureNodeWebRuntime({ wasmPaths: '' })).toThrow(/wasmPaths: expected a URL prefix string/);
    expect(() => configureNodeWebRuntime({ wasmPaths: {} })).toThrow(
      /wasmPaths: expected a URL prefix string or \{ mjs\?, wasm\? \} URLs, got \{\}/,
    );
  });

  it('VaeModel over the backend: device auto falls back from webgpu with the reason; outputs match the CPU', async () => {
    const model = await VaeModel.load(await dirSource(dir), { device: 'auto', backends: [nodeWebBackend()] });
    try {
      expect(model.device).toBe('wasm');
      expect(model.fallbacks.map((f) => f.device)).toEqual(['webgpu']);
      expect(model.fallbacks[0]!.reason).toMatch(/skipped by auto: .*software fallback adapter|WebGPU unavailable: .+/);
      const z = latents(3, 4, 9);
      const decoded = await model.decode(z);
      const cpu = await runOnNodeCpu(join(dir, 'decoder.onnx'), { z });
      expect(maxAbsDiff(decoded.mean, cpu.x_mean!)).toBeLessThan(1e-4);
      const s1 = await model.sample({ n: 2, seed: 4 });
      const s2 = await model.sample({ n: 2, seed: 4 });
      expect(Array.from(s1.data)).toEqual(Array.from(s2.data));
    } finally {
      await model.release();
    }
  });
});

describe('createWebBackend over a per-device module loader', () => {
  it('calls the loader only for the device it runs: auto declining a software adapter never loads WebGPU', async () => {
    setLogLevel('warn');
    const dir = await exportTinyModel();
    const asked: string[] = [];
    const backend = createWebBackend(
      async (device) => {
        asked.push(device);
        return loadOrtWebForNode();
      },
      { probe: async () => ({ available: true, adapter: 'google / swiftshader', software: true }) },
    );
    const model = await VaeModel.load(await dirSource(dir), { device: 'auto', backends: [backend] });
    try {
      expect(model.device).toBe('wasm');
      expect(model.fallbacks[0]!.reason).toMatch(/software fallback adapter/);
      expect(asked).toEqual(['wasm', 'wasm']);
      const z = latents(2, 4, 3);
      const cpu = await runOnNodeCpu(join(dir, 'decoder.onnx'), { z });
      expect(maxAbsDiff((await model.decode(z)).mean, cpu.x_mean!)).toBeLessThan(1e-4);
    } finally {
      await model.release();
    }
  });
});

describe('fetchFileSource over a real HTTP server', () => {
  let dir: string;
  let server: Server;
  let base: string;

  beforeAll(async () => {
    dir = await exportTinyModel({ name: 'tiny-http' });
    server = createServer((req, res) => {
      const file = decodeURIComponent((req.url ?? '/').replace(/^\/m\//, ''));
      readFile(join(dir, file)).then(
        (body) => res.writeHead(200, { 'content-type': 'application/octet-stream' }).end(body),
        () => res.writeHead(404).end('not found'),
      );
    });
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    base = `http://127.0.0.1:${(server.address() as AddressInfo).port}/m`;
  });
  afterAll(async () => {
    await new Promise((r) => server?.close(r));
  });

  it('loads a model over HTTP and records the bytes of each file', async () => {
    const source = fetchFileSource(base);
    expect(source.location).toBe(`${base}/`);
    const model = await VaeModel.load(source, { device: 'wasm', backends: [nodeWebBackend()] });
    try {
      const decoderBytes = (await readFile(join(dir, 'decoder.onnx'))).length;
      expect(source.bytesRead.get('decoder.onnx')).toBe(decoderBytes);
      expect(source.bytesRead.get('decoder.onnx')).toBe(model.manifest.graphs.decoder.bytes);
      expect([...source.bytesRead.keys()]).toEqual(['manifest.json', 'encoder.onnx', 'decoder.onnx']);
    } finally {
      await model.release();
    }
  });

  it('maps 404 to ModelFileNotFoundError and refuses paths outside the directory', async () => {
    const source = fetchFileSource(base);
    await expect(source.read('missing.onnx')).rejects.toBeInstanceOf(ModelFileNotFoundError);
    await expect(source.read('../secret')).rejects.toThrow(/file: expected a relative file name/);
    expect(() => fetchFileSource('relative/dir')).toThrow(/baseUrl: expected an absolute URL/);
  });
});
