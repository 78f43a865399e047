import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdtemp, readdir, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { FAULT_POINT_ENV, FAULT_SIGNAL_ENV } from '@vae/data/node';
import { loadCheckpoint, readMetrics } from '@vae/train';
import { ROOT, runVae } from './parity-fixtures.js';

/**
 * `vae train` stopped by a signal, by fault injection: the real CLI in a child process sends itself
 * SIGINT or SIGTERM while its N-th step runs (fault point `train:step-running`). Tiny MLP, batch 64.
 */
const TRAIN = [
  'train',
  '--backend',
  'cpu',
  '--val-size',
  '64',
  '--batch-size',
  '64',
  '--hidden',
  '16',
  '--latent',
  '2',
  '--epochs',
  '3',
  '--no-progress',
  '--no-plots',
  '--json',
];

const dirs: string[] = [];
afterAll(async () => {
  await Promise.all(dirs.map((d) => rm(d, { recursive: true, force: true })));
});

async function runDir(): Promise<string> {
  const d = await mkdtemp(join(tmpdir(), 'vae-train-signal-'));
  dirs.push(d);
  return join(d, 'run');
}

/**
 * `vae train` (or `command`, e.g. `pipeline`, with the same flags) on `engine` and `images` training
 * images into `dir`, signalling itself with `signal` while its `nth` step runs.
 */
function trainSignalledAt(
  dir: string,
  engine: string,
  images: number,
  signal: NodeJS.Signals,
  nth: number,
  command = 'train',
) {
  const args = [command, ...TRAIN.slice(1), '--engine', engine, '--train-size', String(images), '--run-dir', dir];
  return runVae(args, 120_000, {
    [FAULT_POINT_ENV]: `train:step-running@${nth}`,
    [FAULT_SIGNAL_ENV]: signal,
  });
}

/** The steps the stop line reports as done. */
function stepsDone(stderr: string): number {
  const m = /training stopped after (\d+) steps/.exec(stderr);
  if (!m) throw new Error(`no stop line in: ${stderr.slice(-1000)}`);
  return Number(m[1]);
}

describe.skipIf(process.platform === 'win32')('vae train on SIGINT/SIGTERM', () => {
  it('ort: SIGINT in epoch 2 (of 10 steps) stops within a step, exits 130, keeps epoch 1 resumable, leaves no temps', async () => {
    const dir = await runDir();
    const r = await trainSignalledAt(dir, 'ort', 640, 'SIGINT', 15);
    expect(r.code, r.stderr).toBe(130);
    // The 15th step was running: it is abandoned (14 done) or had replied before the signal was handled (15).
    expect(stepsDone(r.stderr)).toBeGreaterThanOrEqual(14);
    expect(stepsDone(r.stderr)).toBeLessThanOrEqual(15);
    expect(r.stderr).toContain(
      `SIGINT: training stopped after ${stepsDone(r.stderr)} steps; kept the checkpoint of epoch 1 in ${join(dir, 'checkpoint')}; resume with: vae train --run-dir ${dir} --resume (exit 130)`,
    );
    expect((await readdir(dir)).sort()).toEqual(['checkpoint', 'config.json', 'metrics.jsonl']);
    expect((await readMetrics(dir)).map((m) => m.epoch)).toEqual([1]);
    const kept = await loadCheckpoint(dir);
    expect({ epoch: kept.epoch, step: kept.step, source: kept.source }).toEqual({
      epoch: 1,
      step: 10,
      source: join(dir, 'checkpoint'),
    });

    const resumed = await runVae(['train', '--run-dir', dir, '--resume', '--no-progress', '--no-plots', '--json']);
    expect(resumed.code, resumed.stderr).toBe(0);
    expect(JSON.parse(resumed.stdout)).toMatchObject({ epoch: 3, step: 30, stoppedBy: 'epochs' });
    expect((await readMetrics(dir)).map((m) => m.epoch)).toEqual([1, 2, 3]);
  }, 120_000);

  it('tfjs (main thread, no I/O between steps): SIGTERM in epoch 1 (of 100 steps) stops before its end, exits 143, says --resume starts the run again', async () => {
    const dir = await runDir();
    const r = await trainSignalledAt(dir, 'tfjs', 6400, 'SIGTERM', 3);
    expect(r.code, r.stderr).toBe(143);
    // The handler runs once the trainer lets the event loop turn (every 50 ms at most), well before step 100.
    expect(stepsDone(r.stderr)).toBeLessThan(100);
    expect(r.stderr).toContain(
      `no epoch had finished, so ${dir} holds no checkpoint yet, only its config.json; resume with: vae train --run-dir ${dir} --resume (exit 143)`,
    );
    expect((await readdir(dir)).sort()).toEqual(['config.json', 'metrics.jsonl']);
  }, 120_000);

  it('vae pipeline: SIGINT during its training step stops it within a step, exits 130, names vae pipeline --resume, exports nothing', async () => {
    const dir = await runDir();
    const r = await trainSignalledAt(dir, 'ort', 640, 'SIGINT', 15, 'pipeline');
    expect(r.code, r.stderr).toBe(130);
    expect(stepsDone(r.stderr)).toBeGreaterThanOrEqual(14);
    expect(stepsDone(r.stderr)).toBeLessThanOrEqual(15);
    expect(r.stderr).toContain(
      `SIGINT: training stopped after ${stepsDone(r.stderr)} steps; kept the checkpoint of epoch 1 in ${join(dir, 'checkpoint')}; resume with: vae pipeline --run-dir ${dir} --resume (exit 130)`,
    );
    expect(r.stderr).not.toContain('2/4 export');
    expect((await readdir(dir)).sort()).toEqual(['checkpoint', 'config.json', 'metrics.jsonl']);
  }, 120_000);
});

