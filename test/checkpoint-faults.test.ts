import { mkdtemp, readdir, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { FAULT_POINT_ENV } from '@vae/data/node';
import { loadCheckpoint, readMetrics, type LoadedCheckpoint } from '@vae/train';
import { runVae } from './parity-fixtures.js';

/**
 * Crash safety of `vae train`, by fault injection: a real training child process (ort engine, tiny
 * MLP on 128 MNIST images) sends itself SIGKILL at a named point of the epoch-end sequence
 * (metrics, then the checkpoint swap), twice in a row, and the run is then resumed to completion.
 * The cases are independent (a run folder each) and run concurrently, two `vae` processes at a time.
 * Set VAE_FAULT_TABLE=1 to print what each stage found.
 */
const TRAIN = [
  'train',
  '--engine',
  'ort',
  '--backend',
  'cpu',
  '--train-size',
  '128',
  '--val-size',
  '64',
  '--batch-size',
  '64',
  '--hidden',
  '16',
  '--latent',
  '2',
  '--seed',
  '3',
  '--epochs',
  '3',
  '--no-progress',
  '--no-plots',
  '--json',
];

const dirs: string[] = [];
/** Table rows (the cases finish in any order: printed sorted). */
const rows: string[] = [];
afterAll(async () => {
  if (process.env.VAE_FAULT_TABLE)
    process.stdout.write(
      `| kill point | after 1st kill | after 2nd kill | resumed to |\n|---|---|---|---|\n${rows.sort().join('\n')}\n`,
    );
  await Promise.all(dirs.map((d) => rm(d, { recursive: true, force: true })));
});

async function tempDir(): Promise<string> {
  const d = await mkdtemp(join(tmpdir(), 'vae-faults-'));
  dirs.push(d);
  return d;
}

function describeFound(c: LoadedCheckpoint, entries: string[]): string {
  return `epoch ${c.epoch} from ${c.source
    .split('/')
    .pop()!
    .replace(/tmp-.*/, 'tmp-*')} (folder: ${entries.map((e) => e.replace(/tmp-.*/, 'tmp-*')).join(', ')})`;
}

/**
 * `vae` in a child process, at most two at a time. One of these runs takes ~2.9 s and ~4 s of CPU
 * (start-up, the ort worker): two at a time fill two cores (the file 62 s -> 50 s); five at once
 * thrashed them (68 s).
 */
let free = 2;
const waiting: (() => void)[] = [];
async function vae(...args: Parameters<typeof runVae>): ReturnType<typeof runVae> {
  while (free === 0) await new Promise<void>((r) => waiting.push(r));
  free--;
  try {
    return await runVae(...args);
  } finally {
    free++;
    waiting.shift()?.();
  }
}

async function killedAt(runDir: string, point: string, resume: boolean): Promise<string> {
  const args = resume
    ? ['train', '--run-dir', runDir, '--resume', '--no-progress', '--no-plots', '--json']
    : [...TRAIN, '--run-dir', runDir];
  const r = await vae(args, 120_000, { [FAULT_POINT_ENV]: point });
  expect(r.signal, `${point}: ${r.stderr}`).toBe('SIGKILL');
  const entries = (await readdir(runDir)).sort();
  return describeFound(await loadCheckpoint(runDir), entries);
}

/** The uninterrupted run every interrupted one must reproduce bit for bit (started with the cases, awaited by each). */
let referenceRun: Promise<LoadedCheckpoint>;

beforeAll(() => {
  referenceRun = (async () => {
    const runDir = join(await tempDir(), 'run');
    const r = await vae([...TRAIN, '--run-dir', runDir]);
    expect(r.code, r.stderr).toBe(0);
    const c = await loadCheckpoint(runDir);
    expect(c.epoch).toBe(3);
    return c;
  })();
  // Each case awaits it (and fails with its error); this keeps a failure from being unhandled meanwhile.
  referenceRun.catch(() => undefined);
});

describe.concurrent('vae train survives SIGKILL at every point of the epoch-end sequence', () => {
  // [point, occurrence of the first kill, epoch loadable after it, epoch loadable after the second kill]
  it.each([
    ['metrics:written', 2, 1, 1],
    ['checkpoint:temp-partial', 2, 1, 1],
    ['checkpoint:temp-complete', 1, 1, 2],
    ['checkpoint:temp-complete', 2, 2, 3],
    ['checkpoint:old-moved', 1, 2, 3],
    ['checkpoint:new-in-place', 2, 2, 3],
    ['checkpoint:done', 2, 2, 3],
  ] as const)(
    'killed at %s (#%i), then again at its first occurrence after resuming: resume completes, bit-identical, epochs [1, 2, 3]',
    async (point, nth, first, second) => {
      const runDir = join(await tempDir(), 'run');
      const found1 = await killedAt(runDir, `${point}@${nth}`, false);
      expect(found1).toMatch(new RegExp(`^epoch ${first} `));
      const found2 = await killedAt(runDir, `${point}@1`, true);
      expect(found2).toMatch(new RegExp(`^epoch ${second} `));
      const done = await vae(['train', '--run-dir', runDir, '--resume', '--no-progress', '--no-plots', '--json']);
      expect(done.code, done.stderr).toBe(0);
      expect(JSON.parse(done.stdout)).toMatchObject({ epoch: 3, stoppedBy: 'epochs' });
      const final = await loadCheckpoint(runDir);
      const reference = await referenceRun;
      expect(final.source).toBe(join(runDir, 'checkpoint'));
      expect((await readMetrics(runDir)).map((m) => m.epoch)).toEqual([1, 2, 3]);
      expect(final.metrics?.map((m) => m.epoch)).toEqual([1, 2, 3]);
      for (const [name, t] of Object.entries(reference.params))
        expect(Array.from(final.params[name]!.data), name).toEqual(Array.from(t.data));
      expect((await readMetrics(runDir)).map((m) => m.valLoss)).toEqual(reference.metrics!.map((m) => m.valLoss));
      const left = (await readdir(runDir)).filter((e) => e.includes('.tmp-') || e.endsWith('.old'));
      expect(left).toEqual([]);
      rows.push(
        `| ${point}@${nth} | ${found1} | ${found2} | epoch ${final.epoch}, metrics [${final.metrics!.map((m) => m.epoch).join(', ')}], weights = uninterrupted |`,
      );
    },
    240_000,
  );

  it('killed during its first checkpoint save (a metrics line, no checkpoint): --resume starts it again from epoch 1, bit-identical', async () => {
    const runDir = join(await tempDir(), 'run');
    const r = await vae([...TRAIN, '--run-dir', runDir], 120_000, {
      [FAULT_POINT_ENV]: 'checkpoint:temp-partial@1',
    });
    expect(r.signal, r.stderr).toBe('SIGKILL');
    expect((await readMetrics(runDir)).map((m) => m.epoch)).toEqual([1]);
    await expect(loadCheckpoint(runDir)).rejects.toThrow(/checkpoint\.json: not found/);
    const done = await vae(['train', '--run-dir', runDir, '--resume', '--no-progress', '--no-plots', '--json']);
    expect(done.code, done.stderr).toBe(0);
    expect(done.stderr).toMatch(/no checkpoint was saved yet .*starting it again from epoch 1 with its config\.json/);
    const final = await loadCheckpoint(runDir);
    const reference = await referenceRun;
    expect((await readMetrics(runDir)).map((m) => m.epoch)).toEqual([1, 2, 3]);
    for (const [name, t] of Object.entries(reference.params))
      expect(Array.from(final.params[name]!.data), name).toEqual(Array.from(t.data));
    expect((await readdir(runDir)).filter((e) => e.includes('.tmp-'))).toEqual([]);
  }, 240_000);
});
