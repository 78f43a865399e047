import { existsSync } from 'node:fs';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { dirname, extname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { getLogger, type DeviceRequest } from '@vae/core';
import type { PageApi } from './chromium-wire.js';
import type { WireSession } from './wire-runtime.js';
import { CHROMIUM_ARGS, CHROMIUM_PATH } from '@vae/runtime-web/node';

const log = getLogger('parity:chromium');

/** Chromium of Debian's `chromium` package. */
export { CHROMIUM_ARGS, CHROMIUM_PATH };

const here = dirname(fileURLToPath(import.meta.url));
/** The page entry next to this module: `.ts` when run from sources, `.js` when built. */
const PAGE_ENTRY = join(here, `chromium-page${extname(fileURLToPath(import.meta.url))}`);
const HTML =
  '<!doctype html><html><head><meta charset="utf-8"><title>vae parity</title></head><body><script type="module" src="/page.js"></script></body></html>';
const TYPES: Readonly<Record<string, string>> = Object.freeze({
  '.js': 'text/javascript',
  '.mjs': 'text/javascript',
  '.wasm': 'application/wasm',
  '.json': 'application/json',
  '.onnx': 'application/octet-stream',
});

let bundle: Promise<string> | undefined;

/** The page entry bundled for the browser (once per process). */
function pageBundle(): Promise<string> {
  bundle ??= (async () => {
    const { build } = await import('esbuild');
    const out = await build({
      entryPoints: [PAGE_ENTRY],
      bundle: true,
      write: false,
      format: 'esm',
      platform: 'browser',
      target: 'es2022',
      logLevel: 'silent',
    });
    return out.outputFiles.map((f) => f.text).join('\n');
  })();
  return bundle;
}

/** Folder of onnxruntime-web's runtime files (`.wasm`, `.mjs`), as `@vae/runtime-web` resolves it. */
function ortDistDir(): string {
  const webPackage = createRequire(import.meta.url).resolve('@vae/runtime-web/package.json');
  return dirname(createRequire(webPackage).resolve('onnxruntime-web/webgpu'));
}

/** A plain file name (no folders, no dot-files), or null. */
function plainName(name: string): string | null {
  const decoded = decodeURIComponent(name);
  return /^[\w][\w.-]*$/.test(decoded) ? decoded : null;
}

async function serve(modelDir: string): Promise<{ server: Server; url: string }> {
  const ortDir = ortDistDir();
  const js = await pageBundle();
  const server = createServer((req, res) => {
    const path = new URL(req.url ?? '/', 'http://localhost').pathname;
    const send = (status: number, type: string, body: string | Uint8Array): void => {
      res.writeHead(status, { 'content-type': type, 'cache-control': 'no-store' });
      res.end(body);
    };
    void (async () => {
      if (path === '/') return send(200, 'text/html', HTML);
      if (path === '/page.js') return send(200, 'text/javascript', js);
      const m = /^\/(model|ort)\/([^/]+)$/.exec(path);
      const name = m ? plainName(m[2]!) : null;
      if (!m || !name) return send(404, 'text/plain', `not found: ${path}`);
      const file = resolve(m[1] === 'model' ? modelDir : ortDir, name);
      try {
        return send(200, TYPES[extname(name)] ?? 'application/octet-stream', await readFile(file));
      } catch {
        return send(404, 'text/plain', `not found: ${path}`);
      }
    })();
  });
  await new Promise<void>((ok, fail) => {
    server.once('error', fail);
    server.listen(0, '127.0.0.1', () => ok());
  });
  return { server, url: `http://127.0.0.1:${(server.address() as AddressInfo).port}/` };
}

/** A Chromium page with a model loaded on one device, driven through `window.__vaeParity`. */
export type ChromiumSession = WireSession;

/**
 * Serves `modelDir` and onnxruntime-web's files on a loopback port, starts Chromium (playwright-core,
 * fresh profile, {@link CHROMIUM_ARGS}), opens the parity page and loads the model on `device`
 * (exactly that device). Rejects with the reason (no Chromium, no WebGPU adapter, page errors).
 */
export async function openChromiumSession(modelDir: string, device: DeviceRequest): Promise<ChromiumSession> {
  if (!existsSync(CHROMIUM_PATH))
    throw new Error(`${CHROMIUM_PATH} not found (Debian/Ubuntu: apt-get install chromium)`);
  const { chromium } = await import('playwright-core');
  const { server, url } = await serve(modelDir);
  const profile = await mkdtemp(join(tmpdir(), 'vae-parity-chromium-'));
  const cleanup: (() => Promise<unknown>)[] = [
    async () => new Promise((ok) => server.close(ok)),
    async () => rm(profile, { recursive: true, force: true }),
  ];
  const closeAll = async (): Promise<void> => {
    for (const f of cleanup.reverse()) await f().catch(() => undefined);
  };
  try {
    const context = await chromium.launchPersistentContext(profile, {
      executablePath: CHROMIUM_PATH,
      args: [...CHROMIUM_ARGS],
      headless: true,
    });
    cleanup.push(async () => context.close());
    const page = await context.newPage();
    const errors: string[] = [];
    page.on('pageerror', (e) => errors.push(e.message));
    page.on('console', (m) => {
      if (m.type() === 'error') errors.push(m.text());
    });
    await page.goto(url);
    await page
      .waitForFunction(() => window.__vaeParity !== undefined, undefined, { timeout: 30_000 })
      .catch((err: unknown) => {
        throw new Error(
          `the parity page did not start: ${String(err)}${errors.length ? `; page errors: ${errors.join(' | ')}` : ''}`,
        );
      });
    const call = async <K extends keyof PageApi>(
      method: K,
      ...args: Parameters<PageApi[K]>
    ): Promise<Awaited<ReturnType<PageApi[K]>>> => {
      try {
        return (await page.evaluate(
          ([m, a]) =>
            (window.__vaeParity![m as keyof PageApi] as (...x: unknown[]) => Promise<unknown>)(...(a as unknown[])),
          [method, args] as const,
        )) as Awaited<ReturnType<PageApi[K]>>;
      } catch (err) {
        const text = err instanceof Error ? err.message.split('\n')[0] : String(err);
        throw new Error(`chromium ${method}: ${text}${errors.length ? `; page errors: ${errors.join(' | ')}` : ''}`, {
          cause: err,
        });
      }
    };
    const info = await call('load', device);
    if (device !== 'auto' && info.device !== device)
      throw new Error(`chromium: expected a ${device} session, got ${info.device}`);
    log.debug(`chromium page on ${info.device} (${info.browser}${info.adapter ? `, ${info.adapter}` : ''})`);
    return {
      info,
      call,
      close: async () => {
        await call('release').catch(() => undefined);
        await closeAll();
      },
    };
  } catch (err) {
    await closeAll();
    throw err;
  }
}
