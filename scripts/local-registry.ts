/**
 * A throwaway npm registry (Verdaccio, pinned devDependency) on a loopback port, with its own config and
 * storage in a temporary folder. It serves what is published to it (`@vae/*`, never proxied) and proxies
 * every other package to the real npm registry, caching the tarballs in its storage, so a fresh project
 * installs our packages by name exactly as users will once they are on npm. Used by the consumer test
 * and `pnpm measure:install`.
 */
import { execFile, spawn } from 'node:child_process';
import { mkdtempSync } from 'node:fs';
import { readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';

const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const VERDACCIO_BIN = join(ROOT, 'node_modules', 'verdaccio', 'bin', 'verdaccio');
const execFileAsync = promisify(execFile);

/** The registry third-party packages come from (Verdaccio's uplink): `VAE_UPLINK_REGISTRY`, else npm's. */
export const UPLINK_REGISTRY = process.env.VAE_UPLINK_REGISTRY ?? 'https://registry.npmjs.org/';

/** A running local registry. */
export interface LocalRegistry {
  /** `http://127.0.0.1:PORT/` */
  readonly url: string;
  /** The temporary folder holding its config, storage and user file (removed by `stop`). */
  readonly dir: string;
  /** An auth token of a user created for publishing. */
  readonly token: string;
  /** The `.npmrc` text of a consumer project that installs everything from this registry. */
  readonly npmrc: string;
  /** Stops the server and removes its folder; safe to call twice. */
  stop(): Promise<void>;
}

function freePort(): Promise<number> {
  return new Promise((ok, fail) => {
    const server = createServer();
    server.once('error', fail);
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address() as { port: number };
      server.close(() => ok(port));
    });
  });
}

function config(dir: string): string {
  return [
    `storage: ${JSON.stringify(join(dir, 'storage'))}`,
    'auth:',
    '  htpasswd:',
    `    file: ${JSON.stringify(join(dir, 'htpasswd'))}`,
    '    max_users: 10',
    'uplinks:',
    '  npmjs:',
    `    url: ${JSON.stringify(UPLINK_REGISTRY)}`,
    '    timeout: 60s',
    '    maxage: 30m',
    'packages:',
    // Ours: served only from what was published here, never looked up upstream.
    "  '@vae/*':",
    '    access: $all',
    '    publish: $authenticated',
    "  '**':",
    '    access: $all',
    '    publish: $authenticated',
    '    proxy: npmjs',
    'max_body_size: 200mb',
    'log: { type: stdout, format: json, level: warn }',
    'web: { enable: false }',
    '',
  ].join('\n');
}

async function waitUntilUp(url: string, exited: Promise<unknown>, output: () => string): Promise<void> {
  let down = false;
  void exited.then(() => (down = true));
  for (let i = 0; i < 300; i++) {
    if (down) throw new Error(`Verdaccio exited before answering: ${output()}`);
    const res = await fetch(`${url}-/ping`).catch(() => undefined);
    if (res?.ok) return;
    await new Promise((ok) => setTimeout(ok, 100));
  }
  throw new Error(`Verdaccio did not answer ${url}-/ping within 30 s: ${output()}`);
}

async function createUser(url: string): Promise<string> {
  const name = 'vae-publisher';
  const res = await fetch(`${url}-/user/org.couchdb.user:${name}`, {
    method: 'PUT',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ name, password: `pw-${process.pid}-${Date.now()}` }),
  });
  const body = (await res.json()) as { token?: string; error?: string };
  if (!res.ok || !body.token)
    throw new Error(`creating a user on ${url} failed: ${res.status} ${JSON.stringify(body)}`);
  return body.token;
}

/** Starts Verdaccio on a free loopback port with a fresh storage folder; `stop()` it in a `finally`. */
export async function startLocalRegistry(): Promise<LocalRegistry> {
  const dir = mkdtempSync(join(tmpdir(), 'vae-registry-'));
  await writeFile(join(dir, 'config.yaml'), config(dir));
  const port = await freePort();
  const url = `http://127.0.0.1:${port}/`;
  const proc = spawn(
    process.execPath,
    [VERDACCIO_BIN, '--config', join(dir, 'config.yaml'), '--listen', `127.0.0.1:${port}`],
    {
      cwd: dir,
      env: { ...process.env, NODE_OPTIONS: '' },
      stdio: ['ignore', 'pipe', 'pipe'],
    },
  );
  let log = '';
  const keep = (d: Buffer) => (log = (log + d.toString()).slice(-20_000));
  proc.stdout.on('data', keep);
  proc.stderr.on('data', keep);
  const exited = new Promise<void>((ok) => proc.once('exit', () => ok()));
  // Never outlive the process that started it, even when that one is killed before calling stop().
  const orphanGuard = () => proc.kill('SIGKILL');
  process.once('exit', orphanGuard);
  let stopped = false;
  const stop = async () => {
    if (stopped) return;
    stopped = true;
    process.off('exit', orphanGuard);
    if (proc.exitCode === null && proc.signalCode === null) {
      proc.kill('SIGTERM');
      const timer = setTimeout(() => proc.kill('SIGKILL'), 5_000);
      await exited;
      clearTimeout(timer);
    }
    await rm(dir, { recursive: true, force: true });
  };
  try {
    await waitUntilUp(url, exited, () => log);
    const token = await createUser(url);
    return { url, dir, token, npmrc: `registry=${url}\n`, stop };
  } catch (err) {
    await stop();
    throw err;
  }
}

/** The names of the publishable (non-private) packages under `packages/` of the checkout `root`, sorted. */
export async function workspacePackageNames(root = ROOT): Promise<string[]> {
  const names: string[] = [];
  for (const dir of await readdir(join(root, 'packages'))) {
    const manifest = JSON.parse(await readFile(join(root, 'packages', dir, 'package.json'), 'utf8')) as {
      name: string;
      private?: boolean;
    };
    if (!manifest.private) names.push(manifest.name);
  }
  return names.sort();
}

/**
 * Publishes every non-private workspace package under `packages/` of the checkout `root` (this one by
 * default; built beforehand: `pnpm build`) to `registry` with `pnpm publish`, which rewrites
 * `workspace:*` to the real versions; returns each published name with the version the registry now
 * serves as `latest`.
 */
export async function publishWorkspace(registry: LocalRegistry, root = ROOT): Promise<Record<string, string>> {
  const npmrc = join(registry.dir, 'publish.npmrc');
  await writeFile(npmrc, `${registry.url.replace(/^http:/, '')}:_authToken=${registry.token}\n`);
  await execFileAsync(
    'pnpm',
    [
      '-r',
      '--filter',
      './packages/*',
      'publish',
      '--registry',
      registry.url,
      '--no-git-checks',
      '--npmrc-auth-file',
      npmrc,
    ],
    { cwd: root, env: { ...process.env, NODE_OPTIONS: '' }, maxBuffer: 64 << 20 },
  ).catch((err: { message: string; stdout?: string; stderr?: string }) => {
    throw new Error(`pnpm publish to ${registry.url} failed: ${err.message}\n${err.stdout ?? ''}\n${err.stderr ?? ''}`);
  });
  const published: Record<string, string> = {};
  for (const name of await workspacePackageNames(root)) {
    const res = await fetch(`${registry.url}${name.replace('/', '%2f')}`);
    const doc = (await res.json()) as { 'dist-tags'?: { latest?: string } };
    const latest = doc['dist-tags']?.latest;
    if (!res.ok || !latest) throw new Error(`${name} is not on ${registry.url} after publishing (${res.status})`);
    published[name] = latest;
  }
  return published;
}
