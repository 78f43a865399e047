import { createServer, type Server } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runCliCaptured } from './cli-capture.js';
import { REFERENCE_MODEL_DIR } from './runtime-node-fixtures.js';

/**
 * `vae serve` with a port it cannot use: the flag named with the expected and the actual value (it
 * was Node's "listen EADDRINUSE …" or "options.port should be >= 0 and < 65536"), exit 1.
 */
let busy: Server;
let port: number;

beforeAll(async () => {
  busy = createServer();
  await new Promise<void>((ok) => busy.listen(0, '127.0.0.1', ok));
  port = (busy.address() as { port: number }).port;
});
afterAll(async () => {
  await new Promise((ok) => busy?.close(ok));
});

const serve = (...flags: string[]) =>
  runCliCaptured(['serve', '--model', REFERENCE_MODEL_DIR, '--device', 'cpu', '--log-level', 'warn', ...flags]);

describe('vae serve --port', () => {
  it('a port another process listens on: an error naming --port, the host and the port', async () => {
    const r = await serve('--port', String(port));
    expect(r.stderr).toContain(
      `--port: expected a free port on 127.0.0.1, got ${port} (another process listens on it; pick another, or --port 0 for any free one)`,
    );
    expect(r.code).toBe(1);
    expect(r.stdout).not.toMatch(/serving/);
  });

  it.each(['99999', '-1', 'abc', '80.5'])('--port %s: an error naming --port and the value', async (value) => {
    const r = await serve('--port', value);
    expect(r.stderr).toContain(`--port: expected an integer in [0, 65535] (0 picks a free one), got "${value}"`);
    expect(r.code).toBe(1);
  });
});