/**
 * The mechanism's second signal, in a small script: work that ignores the abort (as a stuck step
 * would) with a temp file registered through `cleanupOnExit`. The first SIGINT aborts it; a SIGTERM
 * after that ends the process at once, exit 143, and the temp file goes with it.
 */
const SCRIPT = `
import { writeFileSync, rmSync } from 'node:fs';
import { cleanupOnExit } from '@vae/data/node';
import { stopOnShutdownSignal } from './packages/cli/src/shutdown-signal.ts';
const temp = process.argv[1];
writeFileSync(temp, 'partial');
cleanupOnExit(() => rmSync(temp, { force: true }));
setInterval(() => undefined, 1000);
await stopOnShutdownSignal(
  (abort) => new Promise(() => {
    abort.addEventListener('abort', () => process.stderr.write('aborted\\n'));
    process.stderr.write('ready\\n');
  }),
  () => process.stderr.write('stopped gracefully\\n'),
);
`;

describe.skipIf(process.platform === 'win32')('stopOnShutdownSignal', () => {
  it('a second signal ends the process at once (exit 143 for SIGTERM) and the exit clean-ups run', async () => {
    const temp = join(await mkdtemp(join(tmpdir(), 'vae-second-signal-')), 'temp.partial');
    dirs.push(join(temp, '..'));
    const child = spawn(process.execPath, ['--import', 'tsx', '--input-type=module', '-e', SCRIPT, temp], {
      cwd: ROOT,
      env: { ...process.env, FORCE_COLOR: '0' },
      stdio: ['ignore', 'ignore', 'pipe'],
    });
    let stderr = '';
    const seen = (text: string) =>
      new Promise<void>((ok) => {
        const check = () => stderr.includes(text) && ok();
        child.stderr.on('data', (b: Buffer) => {
          stderr += b.toString();
          check();
        });
        check();
      });
    const exited = new Promise<number | null>((ok) => child.once('exit', (code) => ok(code)));
    try {
      await seen('ready');
      expect(existsSync(temp)).toBe(true);
      child.kill('SIGINT');
      await seen('aborted');
      child.kill('SIGTERM');
      expect(await exited, stderr).toBe(143);
      expect(stderr).toContain('SIGTERM: stopping now (exit 143)');
      expect(stderr).not.toContain('stopped gracefully');
      expect(existsSync(temp)).toBe(false);
    } finally {
      child.kill('SIGKILL');
    }
  }, 60_000);
});
