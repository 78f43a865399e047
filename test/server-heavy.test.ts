import { existsSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { measureHeavyRequest } from '../bench/lib/heavy-request.js';
import { REFERENCE_MODEL_DIR, exportTinyModel, hasReferenceModel, syntheticImages } from './runtime-node-fixtures.js';
import { nested, postJson, startServe, type ServeProcess } from './server-fixtures.js';

let serve: ServeProcess;

beforeAll(async () => {
  const dir = hasReferenceModel()
    ? REFERENCE_MODEL_DIR
    : await exportTinyModel({ name: 'mnist-vae', hidden: [400], latentDim: 20 });
  // A smaller work budget than the default keeps the test short; the chunk bound is the default.
  serve = await startServe(['--model', dir, '--port', '0', '--device', 'cpu', '--max-work-rows', '32768']);
  // Warm up both graphs once so "before" is the steady state of a serving process.
  expect(
    (await postJson(`${serve.base}/api/log-likelihood`, { x: nested(syntheticImages(2)), samples: 10, seed: 1 }))
      .status,
  ).toBe(200);
}, 60_000);
afterAll(async () => {
  serve?.proc.kill('SIGTERM');
  await serve?.exited;
});

describe.skipIf(!existsSync('/proc/self/status'))('heavy evaluation request (server in a child process)', () => {
  it('refuses the request that took 5.7 GB before any work (RSS unchanged)', async () => {
    const f = await measureHeavyRequest({
      base: serve.base,
      pid: serve.proc.pid!,
      path: '/api/log-likelihood',
      body: { x: nested(syntheticImages(64, 784, 4)), samples: 5000, chunkSize: 5000, seed: 1 },
    });
    expect(f.status).toBe(400);
    expect((f.body as { error: string }).error).toMatch(/^samples: expected rows × samples ≤ 32768/);
    expect(f.rssMiB.peak - f.rssMiB.before).toBeLessThan(64);
  });

  it('runs a request at the budget (64 rows × 512 samples) in bounded memory while health probes answer', async () => {
    const f = await measureHeavyRequest({
      base: serve.base,
      pid: serve.proc.pid!,
      path: '/api/log-likelihood',
      body: { x: nested(syntheticImages(64, 784, 5)), samples: 512, seed: 1 },
    });
    process.stdout.write(
      `heavy request: ${JSON.stringify({ seconds: f.seconds, rssMiB: f.rssMiB, probes: f.probes })}\n`,
    );
    expect(f.status).toBe(200);
    expect((f.body as { logLikelihood: number[]; chunkSize: number }).logLikelihood).toHaveLength(64);
    expect((f.body as { chunkSize: number }).chunkSize).toBe(16);
    // Generous bounds: the unbounded server grew by 5.5 GB and never gave it back.
    expect(f.rssMiB.peak - f.rssMiB.before).toBeLessThan(256);
    expect(f.rssMiB.after - f.rssMiB.before).toBeLessThan(128);
    expect(f.probes.count).toBeGreaterThan(0);
    expect(f.probes.ok).toBe(f.probes.count);
    // Only catches a starved event loop (the old server let 10 s probes time out).
    expect(f.probes.maxMs).toBeLessThan(5000);
  });
});
