import { mkdtemp, readdir, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as ort from 'onnxruntime-node';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { runCli } from '@vae/cli';
import { Rng, parseManifest, setLogLevel, sha256Hex } from '@vae/core';
import { loadCheckpoint, train } from '@vae/train';
import { createTfjsModel, selectBackend } from '@vae/train/tfjs';

/** Runs the CLI in-process (what `vae …` runs) and captures its exit code and output. */
async function vae(args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  let stdout = '';
  let stderr = '';
  const out = vi.spyOn(process.stdout, 'write').mockImplementation((chunk) => {
    stdout += String(chunk);
    return true;
  });
  const err = vi.spyOn(process.stderr, 'write').mockImplementation((chunk) => {
    stderr += String(chunk);
    return true;
  });
  try {
    const code = await runCli(args);
    return { code, stdout, stderr };
  } finally {
    out.mockRestore();
    err.mockRestore();
    setLogLevel('warn');
  }
}

let dir: string;
let runDir: string;
beforeAll(async () => {
  setLogLevel('warn');
  dir = await mkdtemp(join(tmpdir(), 'export-cli-'));
  runDir = join(dir, 'run');
  await selectBackend('cpu');
  await train(
    {
      epochs: 1,
      trainSize: 256,
      valSize: 128,
      batchSize: 64,
      backend: 'cpu',
      seed: 3,
      model: { kind: 'vae', hidden: [16], latentDim: 2 },
      runDir,
    },
    { plots: false },
  );
});
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

describe('vae export', () => {
  it('turns a training run into a model directory whose graphs reproduce the trained tfjs model', async () => {
    const out = join(dir, 'model');
    const r = await vae(['export', '--run', runDir, '--out', out, '--log-level', 'warn']);
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    expect((await readdir(out)).sort()).toEqual([
      'decoder.onnx',
      'encoder.onnx',
      'golden.json',
      'manifest.json',
      'scorer.onnx',
    ]);
    const manifest = parseManifest(JSON.parse(await readFile(join(out, 'manifest.json'), 'utf8')));
    const golden = new Uint8Array(await readFile(join(out, 'golden.json')));
    expect(manifest.golden).toEqual({ file: 'golden.json', sha256: await sha256Hex(golden), bytes: golden.length });
    expect(r.stdout).toMatch(new RegExp(`golden\\.json +${golden.length} B`));
    const ckpt = await loadCheckpoint(runDir);
    const lastElbo = ckpt.metrics!.at(-1)!.valElbo!;
    expect(manifest.name).toBe('model');
    expect(manifest.provenance).toMatchObject({
      dataset: 'mnist',
      epochs: 1,
      seed: 3,
      valElbo: lastElbo,
      engine: ckpt.engine,
      backend: ckpt.backend,
    });
    expect(lastElbo).toBeLessThan(0);
    const enc = new Uint8Array(await readFile(join(out, 'encoder.onnx')));
    expect(await sha256Hex(enc)).toBe(manifest.graphs.encoder.sha256);
    expect(r.stdout).toMatch(new RegExp(`encoder\\.onnx +${enc.length} B`));

    const rng = new Rng(9);
    const z = Float32Array.from({ length: 64 * 2 }, () => rng.normal());
    const session = await ort.InferenceSession.create(new Uint8Array(await readFile(join(out, 'decoder.onnx'))));
    const got = (await session.run({ z: new ort.Tensor('float32', z, [64, 2]) })).x_logits!.data as Float32Array;
    await session.release();
    const tfm = createTfjsModel(ckpt.spec, ckpt.params);
    const want = tfm.decode({ data: z, shape: [64, 2] }).data;
    tfm.dispose();
    let maxAbs = 0;
    for (let i = 0; i < want.length; i++) maxAbs = Math.max(maxAbs, Math.abs(got[i]! - want[i]!));
    expect(maxAbs).toBeLessThanOrEqual(1e-5);
  });

  it('reports sizes and the error vs fp32 for int8', async () => {
    const out = join(dir, 'model-int8');
    const r = await vae(['export', '--run', runDir, '--out', out, '--precision', 'int8', '--log-level', 'warn']);
    expect(r.code).toBe(0);
    const m =
      /max \|int8 − fp32\| on 64 seeded inputs \(seed 0, onnxruntime-node cpu\): encoder mu ([0-9.e+-]+), logvar ([0-9.e+-]+); decoder x_logits ([0-9.e+-]+), x_mean ([0-9.e+-]+)/.exec(
        r.stdout,
      );
    expect(m, r.stdout).not.toBeNull();
    for (const v of m!.slice(1).map(Number)) {
      expect(v).toBeGreaterThan(0);
      expect(v).toBeLessThan(0.1);
    }
    const manifest = JSON.parse(await readFile(join(out, 'manifest.json'), 'utf8'));
    expect(manifest.precision).toBe('int8');
  });

  it('fails clearly on a missing run and leaves no directory behind', async () => {
    const out = join(dir, 'never');
    const r = await vae(['export', '--run', join(dir, 'no-such-run'), '--out', out]);
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/no-such-run\/checkpoint\/checkpoint\.json: not found/);
    expect((await readdir(dir)).filter((f) => f.includes('never'))).toEqual([]);
  });

  it('fails clearly on an unwritable output and leaves nothing behind', async () => {
    const before = (await readdir(dir)).sort();
    const r = await vae(['export', '--run', runDir, '--out', join(runDir, 'config.json', 'model')]);
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/outDir: could not write the model directory .*config\.json\/model \(ENOTDIR/);
    expect((await readdir(dir)).sort()).toEqual(before);
    expect((await readdir(runDir)).filter((f) => f.startsWith('.'))).toEqual([]);
  });

  it('rejects an unknown precision and writes nothing', async () => {
    const r = await vae(['export', '--run', runDir, '--out', join(dir, 'x'), '--precision', 'int4']);
    expect(r.code).not.toBe(0);
    expect(r.stderr).toMatch(/precision.*int4/s);
    expect((await readdir(dir)).filter((f) => f === 'x' || f.startsWith('.x'))).toEqual([]);
  });
});
