/**
 * What a user's `npm i` costs: `npm i @vae/cli` and `npm i @vae/runtime-web`, each in a fresh project,
 * from a local Verdaccio registry that this checkout's packages were just published to (third-party
 * packages through its uplink to the npm registry). Wall time of `npm i`, `du` of `node_modules`, the
 * number of packages, the heaviest ones, and which scopes of `CLI_INSTALL_EXCLUDED_SCOPES` (and the
 * other heavy engines) came along.
 *
 *   pnpm measure:install [--baseline DIR] [--json bench/install-size-results.json] [--no-build]
 *
 * `--baseline DIR` measures another checkout first (e.g. `git worktree add /tmp/base main`, then
 * `pnpm install` there): both in the same run, on the same machine and npm cache. Every install runs
 * with `ONNXRUNTIME_NODE_INSTALL=skip` (onnxruntime-node's install script would otherwise download the
 * CUDA 12 libraries from NuGet, which this machine cannot reach). npm's own cache (~/.npm) is whatever
 * it is (warm after the first run); Verdaccio's storage is fresh each time, so its uplink is asked for
 * every third-party package. Writes the JSON and prints a table; no pass/fail.
 */
import { execFile } from 'node:child_process';
import { existsSync } from 'node:fs';
import { readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { loadavg } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import {
  CLI_INSTALL_EXCLUDED_SCOPES,
  CONSUMER_NPM_ENV,
  excludedScopesIn,
  freshProject,
} from '../scripts/lean-install.js';
import { publishWorkspace, startLocalRegistry } from '../scripts/local-registry.js';

const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const execFileAsync = promisify(execFile);
const argv = process.argv.slice(2);
const arg = (name: string): string | undefined => {
  const i = argv.indexOf(`--${name}`);
  return i >= 0 ? argv[i + 1] : undefined;
};
const SPECS = ['@vae/cli', '@vae/runtime-web'];
/** Heavy dependencies reported by size whenever present (scopes or package names). */
const HEAVY = ['@tensorflow', '@lancedb', 'onnxruntime-node', 'onnxruntime-web', '@huggingface', 'sharp'];

interface InstallFigures {
  spec: string;
  seconds: number;
  nodeModulesMB: number;
  packages: number;
  heavyMB: Record<string, number>;
  excludedScopesPresent: string[];
  largest: { name: string; mb: number }[];
}

async function duMB(path: string): Promise<number> {
  const { stdout } = await execFileAsync('du', ['-sk', path]);
  return Math.round(Number(stdout.split('\t')[0]) / 102.4) / 10;
}

/** Top-level entries of node_modules (scoped ones as `@scope/name`). */
async function topLevel(nodeModules: string): Promise<string[]> {
  const names: string[] = [];
  for (const entry of await readdir(nodeModules)) {
    if (entry.startsWith('.')) continue;
    if (entry.startsWith('@')) for (const sub of await readdir(join(nodeModules, entry))) names.push(`${entry}/${sub}`);
    else names.push(entry);
  }
  return names;
}

async function measure(npmrc: string, spec: string): Promise<InstallFigures> {
  const project = await freshProject(npmrc);
  try {
    const started = process.hrtime.bigint();
    await execFileAsync('npm', ['install', '--no-audit', '--no-fund', '--loglevel=error', spec], {
      cwd: project,
      env: CONSUMER_NPM_ENV,
      maxBuffer: 64 << 20,
    });
    const seconds = Number(process.hrtime.bigint() - started) / 1e9;
    const nodeModules = join(project, 'node_modules');
    const lock = JSON.parse(await readFile(join(nodeModules, '.package-lock.json'), 'utf8')) as {
      packages: Record<string, unknown>;
    };
    const paths = Object.keys(lock.packages);
    const sizes = await Promise.all(
      (await topLevel(nodeModules)).map(async (name) => ({ name, mb: await duMB(join(nodeModules, name)) })),
    );
    const heavyMB: Record<string, number> = {};
    for (const h of HEAVY) {
      const dir = join(nodeModules, h);
      if (existsSync(dir)) heavyMB[h] = await duMB(dir);
    }
    return {
      spec,
      seconds: Math.round(seconds * 10) / 10,
      nodeModulesMB: await duMB(nodeModules),
      packages: paths.length,
      heavyMB,
      excludedScopesPresent: excludedScopesIn(paths),
      largest: sizes.sort((a, b) => b.mb - a.mb).slice(0, 6),
    };
  } finally {
    await rm(project, { recursive: true, force: true });
  }
}

async function measureCheckout(root: string): Promise<{ root: string; commit: string; installs: InstallFigures[] }> {
  const commit = (await execFileAsync('git', ['rev-parse', '--short', 'HEAD'], { cwd: root })).stdout.trim();
  if (!argv.includes('--no-build')) await execFileAsync('pnpm', ['build'], { cwd: root, maxBuffer: 64 << 20 });
  const registry = await startLocalRegistry();
  try {
    await publishWorkspace(registry, root);
    const installs: InstallFigures[] = [];
    for (const spec of SPECS) {
      process.stderr.write(`[install-size] ${commit}: npm i ${spec}\n`);
      installs.push(await measure(registry.npmrc, spec));
    }
    return { root, commit, installs };
  } finally {
    await registry.stop();
  }
}

const baseline = arg('baseline');
const out = resolve(ROOT, arg('json') ?? 'bench/install-size-results.json');
const loadBefore = loadavg()[0]!;
const runs = [];
if (baseline) runs.push({ label: 'baseline', ...(await measureCheckout(resolve(baseline))) });
runs.push({ label: 'this checkout', ...(await measureCheckout(ROOT)) });
const results = {
  date: new Date().toISOString(),
  node: process.version,
  load: { before: loadBefore, after: loadavg()[0]! },
  onnxruntimeNodeInstall: CONSUMER_NPM_ENV.ONNXRUNTIME_NODE_INSTALL,
  cliInstallExcludedScopes: CLI_INSTALL_EXCLUDED_SCOPES,
  runs,
};
await writeFile(out, `${JSON.stringify(results, null, 2)}\n`);
const rows = runs.flatMap((r) =>
  r.installs.map(
    (i) =>
      `| ${r.label} (${r.commit}) | \`npm i ${i.spec}\` | ${i.seconds} | ${i.nodeModulesMB} | ${i.packages} | ${
        Object.entries(i.heavyMB)
          .map(([k, v]) => `${k} ${v}`)
          .join(', ') || '–'
      } |`,
  ),
);
process.stdout.write(
  [
    `load average ${loadBefore.toFixed(1)} → ${results.load.after.toFixed(1)}; ONNXRUNTIME_NODE_INSTALL=skip`,
    '| checkout | command | s | node_modules MiB | packages | heavy (MiB) |',
    '| --- | --- | ---: | ---: | ---: | --- |',
    ...rows,
    `written to ${out}`,
    '',
  ].join('\n'),
);
