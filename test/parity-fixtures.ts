import { execFile } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdtemp } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Rng, createModelSpec, initParameters, type ModelSpec, type ParameterSet } from '@vae/core';
import { exportModel } from '@vae/onnx';
import { chromiumPath } from '@vae/runtime-web/node';

const here = dirname(fileURLToPath(import.meta.url));

/** Repository root. */
export const ROOT = resolve(here, '..');

/** The reference model directory (784-400-20 MLP VAE trained on MNIST). */
export const REFERENCE_MODEL = resolve(ROOT, 'models/mnist-vae');

/** Whether Chromium is installed where the browser harness looks for it (`VAE_CHROMIUM`, else /usr/bin/chromium). */
export const HAS_CHROMIUM = existsSync(chromiumPath());

/** Result of running the CLI in a child process. */
export interface CliRun {
  /** Exit code; -1 when the process was killed by a signal. */
  readonly code: number;
  /** The signal that killed it, or null. */
  readonly signal: NodeJS.Signals | null;
  readonly stdout: string;
  readonly stderr: string;
}

/** Runs `vae <args>` (the real CLI entry through tsx, `env` added to this process's) and resolves with its exit code and output. */
export function runVae(
  args: readonly string[],
  timeoutMs = 170_000,
  env: Readonly<Record<string, string>> = {},
): Promise<CliRun> {
  return new Promise((resolvePromise) => {
    execFile(
      process.execPath,
      ['--import', 'tsx', join(ROOT, 'packages/cli/src/bin.ts'), ...args],
      { cwd: ROOT, timeout: timeoutMs, maxBuffer: 64 * 1024 * 1024, env: { ...process.env, FORCE_COLOR: '0', ...env } },
      (err, stdout, stderr) => {
        const code = err
          ? typeof (err as { code?: unknown }).code === 'number'
            ? (err as { code: number }).code
            : -1
          : 0;
        const signal = (err as { signal?: NodeJS.Signals | null } | null)?.signal ?? null;
        resolvePromise({ code, signal, stdout, stderr });
      },
    );
  });
}

/** A tiny MLP VAE spec (784-32-4) and seeded initial weights. */
export function tinyModel(seed = 7): { spec: ModelSpec; params: ParameterSet } {
  const spec = createModelSpec({ hidden: [32], latentDim: 4 });
  return { spec, params: initParameters(spec, new Rng(seed)) };
}

/** `params` with `delta` added to every value of the tensor `name`. */
export function perturbed(params: ParameterSet, name: string, delta: number): ParameterSet {
  const t = params[name];
  if (!t) throw new RangeError(`name: expected a parameter of the model, got ${JSON.stringify(name)}`);
  return { ...params, [name]: { data: t.data.map((v) => v + delta), shape: [...t.shape] } };
}

/** Exports `spec` + `params` through `@vae/onnx` into `dir` and returns it. */
export async function exportTo(dir: string, spec: ModelSpec, params: ParameterSet, name = 'tiny'): Promise<string> {
  await exportModel({
    spec,
    params,
    provenance: {
      dataset: 'none (seeded weights)',
      epochs: 0,
      seed: 7,
      valElbo: null,
      engine: 'none',
      backend: 'none',
      commit: null,
    },
    outDir: dir,
    precision: 'fp32',
    name,
  });
  return dir;
}

/** A fresh temp directory. */
export function tempDir(prefix = 'vae-parity-test-'): Promise<string> {
  return mkdtemp(join(tmpdir(), prefix));
}
