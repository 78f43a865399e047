import { spawn } from 'node:child_process';
import { readFileSync, readdirSync } from 'node:fs';
import { rm } from 'node:fs/promises';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { Rng, createModelSpec, initParameters } from '@vae/core';
import { FAULT_POINT_ENV, FAULT_SIGNAL_ENV } from '@vae/data/node';
import { resolveTrainConfig, saveCheckpoint } from '@vae/train';
import { HAS_CHROMIUM, REFERENCE_MODEL, ROOT, exportTo, runVae, tempDir } from './parity-fixtures.js';

/** A live process: its pid and command name. */
interface Proc {
  readonly pid: number;
  readonly comm: string;
}

/**
 * Live processes (zombies left out) whose environment holds `tag`: the CLI and everything it
 * started, including processes that outlived it (reparented, so not found through parent ids).
 */
function tagged(tag: string): Proc[] {
  const found: Proc[] = [];
  for (const pid of readdirSync('/proc').filter((d) => /^\d+$/.test(d))) {
    try {
      if (!readFileSync(`/proc/${pid}/environ`, 'latin1').split('\0').includes(tag)) continue;
      const stat = readFileSync(`/proc/${pid}/stat`, 'latin1');
      const state = stat.slice(stat.lastIndexOf(')') + 2, stat.lastIndexOf(')') + 3);
      if (state !== 'Z')
        found.push({ pid: Number(pid), comm: stat.slice(stat.indexOf('(') + 1, stat.lastIndexOf(')')) });
    } catch {
      // gone meanwhile, or another user's
    }
  }
  return found;
}

/** Temp folders of parity (Chromium profile, workerd, X authority), playwright-core and xvfb-run (not tsx's cache, Mesa's logs). */
const TEMP_NAMES = /^(vae-parity-|playwright-|xvfb-run\.)/;

const sleep = (ms: number) => new Promise((ok) => setTimeout(ok, ms));

/**
 * Starts `vae parity` on the reference model with `runtimes` and a temp folder of its own (TMPDIR),
 * waits until a process whose name matches `started` runs and `afterMs` more, sends SIGTERM, and
 * reports how it ended, with what was left in that temp folder.
 */
async function parityUntilSigterm(runtimes: string, started: RegExp, afterMs: number) {
  const tag = `VAE_PARITY_SIGNAL_TEST=${process.pid}-${Date.now()}`;
  const [key, value] = tag.split('=') as [string, string];
  const tmp = await tempDir('vae-parity-signal-tmp-');
  const child = spawn(
    process.execPath,
    [
      '--import',
      'tsx',
      join(ROOT, 'packages/cli/src/bin.ts'),
      'parity',
      '--model',
      REFERENCE_MODEL,
      '--runtimes',
      runtimes,
    ],
    {
      cwd: ROOT,
      env: { ...process.env, FORCE_COLOR: '0', TMPDIR: tmp, [key]: value },
      stdio: ['ignore', 'ignore', 'pipe'],
    },
  );
  let stderr = '';
  child.stderr.on('data', (b: Buffer) => {
    stderr += b.toString();
  });
  const exited = new Promise<number | null>((ok) => child.once('exit', (code) => ok(code)));
  try {
    for (const until = Date.now() + 60_000; !tagged(tag).some((p) => started.test(p.comm)); await sleep(100))
      if (child.exitCode !== null || Date.now() > until)
        throw new Error(`no ${started} process came up (exit ${child.exitCode}): ${stderr.slice(-1000)}`);
    await sleep(afterMs);
    const running = tagged(tag).map((p) => p.comm);
    const sent = performance.now();
    child.kill('SIGTERM');
    const code = await Promise.race([exited, sleep(20_000).then(() => 'still running after 20 s')]);
    const seconds = (performance.now() - sent) / 1000;
    await sleep(500); // let processes that ignore their parent's end show themselves
    return {
      code,
      seconds,
      running,
      left: tagged(tag),
      temps: readdirSync(tmp).filter((n) => TEMP_NAMES.test(n)),
      stderr,
    };
  } finally {
    child.kill('SIGKILL');
    for (const p of tagged(tag)) process.kill(p.pid, 'SIGKILL');
    await rm(tmp, { recursive: true, force: true });
  }
}

describe.skipIf(process.platform !== 'linux')('vae parity on SIGTERM (processes found through /proc)', () => {
  it('exits 143 within 20 s and leaves no workerd behind (it used to outlive the CLI)', async () => {
    const r = await parityUntilSigterm('ort-web-wasm@workerd', /^workerd$/, 500);
    expect(r.running).toContain('workerd');
    expect(r.left, r.stderr).toEqual([]);
    expect(r.temps, r.stderr).toEqual([]);
    expect(r.code, r.stderr).toBe(143);
    expect(r.seconds).toBeLessThan(20);
    expect(r.stderr).toContain('SIGTERM: stopping now (exit 143)');
  }, 90_000);

  it.skipIf(!HAS_CHROMIUM)(
    'stops at once while Chromium runs instead of going on with the next runtime, and leaves no browser behind',
    async () => {
      const r = await parityUntilSigterm('ort-web-wasm@chromium,ort-web-wasm@workerd', /^chrom/, 2000);
      expect(r.left, r.stderr).toEqual([]);
      expect(r.temps, r.stderr).toEqual([]);
      expect(r.code, r.stderr).toBe(143);
      expect(r.seconds).toBeLessThan(20);
      expect(r.stderr).not.toContain('ort-web-wasm@workerd: running');
    },
    90_000,
  );

  it.skipIf(!HAS_CHROMIUM)(
    "during Chromium's launch leaves neither a browser nor its profile folder (the profile used to stay)",
    async () => {
      const r = await parityUntilSigterm('ort-web-wasm@chromium', /^chrom/, 0);
      expect(r.code, r.stderr).toBe(143);
      expect(r.left, r.stderr).toEqual([]);
      expect(r.temps, r.stderr).toEqual([]);
    },
    90_000,
  );
});

describe('vae parity on SIGTERM during TensorFlow.js (its kernels run synchronously)', () => {
  it('tfjs-cpu: SIGTERM as the IS decode (4,096 rows) begins ends the run before tfjs-cpu finishes, exit 143', async () => {
    const dir = await tempDir('vae-parity-signal-');
    try {
      // The 784-400-20 VAE, seeded: a run folder with its checkpoint and the model exported from it.
      const spec = createModelSpec({});
      const params = initParameters(spec, new Rng(7));
      const runDir = join(dir, 'run');
      const config = resolveTrainConfig({ runDir });
      await saveCheckpoint(runDir, {
        spec,
        params,
        config,
        epoch: 0,
        step: 0,
        rng: new Rng(7).getState(),
        optimizer: null,
        engine: 'none',
        backend: 'none',
      });
      await exportTo(join(runDir, 'model'), spec, params);
      const r = await runVae(['parity', '--model', join(runDir, 'model'), '--runtimes', 'tfjs-cpu'], 120_000, {
        [FAULT_POINT_ENV]: 'parity:tfjs-decode-slices',
        [FAULT_SIGNAL_ENV]: 'SIGTERM',
      });
      // Before the decode ran in slices, the signal waited for it (~3 s), and tfjs-cpu finished (exit 0).
      expect(r.code, r.stderr).toBe(143);
      expect(r.stderr).toContain('SIGTERM: stopping now (exit 143)');
      expect(r.stderr).toContain('tfjs-cpu: running');
      expect(r.stderr).not.toMatch(/tfjs-cpu: (pass|fail)/);
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  }, 120_000);
});
