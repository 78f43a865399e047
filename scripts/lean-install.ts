/**
 * What `npm i @vae/cli` may not pull in: the heavy engines that only some commands need are optional
 * peers, added by the users of those commands. The consumer test asserts it and `pnpm measure:install`
 * reports it, both from this one list.
 */
import { execFile } from 'node:child_process';
import { mkdtempSync } from 'node:fs';
import { readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';

const execFileAsync = promisify(execFile);

/**
 * npm scopes that must not appear anywhere in the `node_modules` of a fresh `npm i @vae/cli`:
 * `@lancedb` (LanceDB, only for `vae embed`/`search`, through the optional peer `@vae/embed`) and
 * `@tensorflow` (TensorFlow.js, only for `--engine tfjs` and the `tfjs-*` parity runtimes: optional
 * peers of `@vae/train`).
 */
export const CLI_INSTALL_EXCLUDED_SCOPES: readonly string[] = ['@lancedb', '@tensorflow'];

/** The environment of a consumer's npm: onnxruntime-node's CUDA download skipped, nothing inherited from a test runner. */
export const CONSUMER_NPM_ENV: NodeJS.ProcessEnv = {
  ...process.env,
  NODE_OPTIONS: '',
  ONNXRUNTIME_NODE_INSTALL: 'skip',
};

/** Writes a fresh consumer project (private package.json, `.npmrc` text) into a new temporary folder. */
export async function freshProject(npmrc: string, prefix = 'vae-install-'): Promise<string> {
  const dir = mkdtempSync(join(tmpdir(), prefix));
  await writeFile(
    join(dir, 'package.json'),
    `${JSON.stringify({ name: 'vae-consumer', private: true, type: 'module' }, null, 2)}\n`,
  );
  await writeFile(join(dir, '.npmrc'), npmrc);
  return dir;
}

/**
 * The `node_modules/…` paths `npm i ...specs` would create in a fresh project, resolved exactly as an
 * install does but without downloading or extracting anything (`npm install --package-lock-only`).
 */
export async function resolveInstallTree(npmrc: string, specs: string[]): Promise<string[]> {
  const dir = await freshProject(npmrc, 'vae-resolve-');
  try {
    await execFileAsync(
      'npm',
      ['install', '--package-lock-only', '--no-audit', '--no-fund', '--loglevel=error', ...specs],
      {
        cwd: dir,
        env: CONSUMER_NPM_ENV,
        maxBuffer: 64 << 20,
      },
    );
    const lock = JSON.parse(await readFile(join(dir, 'package-lock.json'), 'utf8')) as {
      packages: Record<string, unknown>;
    };
    return Object.keys(lock.packages).filter((p) => p !== '');
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

/** The excluded scopes found among `paths` (`node_modules/@scope/…` at any depth). */
export function excludedScopesIn(paths: string[], scopes: readonly string[] = CLI_INSTALL_EXCLUDED_SCOPES): string[] {
  return scopes.filter((scope) =>
    paths.some((p) => p.split('node_modules/').some((part) => part.startsWith(`${scope}/`))),
  );
}
