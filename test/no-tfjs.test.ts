import { readFile, rm } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { TFJS_PACKAGES } from '@vae/train';
import { ROOT, runVae, tempDir } from './parity-fixtures.js';
import { getJson, startServe } from './server-fixtures.js';

// Every command below runs the real CLI in a child process under test/no-tfjs/register.mjs, whose
// module hook makes `@tensorflow/*` unresolvable (Node's own ERR_MODULE_NOT_FOUND) and logs each
// attempt: the install `npm i @vae/cli` gives, where TensorFlow.js is an optional peer of @vae/train.
const REGISTER = join(ROOT, 'test/no-tfjs/register.mjs');
let dir = '';
afterAll(async () => {
  if (dir) await rm(dir, { recursive: true, force: true });
});

/** Environment of a child process without TensorFlow.js; its attempts to load it go to `log`. */
function withoutTfjs(log: string): Record<string, string> {
  return { NODE_OPTIONS: `${process.env.NODE_OPTIONS ?? ''} --import ${REGISTER}`.trim(), VAE_NO_TFJS_LOG: log };
}

/** The `@tensorflow/*` imports a child attempted (one `specifier <- importer` line each). */
async function attempts(log: string): Promise<string[]> {
  const text = await readFile(log, 'utf8').catch(() => '');
  return text.split('\n').filter(Boolean);
}

describe('without TensorFlow.js installed', () => {
  it('trains (engine auto → ort), exports, serves and runs parity without loading it; --engine tfjs names the npm i line', async () => {
    dir = await tempDir('vae-no-tfjs-');
    const runDir = join(dir, 'run');
    const modelDir = join(dir, 'model');
    const log = (step: string) => join(dir, `${step}.log`);

    const tiny = ['--train-size', '128', '--val-size', '64', '--epochs', '1', '--batch-size', '64', '--hidden', '16'];
    // Independent child processes run side by side (two cores): the refused --engine tfjs with the
    // training run, then serve with parity once the model is exported.
    const refusal = runVae(
      ['train', ...tiny, '--engine', 'tfjs', '--run-dir', join(dir, 'tfjs')],
      60_000,
      withoutTfjs(log('tfjs')),
    );
    const train = await runVae(
      ['train', ...tiny, '--latent', '2', '--run-dir', runDir, '--json'],
      120_000,
      withoutTfjs(log('train')),
    );
    expect(train.stderr).toContain('engine auto → ort');
    expect(train.code).toBe(0);
    expect(JSON.parse(train.stdout)).toMatchObject({ engine: 'ort', epoch: 1 });
    expect(await attempts(log('train'))).toEqual([]);

    const exported = await runVae(['export', '--run', runDir, '--out', modelDir], 60_000, withoutTfjs(log('export')));
    expect(exported.code).toBe(0);
    expect(await attempts(log('export'))).toEqual([]);

    // With --run, parity's default reference is tfjs-cpu; it falls back to ort-node-cpu and says why.
    const parityRun = runVae(
      ['parity', '--model', modelDir, '--run', runDir, '--runtimes', 'ort-node-cpu,ort-web-wasm'],
      120_000,
      withoutTfjs(log('parity')),
    );
    const serve = await startServe(['--model', modelDir, '--port', '0', '--device', 'cpu'], {
      ...process.env,
      ...withoutTfjs(log('serve')),
    });
    try {
      expect((await getJson(`${serve.base}/v2/health/ready`)).status).toBe(200);
    } finally {
      serve.proc.kill('SIGTERM');
      await serve.exited;
    }
    expect(await attempts(log('serve'))).toEqual([]);

    const parity = await parityRun;
    expect(parity.stderr).toContain(
      `reference ort-node-cpu, not tfjs-cpu: the default parity reference tfjs-cpu (with --run) needs TensorFlow.js, and @tensorflow/tfjs is not installed; add it: npm i ${TFJS_PACKAGES.join(' ')}`,
    );
    expect(parity.code).toBe(0);
    expect(parity.stdout).toMatch(/ort-web-wasm .* ok/);
    // The one attempt is the fallback's probe, through the tfjs room's own import.
    expect(await attempts(log('parity'))).toEqual([
      expect.stringMatching(/^@tensorflow\/tfjs <- file:.*\/packages\/train\/src\/engines\/tfjs\/tf\.ts$/),
    ]);

    const tfjs = await refusal;
    expect(tfjs.code).toBe(1);
    expect(tfjs.stderr).toContain(
      `the tfjs engine (--engine tfjs) needs TensorFlow.js, and @tensorflow/tfjs is not installed; add it: npm i ${TFJS_PACKAGES.join(' ')}`,
    );
  }, 300_000);

  it('names the TensorFlow.js versions @vae/train declares as optional peers and tests with', async () => {
    const pkg = JSON.parse(await readFile(join(ROOT, 'packages/train/package.json'), 'utf8'));
    for (const spec of TFJS_PACKAGES) {
      const [, name, version] = /^(@[^@]+)@(.+)$/.exec(spec)!;
      expect(pkg.dependencies?.[name!]).toBeUndefined();
      expect(pkg.peerDependenciesMeta[name!]).toEqual({ optional: true });
      expect(pkg.peerDependencies[name!]).toBe(`^${version}`);
      expect(pkg.devDependencies[name!]).toBe(version);
    }
  });
});
