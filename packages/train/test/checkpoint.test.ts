import { spawnSync } from 'node:child_process';
import { mkdir, mkdtemp, readFile, readdir, rename, rm, truncate, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { Rng, initParameters, listParameters, type ParameterSet } from '@vae/core';
import {
  DEFAULT_TRAIN_CONFIG,
  loadCheckpoint,
  recoverCheckpoint,
  saveCheckpoint,
  type CheckpointState,
} from '../src/index.js';
import { tinySpec } from './helpers.js';

const dirs: string[] = [];
async function tempDir(): Promise<string> {
  const d = await mkdtemp(join(tmpdir(), 'vae-ckpt-'));
  dirs.push(d);
  return d;
}
afterAll(async () => {
  await Promise.all(dirs.map((d) => rm(d, { recursive: true, force: true })));
});

function state(seed: number): CheckpointState {
  const spec = tinySpec({ kind: 'cvae' });
  const rng = new Rng(seed);
  const params = initParameters(spec, rng);
  const scaled = (k: number): ParameterSet =>
    Object.fromEntries(Object.entries(params).map(([n, t]) => [n, { data: t.data.map((v) => v * k), shape: t.shape }]));
  rng.normal();
  return {
    spec,
    params,
    config: { ...DEFAULT_TRAIN_CONFIG, runDir: 'x' },
    epoch: 3,
    step: 42,
    rng: rng.getState(),
    optimizer: { step: 42, beta1: 0.9, beta2: 0.999, epsilon: 1e-8, m: scaled(0.5), v: scaled(0.25) },
    engine: 'tfjs',
    backend: 'cpu',
  };
}

describe('checkpoints', () => {
  it('round-trips parameters, Adam state, RNG state (with its spare normal) and config exactly', async () => {
    const dir = await tempDir();
    const s = state(1);
    await saveCheckpoint(dir, s);
    const loaded = await loadCheckpoint(dir);
    expect(loaded.spec).toEqual(s.spec);
    expect(loaded.epoch).toBe(3);
    expect(loaded.step).toBe(42);
    expect(loaded.rng).toEqual(s.rng);
    expect(loaded.rng.spare).not.toBeNull();
    expect(Rng.fromState(loaded.rng).normal()).toBe(Rng.fromState(s.rng).normal());
    for (const p of listParameters(s.spec)) {
      expect(Array.from(loaded.params[p.name]!.data)).toEqual(Array.from(s.params[p.name]!.data));
      expect(Array.from(loaded.optimizer!.v[p.name]!.data)).toEqual(Array.from(s.optimizer!.v[p.name]!.data));
    }
    const json = JSON.parse(await readFile(join(dir, 'checkpoint', 'checkpoint.json'), 'utf8'));
    expect(json.tensors['params/encoder.0.kernel']).toEqual({ offset: 0, shape: [19, 5] });
    expect(json.tensors['adam.m/encoder.0.kernel'].offset).toBe(json.weightsBytes / 3);
  });

  it('replaces a checkpoint atomically (no temp folders left) and refuses non-finite weights, keeping the old one', async () => {
    const dir = await tempDir();
    await saveCheckpoint(dir, state(1));
    const second = state(2);
    await saveCheckpoint(dir, second);
    expect((await readdir(dir)).sort()).toEqual(['checkpoint']);
    const bad = state(3);
    bad.params['decoder.1.bias']!.data[2] = Number.NaN;
    await expect(saveCheckpoint(dir, bad)).rejects.toThrow(
      /params\/decoder.1.bias: expected finite values, got NaN at flat index 2/,
    );
    const loaded = await loadCheckpoint(dir);
    expect(Array.from(loaded.params['encoder.0.kernel']!.data)).toEqual(
      Array.from(second.params['encoder.0.kernel']!.data),
    );
  });

  it('names the file when the checkpoint is missing, truncated or not one', async () => {
    const dir = await tempDir();
    await expect(loadCheckpoint(dir)).rejects.toThrow(/checkpoint\/checkpoint.json: not found; expected a run folder/);
    await saveCheckpoint(dir, state(1));
    await truncate(join(dir, 'checkpoint', 'weights.bin'), 100);
    await expect(loadCheckpoint(dir)).rejects.toThrow(
      /weights.bin: expected \d+ bytes, got 100; the file is truncated or corrupt/,
    );
    await writeFile(join(dir, 'checkpoint', 'checkpoint.json'), '{"format":"other"}');
    await expect(loadCheckpoint(dir)).rejects.toThrow(
      /checkpoint.json: expected format "vae-everywhere\/checkpoint", got "other"/,
    );
  });

  it('recovers from .old when checkpoint/ is unreadable (kept aside as checkpoint.corrupt) and removes only temps of dead processes', async () => {
    const dir = await tempDir();
    await saveCheckpoint(dir, state(1));
    await rename(join(dir, 'checkpoint'), join(dir, 'checkpoint.old'));
    await mkdir(join(dir, 'checkpoint'));
    await writeFile(join(dir, 'checkpoint', 'checkpoint.json'), '{"format":');
    const dead = spawnSync(process.execPath, ['-e', 'process.stdout.write(String(process.pid))']).stdout.toString();
    await mkdir(join(dir, `checkpoint.tmp-${dead}-0123abcd`));
    await writeFile(join(dir, `metrics.jsonl.tmp-${dead}-89abcdef`), 'partial');
    await writeFile(join(dir, `metrics.jsonl.tmp-${process.pid}-00000000`), 'in flight');
    const loaded = await recoverCheckpoint(dir);
    expect(loaded.epoch).toBe(3);
    expect(loaded.source).toBe(join(dir, 'checkpoint'));
    expect((await readdir(dir)).sort()).toEqual([
      'checkpoint',
      'checkpoint.corrupt',
      `metrics.jsonl.tmp-${process.pid}-00000000`,
    ]);
    expect((await loadCheckpoint(dir)).params['encoder.0.kernel']!.data).toEqual(
      state(1).params['encoder.0.kernel']!.data,
    );
  });
});
