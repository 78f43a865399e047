import { spawn } from 'node:child_process';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { exportTinyModel, syntheticImages } from './runtime-node-fixtures.js';
import { getJson, postJson, v2Input, waitForQueueDepth } from './server-fixtures.js';

const bin = join(dirname(fileURLToPath(import.meta.url)), '../packages/cli/bin/vae.js');

describe('vae serve', () => {
  it('serves a model directory and, on SIGTERM, finishes the in-flight request before exiting 0', async () => {
    const dir = await exportTinyModel({ name: 'cli-tiny' });
    // A batch delay far longer than the test keeps the request queued until shutdown drains it.
    const proc = spawn(process.execPath, [bin, 'serve', '--model', dir, '--port', '0', '--device', 'cpu', '--max-batch-size', '1000', '--max-queue-delay-ms', '600000'], {
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stdout = '';
    let stderr = '';
    proc.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    const exited = new Promise<number | null>((resolve) => proc.once('exit', (code) => resolve(code)));
    const base = await new Promise<string>((resolve, reject) => {
      proc.stdout.on('data', (d: Buffer) => {
        stdout += d.toString();
        const m = /at (http:\/\/127\.0\.0\.1:\d+)/.exec(stdout);
        if (m) resolve(m[1]!);
      });
      void exited.then((code) => reject(new Error(`vae serve exited with ${code}: ${stderr}`)));
    });
    expect(stdout).toMatch(/serving cli-tiny-encoder and cli-tiny-decoder on cpu/);
    expect(await getJson(`${base}/v2/health/ready`)).toEqual({ status: 200, body: { ready: true } });
    const inflight = postJson(`${base}/v2/models/cli-tiny-encoder/infer`, { id: 'last', inputs: [v2Input('x', syntheticImages(1))] });
    await waitForQueueDepth(base, 'cli-tiny-encoder', 1);
    proc.kill('SIGTERM');
    const res = await inflight;
    expect(res.status).toBe(200);
    expect(res.body.id).toBe('last');
    expect(res.body.outputs[0].shape).toEqual([1, 4]);
    expect(await exited).toBe(0);
    expect(stdout).toContain('server stopped');
    expect(stderr).toContain('SIGTERM: finishing in-flight requests');
  });
});
