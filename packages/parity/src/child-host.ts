import { spawn } from 'node:child_process';
import { existsSync, statSync } from 'node:fs';
import { basename, delimiter, dirname, extname, join } from 'node:path';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import { getLogger, type Runtime } from '@vae/core';
import { cleanupOnExit } from '@vae/data/node';
import type { PageApi } from './chromium-wire.js';
import { CHILD_LINE_PREFIX, type ChildConfig, type ChildReply } from './child-protocol.js';
import type { ParityHost } from './parity-runtime.js';
import { wireRuntime, type WireSession } from './wire-runtime.js';

const log = getLogger('parity:child');

/** The child entry next to this module: `.ts` when run from sources, `.js` when built. */
const ENTRY = join(dirname(fileURLToPath(import.meta.url)), `child-entry${extname(fileURLToPath(import.meta.url))}`);

/** A JavaScript runtime that runs the child entry as a separate process. */
export interface ChildHostOptions {
  /**
   * Executable name, looked up in `VAE_<NAME>_PATH`, then `PATH`, then `node_modules/<name>/<name>`
   * (an npm package's native binary) and `node_modules/.bin` of the working directory and its parents.
   */
  readonly executable: string;
  /** Arguments before the entry file (e.g. Deno's permissions). */
  readonly args: readonly string[];
  /** How to install it, for the skip reason. */
  readonly install: string;
  readonly description: string;
}

/** Path of `name` (see {@link ChildHostOptions.executable}), or null. */
export function findExecutable(name: string, env: NodeJS.ProcessEnv = process.env): string | null {
  const override = env[`VAE_${name.toUpperCase()}_PATH`];
  if (override) return existsSync(override) ? override : null;
  const dirs = (env.PATH ?? '').split(delimiter).filter(Boolean);
  for (let dir = process.cwd(); ; dir = dirname(dir)) {
    dirs.push(join(dir, 'node_modules', '.bin'));
    if (dirname(dir) === dir) break;
  }
  // In a `node_modules/.bin` (on PATH under npm/pnpm scripts, or found above), the npm package's own
  // binary comes first: npm `deno`'s shim runs it under a Node wrapper (spawnSync), so killing the
  // shim would leave the real process running.
  const candidates = dirs.flatMap((d) =>
    basename(d) === '.bin' && basename(dirname(d)) === 'node_modules'
      ? [join(dirname(d), name, name), join(d, name)]
      : [join(d, name)],
  );
  return candidates.find((p) => existsSync(p) && statSync(p).isFile()) ?? null;
}

/** Starts the child, loads `runtime` on `device` there and returns the session. */
async function openChild(o: ChildHostOptions, config: ChildConfig, device: string): Promise<WireSession> {
  const exe = findExecutable(o.executable);
  if (!exe) throw new Error(`${o.executable} not found (${o.install})`);
  const child = spawn(exe, [...o.args, ENTRY, JSON.stringify(config)], { stdio: ['pipe', 'pipe', 'pipe'] });
  // Deno and Bun end when their stdin closes; killed too if this process exits while they run.
  const forget = cleanupOnExit(() => child.kill());
  child.once('exit', forget);
  const stderr: string[] = [];
  createInterface({ input: child.stderr }).on('line', (l) => {
    stderr.push(l);
    log.debug(`${o.executable}: ${l}`);
  });
  const pending = new Map<number, { ok: (v: unknown) => void; fail: (e: Error) => void }>();
  let exited: Error | null = null;
  const failAll = (err: Error): void => {
    exited = err;
    for (const p of pending.values()) p.fail(err);
    pending.clear();
  };
  child.on('error', (err) => failAll(err));
  child.on('exit', (code, signal) =>
    failAll(
      new Error(
        `${o.executable} exited (${signal ?? `code ${code}`})${stderr.length ? `: ${stderr.slice(-5).join(' | ')}` : ''}`,
      ),
    ),
  );
  createInterface({ input: child.stdout }).on('line', (line) => {
    if (!line.startsWith(CHILD_LINE_PREFIX)) return log.debug(`${o.executable}: ${line}`);
    const r = JSON.parse(line.slice(CHILD_LINE_PREFIX.length)) as ChildReply;
    const p = pending.get(r.id);
    pending.delete(r.id);
    if ('error' in r) p?.fail(new Error(`${o.executable}: ${r.error}`));
    else p?.ok(r.result);
  });
  let next = 0;
  const call = <K extends keyof PageApi>(
    method: K,
    ...args: Parameters<PageApi[K]>
  ): Promise<Awaited<ReturnType<PageApi[K]>>> =>
    new Promise((ok, fail) => {
      if (exited) return fail(exited);
      const id = next++;
      pending.set(id, { ok: ok as (v: unknown) => void, fail });
      child.stdin.write(`${JSON.stringify({ id, method, args })}\n`);
    });
  const close = async (): Promise<void> => {
    if (!exited) await call('release').catch(() => undefined);
    if (!exited) child.kill();
  };
  try {
    const info = await call('load', device);
    if (info.device !== device) throw new Error(`${o.executable}: expected a ${device} session, got ${info.device}`);
    return { info, call, close };
  } catch (err) {
    await close();
    throw err;
  }
}

/** A {@link ParityHost} that runs each runtime in a child process of another JavaScript runtime. */
export function childHost(o: ChildHostOptions): ParityHost {
  return {
    description: o.description,
    async open(ctx, runtime: Runtime, device) {
      const p = runtime.parity;
      if (!p) throw new Error(`${runtime.name}: declares no parity module to load in ${o.executable}`);
      const config: ChildConfig = {
        modelDir: ctx.modelDir,
        module: p.module,
        register: p.register,
        runtime: runtime.name,
        ...(ctx.threads === undefined ? {} : { threads: ctx.threads }),
      };
      return wireRuntime(await openChild(o, config, device), ctx);
    },
  };
}
