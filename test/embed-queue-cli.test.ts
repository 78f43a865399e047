import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type CliProcess, spawnCli, stopCli } from '../bench/lib/cli-process.js';
import { runCliCaptured as run } from './cli-capture.js';
import { embedArgs as sharedEmbedArgs, rowsById } from './embed-table-fixtures.js';
import { REFERENCE_MODEL, runVae } from './parity-fixtures.js';
import { freePort, type RedisFixture, redisSkipReason, startRedis } from './redis-fixture.js';

const skip = redisSkipReason();
if (skip) console.warn(`vae embed --queue tests skipped: ${skip}`);

let dir: string;
let redis: RedisFixture;
let workers: CliProcess[] = [];

beforeAll(async () => {
  if (skip) return;
  dir = await mkdtemp(join(tmpdir(), 'vae-embed-queue-'));
  redis = await startRedis({ password: 'queue-pass' });
  workers = [0, 1].map(() =>
    spawnCli(['worker', '--queue', redis.url, '--model', REFERENCE_MODEL], { VAE_REDIS_PASSWORD: 'queue-pass' }),
  );
  await Promise.all(workers.map((w) => w.waitFor(/worker ready/)));
});
afterAll(async () => {
  await Promise.all(workers.map((w) => stopCli(w, 'SIGKILL')));
  await redis?.stop();
  if (dir) await rm(dir, { recursive: true, force: true });
});

const embedArgs = (out: string, extra: string[] = []) => sharedEmbedArgs(out, 100, ['--logvar', ...extra]);

describe.skipIf(skip)('vae embed --queue with 2 vae worker processes (password from $VAE_REDIS_PASSWORD)', () => {
  it('stores every id once with the bits of the local run; a second run stores nothing', async () => {
    const queued = join(dir, 'queued.lance');
    const q = await runVae(embedArgs(queued, ['--queue', redis.url]), 120_000, { VAE_REDIS_PASSWORD: 'queue-pass' });
    expect(q.code, q.stderr).toBe(0);
    expect(JSON.parse(q.stdout)).toMatchObject({ items: 1000, written: 10, skipped: 0, rows: 1000 });
    // The workers embedded every chunk (the producer embeds nothing itself).
    const taken = new Set(
      workers.flatMap((w) => [...w.output().matchAll(/chunk (\d+) \(items/g)].map((m) => Number(m[1]))),
    );
    expect([...taken].sort((x, y) => x - y)).toEqual([0, 1, 2, 3, 4, 5, 6, 7, 8, 9]);

    const local = join(dir, 'local.lance');
    // The local run and the rerun in this process (no start-up each); the producer above is a child process.
    const l = await run(embedArgs(local));
    expect(l.code, l.stderr).toBe(0);
    const [a, b] = [(await rowsById(local)).byId, (await rowsById(queued)).byId];
    expect(b.size).toBe(1000);
    for (let id = 0; id < 1000; id++) {
      expect(b.get(id)?.times).toBe(1);
      expect(b.get(id)).toEqual(a.get(id));
    }

    const again = await run(embedArgs(queued, ['--queue', redis.url, '--redis-password', 'queue-pass']));
    expect(again.code, again.stderr).toBe(0);
    expect(JSON.parse(again.stdout)).toMatchObject({ written: 0, skipped: 1000, rows: 1000 });
  });

  it('an unreachable Redis: exit 1 with the URL, the code and a hint, within the connect timeout', async () => {
    const port = await freePort();
    const r = await run(
      embedArgs(join(dir, 'never.lance'), ['--queue', `redis://127.0.0.1:${port}`, '--connect-timeout-ms', '1000']),
    );
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(
      new RegExp(`Redis at redis://127.0.0.1:${port} unreachable after 1 s: ECONNREFUSED .*start Redis there`),
    );
  });
});
