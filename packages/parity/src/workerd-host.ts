import { spawn, execFileSync, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { copyFile, readFile, rm, writeFile } from 'node:fs/promises';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { dirname, extname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { getLogger } from '@vae/core';
import { cleanupOnExit } from '@vae/data/node';
import { bundleEntry } from './bundle-entry.js';
import type { PageApi } from './chromium-wire.js';
import { ortDistDir } from './browser-harness.js';
import { findExecutable } from './child-host.js';
import type { ChildReply } from './child-protocol.js';
import type { ParityHost } from './parity-runtime.js';
import { wireRuntime, type WireSession } from './wire-runtime.js';
import { browserPeerMissing } from './browser-peers.js';

const log = getLogger('parity:workerd');

/** The Worker entry next to this module: `.ts` when run from sources, `.js` when built. */
const ENTRY = join(dirname(fileURLToPath(import.meta.url)), `workerd-entry${extname(fileURLToPath(import.meta.url))}`);

async function freePort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((ok, fail) => {
    server.once('error', fail);
    server.listen(0, '127.0.0.1', () => ok());
  });
  const { port } = server.address() as { port: number };
  await new Promise((ok) => server.close(ok));
  return port;
}

/** The workerd config: the Worker, onnxruntime-web's wasm as a precompiled module, each model file as data. */
function config(files: readonly string[], host: string, port: number): string {
  const data = files.map((_, i) => `    (name = "file${i}", data = embed "file${i}"),`);
  return `using Workerd = import "/workerd/workerd.capnp";
const config :Workerd.Config = (
  services = [(name = "main", worker = .parityWorker)],
  sockets = [(name = "http", address = "127.0.0.1:${port}", http = (), service = "main")],
);
const parityWorker :Workerd.Worker = (
  modules = [(name = "worker.js", esModule = embed "worker.js"), (name = "ort.wasm", wasm = embed "ort.wasm")],
  bindings = [
    (name = "FILES", json = ${JSON.stringify(JSON.stringify(files))}),
    (name = "HOST", text = ${JSON.stringify(host)}),
${data.join('\n')}
  ],
  compatibilityDate = "2026-11-01",
);
`;
}

/**
 * Starts workerd (npm `workerd`) on a loopback port with the parity Worker and `modelDir`'s files
 * bundled in, and loads the model on `device` (wasm) there.
 */
export async function openWorkerdSession(modelDir: string, device: string): Promise<WireSession> {
  const exe = findExecutable('workerd');
  if (!exe) throw new Error('workerd not found (npm i -D workerd, or put workerd on PATH)');
  const noBundler = browserPeerMissing('esbuild', 'workerd');
  if (noBundler) throw new Error(noBundler);
  const version = execFileSync(exe, ['--version'], { encoding: 'utf8' }).trim();
  const manifest = JSON.parse(await readFile(join(modelDir, 'manifest.json'), 'utf8')) as {
    graphs: Record<string, { file: string }>;
  };
  const files = ['manifest.json', ...Object.values(manifest.graphs).map((g) => g.file)];
  // Created and registered for removal at exit in one synchronous stretch: a signal cannot fall between.
  const dir = mkdtempSync(join(tmpdir(), 'vae-parity-workerd-'));
  const started: { child?: ChildProcess } = {};
  const forget = cleanupOnExit(() => {
    started.child?.kill();
    rmSync(dir, { recursive: true, force: true });
  });
  const port = await freePort();
  await writeFile(join(dir, 'worker.js'), await bundleEntry(ENTRY, ['workerd', 'worker'], ['./ort.wasm']));
  await copyFile(join(ortDistDir(), 'ort-wasm-simd-threaded.wasm'), join(dir, 'ort.wasm'));
  await Promise.all(files.map((f, i) => copyFile(join(modelDir, f), join(dir, `file${i}`))));
  await writeFile(join(dir, 'config.capnp'), config(files, version, port));
  const child = spawn(exe, ['serve', join(dir, 'config.capnp')], { stdio: ['ignore', 'pipe', 'pipe'] });
  started.child = child;
  const output: string[] = [];
  const collect = (b: Buffer): void => {
    output.push(b.toString());
    log.debug(b.toString().trimEnd());
  };
  child.stdout.on('data', collect);
  child.stderr.on('data', collect);
  const close = async (): Promise<void> => {
    child.kill();
    await rm(dir, { recursive: true, force: true });
    forget();
  };
  let next = 0;
  const call = async <K extends keyof PageApi>(
    method: K,
    ...args: Parameters<PageApi[K]>
  ): Promise<Awaited<ReturnType<PageApi[K]>>> => {
    if (child.exitCode !== null)
      throw new Error(`workerd exited (code ${child.exitCode}): ${output.join('').slice(-500)}`);
    const res = await fetch(`http://127.0.0.1:${port}/`, {
      method: 'POST',
      body: JSON.stringify({ id: next++, method, args }),
    });
    const reply = (await res.json()) as ChildReply;
    if ('error' in reply) throw new Error(`workerd: ${reply.error}`);
    return reply.result as Awaited<ReturnType<PageApi[K]>>;
  };
  try {
    for (let i = 0; ; i++) {
      if (child.exitCode !== null)
        throw new Error(`workerd exited (code ${child.exitCode}): ${output.join('').slice(-500)}`);
      const up = await fetch(`http://127.0.0.1:${port}/`, { method: 'HEAD' }).then(
        () => true,
        () => false,
      );
      if (up) break;
      if (i >= 150) throw new Error(`workerd did not listen on ${port} within 15 s: ${output.join('').slice(-500)}`);
      await new Promise((ok) => setTimeout(ok, 100));
    }
    const info = await call('load', device);
    return { info, call, close: async () => close() };
  } catch (err) {
    await close();
    throw err;
  }
}

/** The `workerd` parity host: onnxruntime-web on wasm inside a local Cloudflare Workers runtime. */
export const WORKERD_HOST: ParityHost = {
  description: 'workerd (npm workerd; the Cloudflare Workers runtime, precompiled wasm module)',
  async open(ctx, runtime, device) {
    if (runtime.name !== 'onnxruntime-web')
      throw new Error(`the workerd host runs onnxruntime-web, not ${runtime.name}`);
    return wireRuntime(await openWorkerdSession(ctx.modelDir, device), ctx);
  },
};
