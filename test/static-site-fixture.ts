import { mkdtempSync } from 'node:fs';
import { rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { chromium, type BrowserContext } from 'playwright-core';
import { CHROMIUM_ARGS, CHROMIUM_PATH } from '@vae/runtime-web/node';
import { serveStatic, type StaticServer } from '../apps/demo/build/static-server.js';
import type { BuiltDemoSite } from '../apps/demo/build/build-site.js';
import { buildDemo } from '../scripts/demo-site.js';

const REPO = resolve(import.meta.dirname, '..');

/** The static demo site built into a temp folder, served on 127.0.0.1, and a headless Chromium context. */
export interface StaticSite {
  readonly site: BuiltDemoSite;
  readonly server: StaticServer;
  readonly context: BrowserContext;
  /** Closes the browser and the server and removes the build. */
  close(): Promise<void>;
}

/**
 * Builds the site from `<repo>/models` (brotli quality 5 instead of 11: the same files, built in
 * seconds instead of a minute), serves it with its precompressed files and opens Chromium.
 * @param name tells the temp folders apart.
 */
export async function openStaticSite(name: string, viewport?: { width: number; height: number }): Promise<StaticSite> {
  const site = await buildDemo({
    outDir: mkdtempSync(join(tmpdir(), `vae-${name}-site-`)),
    modelsDir: join(REPO, 'models'),
    brotliQuality: 5,
  });
  const server = await serveStatic(site.outDir);
  const context = await chromium.launchPersistentContext(mkdtempSync(join(tmpdir(), `vae-chromium-${name}-`)), {
    executablePath: CHROMIUM_PATH,
    args: [...CHROMIUM_ARGS],
    headless: true,
    ...(viewport ? { viewport } : {}),
  });
  return {
    site,
    server,
    context,
    close: async () => {
      await context.close();
      await server.close();
      await rm(site.outDir, { recursive: true, force: true });
    },
  };
}
