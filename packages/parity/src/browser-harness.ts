import { readFile } from 'node:fs/promises';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { createRequire } from 'node:module';
import { dirname, extname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { getLogger, type DeviceRequest, type ExecutionDevice } from '@vae/core';
import type { PageApi } from './chromium-wire.js';
import type { WireSession } from './wire-runtime.js';
import type { GraphEngine } from './graph-engine.js';
import type { GraphPageApi } from './graph-wire-api.js';
import { decodeTensors, encodeTensors, toBase64 } from './tensor-codec.js';
import { bundleEntry } from './bundle-entry.js';
import { browserPeerMissing } from './browser-peers.js';
import { CHROMIUM_ARGS, CHROMIUM_PATH } from '@vae/runtime-web/node';
import { BROWSER_DRIVERS, type BrowserDriver, type BrowserPage } from './browser-drivers.js';

const log = getLogger('parity:browser');

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

/** Folder of onnxruntime-web's runtime files (`.wasm`, `.mjs`), as `@vae/runtime-web` resolves it. */
export function ortDistDir(): string {
  const webPackage = createRequire(import.meta.url).resolve('@vae/runtime-web/package.json');
  return dirname(createRequire(webPackage).resolve('onnxruntime-web/webgpu'));
}

/** A plain file name (no folders, no dot-files), or null. */
function plainName(name: string): string | null {
  const decoded = decodeURIComponent(name);
  return /^[\w][\w.-]*$/.test(decoded) ? decoded : null;
}

async function serve(modelDir: string | null): Promise<{ server: Server; url: string }> {
  const ortDir = ortDistDir();
  const js = await bundleEntry(PAGE_ENTRY);
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
      if (!m || !name || (m[1] === 'model' && modelDir === null)) return send(404, 'text/plain', `not found: ${path}`);
      const file = resolve(m[1] === 'model' ? modelDir! : ortDir, name);
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

/** A browser page with a model loaded on one device, driven through `window.__vaeParity`. */
export type ChromiumSession = WireSession;

/** Every call of the parity page. */
type PageCalls = PageApi & GraphPageApi;

/** The parity page open in a browser, its server running. */
interface ParityPage {
  call<K extends keyof PageCalls>(
    method: K,
    ...args: Parameters<PageCalls[K]>
  ): Promise<Awaited<ReturnType<PageCalls[K]>>>;
  close(): Promise<void>;
}

/**
 * Serves `modelDir` (null: no model) and onnxruntime-web's files on a loopback port and opens the
 * parity page in the browser of `driver`, waiting until `window.__vaeParity` exists.
 */
async function openParityPage(modelDir: string | null, driver: BrowserDriver): Promise<ParityPage> {
  const missing = driver.missing() ?? browserPeerMissing('esbuild', `the ${driver.name} parity page`);
  if (missing) throw new Error(missing);
  const { server, url } = await serve(modelDir);
  let page: BrowserPage | undefined;
  const close = async (): Promise<void> => {
    await page?.close().catch(() => undefined);
    await new Promise((ok) => server.close(ok));
  };
  try {
    page = await driver.open(url);
    const p = page;
    const pageErrors = (): string => (p.errors.length ? `; page errors: ${p.errors.join(' | ')}` : '');
    const started = Date.now();
    while (!(await p.run('() => window.__vaeParity !== undefined'))) {
      if (Date.now() - started > 60_000) throw new Error(`the parity page did not start within 60 s${pageErrors()}`);
      await new Promise((ok) => setTimeout(ok, 50));
    }
    const call: ParityPage['call'] = async (method, ...args) => {
      try {
        return (await p.run('(m, a) => window.__vaeParity[m](...a)', [method, args])) as never;
      } catch (err) {
        const text = err instanceof Error ? err.message.split('\n')[0] : String(err);
        throw new Error(`${driver.name} ${method}: ${text}${pageErrors()}`, { cause: err });
      }
    };
    return { call, close };
  } catch (err) {
    await close();
    throw err;
  }
}

/**
 * Serves `modelDir` and onnxruntime-web's files on a loopback port, opens the parity page in the
 * browser of `driver` and loads the model on `device` (exactly that device). Rejects with the
 * reason (browser missing, no WebGPU adapter, page errors).
 */
export async function openBrowserSession(
  modelDir: string,
  device: DeviceRequest,
  driver: BrowserDriver,
): Promise<WireSession> {
  const page = await openParityPage(modelDir, driver);
  try {
    const info = await page.call('load', device);
    if (device !== 'auto' && info.device !== device)
      throw new Error(`${driver.name}: expected a ${device} session, got ${info.device}`);
    log.debug(`${driver.name} page on ${info.device} (${info.browser}${info.adapter ? `, ${info.adapter}` : ''})`);
    return {
      info,
      call: page.call,
      close: async () => {
        await page.call('release').catch(() => undefined);
        await page.close();
      },
    };
  } catch (err) {
    await page.close();
    throw err;
  }
}

/**
 * A {@link GraphEngine} in the browser of `driver` (one launch for every graph it loads): raw ONNX
 * graphs on `device` of the page's onnxruntime-web.
 */
export async function openBrowserGraphs(device: ExecutionDevice, driver: BrowserDriver): Promise<GraphEngine> {
  const page = await openParityPage(null, driver);
  try {
    const info = await page.call('graphHostInfo', device);
    let loaded = 0;
    return {
      detail: `${info.browser}, ${info.backend} ${info.device}${info.adapter ? ` (${info.adapter})` : ''}`,
      async load(graph) {
        const id = `graph${loaded++}`;
        await page.call('loadGraph', id, toBase64(graph), device);
        return {
          run: async (feeds) => decodeTensors(await page.call('runGraph', id, encodeTensors(feeds)), 'outputs'),
          release: () => page.call('releaseGraph', id),
        };
      },
      release: () => page.close(),
    };
  } catch (err) {
    await page.close();
    throw err;
  }
}

/** {@link openBrowserSession} in Debian's Chromium (playwright-core, fresh profile, {@link CHROMIUM_ARGS}). */
export function openChromiumSession(modelDir: string, device: DeviceRequest): Promise<ChromiumSession> {
  return openBrowserSession(modelDir, device, BROWSER_DRIVERS.chromium!);
}
