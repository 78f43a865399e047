import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Rng, samplePrior, type Tensor, type VaeModel } from '@vae/core';
import { loadModel } from '@vae/runtime-node';
import sharp from 'sharp';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { WORKER_SIZE_LIMITS, buildWorker, type WorkerBuild } from '../examples/cloudflare-worker/scripts/build.js';
import { REFERENCE_MODEL, ROOT } from './parity-fixtures.js';

const WORKERD = join(ROOT, 'node_modules', '.bin', 'workerd');

async function freePort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((ok) => server.listen(0, '127.0.0.1', ok));
  const port = (server.address() as { port: number }).port;
  await new Promise((ok) => server.close(ok));
  return port;
}

/** 8-bit pixels as the Worker rounds them. */
const pixels = (mean: Tensor): Uint8Array =>
  Uint8Array.from(mean.data, (v) => Math.round(Math.min(1, Math.max(0, v)) * 255));

async function pngPixels(res: Response): Promise<{ data: Buffer; width: number; height: number; channels: number }> {
  const png = sharp(Buffer.from(await res.arrayBuffer()));
  const meta = await png.metadata();
  const data = await png.extractChannel(0).raw().toBuffer();
  return { data, width: meta.width, height: meta.height, channels: meta.channels };
}

const maxDiff = (a: ArrayLike<number>, b: ArrayLike<number>): number => {
  let m = 0;
  for (let i = 0; i < a.length; i++) m = Math.max(m, Math.abs(a[i]! - b[i]!));
  return m;
};

describe('examples/cloudflare-worker under workerd (one launch)', () => {
  let dir: string;
  let built: WorkerBuild;
  let workerd: ChildProcess;
  let base: string;
  let node: VaeModel;
  const log: string[] = [];

  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'vae-worker-'));
    const port = await freePort();
    built = await buildWorker(REFERENCE_MODEL, dir, port);
    workerd = spawn(WORKERD, ['serve', built.config], { stdio: ['ignore', 'pipe', 'pipe'] });
    workerd.stdout?.on('data', (b: Buffer) => log.push(b.toString()));
    workerd.stderr?.on('data', (b: Buffer) => log.push(b.toString()));
    base = `http://127.0.0.1:${port}`;
    for (let i = 0; ; i++) {
      const up = await fetch(`${base}/`).then(
        () => true,
        () => false,
      );
      if (up) break;
      if (i > 100 || workerd.exitCode !== null) throw new Error(`workerd did not start: ${log.join('')}`);
      await new Promise((ok) => setTimeout(ok, 100));
    }
    node = await loadModel(REFERENCE_MODEL, { device: 'cpu' });
  }, 60_000);

  afterAll(async () => {
    workerd?.kill();
    await node?.release();
    if (dir) await rm(dir, { recursive: true, force: true });
  });

  it('decodes a prior draw by seed to the PNG onnxruntime-node computes (±1 grey level)', async () => {
    const res = await fetch(`${base}/decode?seed=3`);
    expect(res.status, log.join('')).toBe(200);
    expect(res.headers.get('content-type')).toBe('image/png');
    expect(res.headers.get('x-vae-device')).toBe('wasm');
    const png = await pngPixels(res);
    expect([png.width, png.height, png.channels]).toEqual([28, 28, 1]);
    const { mean } = await node.decode(samplePrior(new Rng(3), 1, node.latentDim));
    expect(maxDiff(png.data, pixels(mean))).toBeLessThanOrEqual(1);
  });

  it('decodes a posted z, and answers 400 naming z for a wrong one', async () => {
    const z = Array.from(samplePrior(new Rng(11), 1, 20).data);
    const res = await fetch(`${base}/decode`, { method: 'POST', body: JSON.stringify({ z }) });
    expect(res.status).toBe(200);
    const { mean } = await node.decode({ data: Float32Array.from(z), shape: [1, 20] });
    expect(maxDiff((await pngPixels(res)).data, pixels(mean))).toBeLessThanOrEqual(1);
    const bad = await fetch(`${base}/decode`, { method: 'POST', body: JSON.stringify({ z: [1, 2] }) });
    expect(bad.status).toBe(400);
    expect(await bad.text()).toMatch(/^z: expected 20 finite numbers, got \[1,2\]/);
  });

  it('bundles onnxruntime-web as a precompiled module within the Workers Paid size limit', () => {
    expect(built.modules.map((m) => [m.name, m.kind])).toEqual([
      ['worker.js', 'esModule'],
      ['ort-wasm-simd-threaded.wasm', 'wasm'],
      ['model/decoder.onnx', 'data'],
      ['model/encoder.onnx', 'data'],
    ]);
    expect(built.gzipBytes).toBeLessThanOrEqual(WORKER_SIZE_LIMITS.paid);
  });
});
