/**
 * Entry of the child-process parity hosts (Deno, Bun, or Node): registers one runtime from its
 * package, then answers {@link PageApi} calls read as JSON lines on stdin with JSON lines on stdout
 * (each prefixed by {@link CHILD_LINE_PREFIX}, so stray output cannot be mistaken for a reply).
 * Argument 1 is the JSON {@link ChildConfig}.
 */
import { readFile } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { createInterface } from 'node:readline';
import { VaeModel, assertModelFileName, getRuntime, type ModelFileSource } from '@vae/core';
import type { PageApi } from './chromium-wire.js';
import { CHILD_LINE_PREFIX, type ChildConfig, type ChildReply, type ChildRequest } from './child-protocol.js';
import { createWireApi } from './wire-api.js';

declare const Deno: { version: { deno: string; v8: string } } | undefined;
declare const Bun: { version: string } | undefined;

/** `Deno 2.9.6`, `Bun 1.4.4` or `Node v20.19.0`. */
function hostName(): string {
  if (typeof Deno !== 'undefined') return `Deno ${Deno.version.deno}`;
  if (typeof Bun !== 'undefined') return `Bun ${Bun.version}`;
  return `Node ${process.version}`;
}

function directorySource(dir: string): ModelFileSource {
  const location = resolve(dir);
  return {
    location,
    read: async (file: string) => {
      assertModelFileName(file);
      return new Uint8Array(await readFile(join(location, file)));
    },
  };
}

const config = JSON.parse(process.argv[2] ?? '{}') as ChildConfig;
const pkg = (await import(config.module)) as Record<string, unknown>;
const register = pkg[config.register];
if (typeof register !== 'function') throw new Error(`${config.module}: expected an export ${config.register}()`);
register();
const runtime = getRuntime(config.runtime);
if (!runtime) throw new Error(`${config.module}: ${config.register}() did not register ${config.runtime}`);

const api: PageApi = createWireApi(async (device) => {
  const model = await VaeModel.load(directorySource(config.modelDir), {
    device,
    backends: [runtime],
    ...(config.threads === undefined ? {} : { threads: config.threads }),
  });
  return { model, info: { device: model.device, backend: model.backend, browser: hostName(), adapter: '' } };
});

const reply = (r: ChildReply): void => {
  process.stdout.write(`${CHILD_LINE_PREFIX}${JSON.stringify(r)}\n`);
};
for await (const line of createInterface({ input: process.stdin })) {
  if (!line.trim()) continue;
  const req = JSON.parse(line) as ChildRequest;
  try {
    const fn = api[req.method] as (...a: unknown[]) => Promise<unknown>;
    reply({ id: req.id, result: (await fn(...req.args)) ?? null });
  } catch (err) {
    reply({ id: req.id, error: err instanceof Error ? err.message : String(err) });
  }
  if (req.method === 'release') break;
}
process.exit(0);
