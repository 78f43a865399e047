import { rm } from 'node:fs/promises';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { exportTinyModel, syntheticImages } from './runtime-node-fixtures.js';
import { getJson, postJson, startServe, v2Input, waitForQueueDepth } from './server-fixtures.js';

describe('vae serve', () => {
  it('serves a model directory and, on SIGTERM, finishes the in-flight request before exiting 0', async () => {
    const dir = await exportTinyModel({ name: 'cli-tiny' });
    // A batch delay far longer than the test keeps the request queued until shutdown drains it.
    const serve = await startServe([
      '--model',
      dir,
      '--port',
      '0',
      '--device',
      'cpu',
      '--max-batch-size',
      '1000',
      '--max-queue-delay-ms',
      '600000',
    ]);
    const { base } = serve;
    expect(serve.stdout()).toMatch(/serving cli-tiny-encoder and cli-tiny-decoder on cpu/);
    expect(await getJson(`${base}/v2/health/ready`)).toEqual({ status: 200, body: { ready: true } });
    const inflight = postJson(`${base}/v2/models/cli-tiny-encoder/infer`, {
      id: 'last',
      inputs: [v2Input('x', syntheticImages(1))],
    });
    await waitForQueueDepth(base, 'cli-tiny-encoder', 1);
    serve.proc.kill('SIGTERM');
    const res = await inflight;
    expect(res.status).toBe(200);
    expect(res.body.id).toBe('last');
    expect(res.body.outputs[0].shape).toEqual([1, 4]);
    expect(await serve.exited).toBe(0);
    expect(serve.stdout()).toContain('server stopped');
    expect(serve.stderr()).toContain('SIGTERM: finishing in-flight requests');
  });

  it('takes the bearer token from VAE_AUTH_TOKEN', async () => {
    const dir = await exportTinyModel({ name: 'cli-tok' });
    const serve = await startServe(['--model', dir, '--port', '0', '--device', 'cpu'], {
      ...process.env,
      VAE_AUTH_TOKEN: 'from-env',
    });
    try {
      expect((await getJson(`${serve.base}/v2/health/ready`)).status).toBe(200);
      expect((await fetch(`${serve.base}/metrics`)).status).toBe(401);
      expect((await fetch(`${serve.base}/metrics`, { headers: { authorization: 'Bearer from-env' } })).status).toBe(
        200,
      );
    } finally {
      serve.proc.kill('SIGTERM');
      await serve.exited;
    }
  });

  it('exits 1 with the reason, never listening, when the model fails to load', async () => {
    const dir = await exportTinyModel({ name: 'cli-broken' });
    await rm(join(dir, 'decoder.onnx'));
    const err = await startServe(['--model', dir, '--port', '0', '--device', 'cpu']).then(
      () => undefined,
      (e: { code: number; stderr: string; stdout: string }) => e,
    );
    expect(err?.code).toBe(1);
    expect(err?.stderr).toMatch(/decoder\.onnx/);
    expect(err?.stdout).not.toMatch(/serving/);
  });

  it('exits 1 on invalid server options, naming the option', async () => {
    const dir = await exportTinyModel({ name: 'cli-opts' });
    const err = await startServe(['--model', dir, '--port', '0', '--device', 'cpu', '--cors', 'not-an-origin']).then(
      () => undefined,
      (e: { code: number; stderr: string }) => e,
    );
    expect(err?.code).toBe(1);
    expect(err?.stderr).toMatch(/cors: expected an origin such as https:\/\/app\.example or \*, got "not-an-origin"/);
  });
});
