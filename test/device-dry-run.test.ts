/**
 * `pnpm device:dry-run` (issue 30): builds the GPU check bundle into a temporary folder and runs its
 * device-check.sh from there, on SwiftShader's Vulkan ICD instead of a GPU and PyTorch on the CPU, at
 * DEVICE_CHECK_SCALE=dry. One build and one check for the whole file (about 2 minutes on 2 busy cores).
 */
import { execFile } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

const ROOT = resolve(import.meta.dirname, '..');
const SWIFTSHADER_ICD = '/usr/lib/chromium/vk_swiftshader_icd.json';

interface Summary {
  schema: string;
  env: { scale: string; icd: string };
  bundle: { files: { path: string; bytes: number }[] } | null;
  adapter: { found: boolean; isFallbackAdapter?: boolean };
  parity: { name: string; status: string; maxAbs?: Record<string, number>; reason?: string }[];
  train: {
    name: string;
    status: string;
    epochs: number;
    secondsPerEpoch: number[];
    trainLoss: number | null;
    reason?: string;
  }[];
  cudaExecutionProvider: { status: string; reason?: string };
  steps: { name: string; status: string }[];
}

describe.skipIf(!existsSync(SWIFTSHADER_ICD))('device:dry-run (the GPU check bundle on SwiftShader)', () => {
  let dir: string;
  let summary: Summary;
  let markdown: string;

  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'vae-device-dry-'));
    await promisify(execFile)('bash', [join(ROOT, 'scripts/device-dry-run.sh')], {
      cwd: ROOT,
      env: { ...process.env, DEVICE_BUNDLE_DIR: join(dir, 'bundle'), OUT: join(dir, 'out') },
      maxBuffer: 16 * 1024 * 1024,
      timeout: 400_000,
    });
    summary = JSON.parse(await readFile(join(dir, 'out/summary.json'), 'utf8')) as Summary;
    markdown = await readFile(join(dir, 'out/summary.md'), 'utf8');
  }, 420_000);
  afterAll(async () => {
    if (dir) await rm(dir, { recursive: true, force: true });
  });

  it('writes every section, the bundle manifest and the raw results', () => {
    expect(summary.schema).toBe('vae-everywhere/device-check');
    expect(summary.env.scale).toBe('dry');
    expect(summary.env.icd).toBe(SWIFTSHADER_ICD);
    expect(summary.bundle?.files.map((f) => f.path)).toContain('device-check.sh');
    expect(summary.steps.map((s) => s.name)).toEqual([
      'unpack',
      'host',
      'adapter',
      'cuda-ep',
      'parity-mnist-vae',
      'train-webgpu-mlp',
      'train-torch-mlp',
      'train-webgpu-conv',
      'train-torch-conv',
      'export-conv',
      'parity-conv-vae',
    ]);
    for (const heading of ['## Parity', '## Training', '## CUDA execution provider', '## Steps'])
      expect(markdown).toContain(heading);
    expect(existsSync(join(dir, 'out/raw.tar.gz'))).toBe(true);
    expect(existsSync(join(dir, 'out/check.log'))).toBe(true);
  });

  it('finds the SwiftShader adapter and passes parity webgpu vs cpu on mnist-vae and the conv model', () => {
    expect(summary.adapter).toMatchObject({ found: true, isFallbackAdapter: true });
    for (const name of ['mnist-vae', 'conv-vae']) {
      const row = summary.parity.find((p) => p.name === name);
      expect(row, name).toMatchObject({ status: 'pass' });
      expect(Object.keys(row!.maxAbs ?? {})).toContain('x_logits');
    }
  });

  it('trains 2 epochs of each model on the ort engine over WebGPU with finite losses', () => {
    for (const name of ['ours-mlp', 'ours-conv']) {
      const row = summary.train.find((t) => t.name === name)!;
      expect(row, name).toMatchObject({ status: 'ok', epochs: 2 });
      expect(row.secondsPerEpoch.every((s) => s > 0)).toBe(true);
      expect(Number.isFinite(row.trainLoss)).toBe(true);
    }
  });

  it('runs the PyTorch rows on the CPU, or says why they were skipped', () => {
    for (const name of ['pytorch-mlp', 'pytorch-conv']) {
      const row = summary.train.find((t) => t.name === name)!;
      if (row.status === 'ok') {
        expect(row.epochs).toBe(2);
        expect(Number.isFinite(row.trainLoss)).toBe(true);
      } else {
        expect(row.status).toBe('skipped');
        expect(row.reason).toMatch(/torch/);
      }
    }
  });

  it('reports the CUDA execution provider unavailable, with the reason', () => {
    expect(summary.cudaExecutionProvider.status).toBe('unavailable');
    expect(summary.cudaExecutionProvider.reason).toMatch(/libonnxruntime_providers_cuda\.so/);
  });
});
