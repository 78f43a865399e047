import { existsSync, mkdtempSync } from 'node:fs';
import { mkdir, readFile, rename, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { chromium, type BrowserContext } from 'playwright-core';
import { inject } from 'vitest';
import { CHROMIUM_ARGS, CHROMIUM_PATH } from '@vae/runtime-web/node';
import { serveStatic, type StaticServer } from '../apps/demo/build/static-server.js';
import type { CompressedFile } from '../apps/demo/build/precompress.js';
import type { SiteManifest } from '../apps/demo/src/site-types.js';
import { buildDemo } from '../scripts/demo-site.js';
import { addScorerCheck } from './scorer-check-fixture.js';

declare module 'vitest' {
  export interface ProvidedContext {
    /** The folder test/static-site-setup.ts made for this run's one build of the static site. */
    staticSiteRoot: string;
  }
}

const REPO = resolve(import.meta.dirname, '..');
/** How long a test file waits for the build another file started (it takes seconds). */
const BUILD_WAIT_MS = 110_000;

/** The static demo site as built once per vitest run, with the scorer check added (see `addScorerCheck`). */
export interface SiteBuild {
  readonly outDir: string;
  /** Its `site.json`. */
  readonly manifest: SiteManifest;
  /** The files of the site proper, as `precompress` listed them (the scorer check's are not among them). */
  readonly files: readonly CompressedFile[];
}

async function readBuild(outDir: string, listing: string): Promise<SiteBuild> {
  return {
    outDir,
    manifest: JSON.parse(await readFile(join(outDir, 'site.json'), 'utf8')) as SiteManifest,
    files: JSON.parse(await readFile(listing, 'utf8')) as CompressedFile[],
  };
}

/** Waits for the build another test file claimed: its file listing, or the error it wrote. */
async function awaitBuild(outDir: string, listing: string, failure: string): Promise<SiteBuild> {
  const started = Date.now();
  for (;;) {
    if (existsSync(listing)) return readBuild(outDir, listing);
    if (existsSync(failure))
      throw new Error(`static site build (in another test file) failed: ${await readFile(failure, 'utf8')}`);
    if (Date.now() - started > BUILD_WAIT_MS)
      throw new Error(`static site build: expected it within ${BUILD_WAIT_MS} ms in ${outDir}, got nothing`);
    await new Promise((ok) => setTimeout(ok, 100));
  }
}

/**
 * The static demo site built from `<repo>/models` once per vitest run (brotli quality 5 instead of 11:
 * the same files, built in seconds instead of a minute), then the scorer check added. The first test
 * file that asks builds it into the run's folder; the others wait for and reuse that build. It is
 * shared: tests copy it before changing anything in it.
 */
export async function siteBuild(): Promise<SiteBuild> {
  const root = inject('staticSiteRoot');
  const outDir = join(root, 'site');
  const listing = join(root, 'files.json');
  const failure = join(root, 'failed.txt');
  try {
    await mkdir(join(root, 'claimed'));
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err;
    return awaitBuild(outDir, listing, failure);
  }
  try {
    const site = await buildDemo({ outDir, modelsDir: join(REPO, 'models'), brotliQuality: 5 });
    await addScorerCheck(outDir);
    await writeFile(`${listing}.tmp`, JSON.stringify(site.files));
    await rename(`${listing}.tmp`, listing);
    return { outDir, manifest: site.content.manifest, files: site.files };
  } catch (err) {
    await writeFile(failure, err instanceof Error ? (err.stack ?? err.message) : String(err));
    throw err;
  }
}

/** The run's static site ({@link siteBuild}), served on 127.0.0.1, and a headless Chromium context. */
export interface StaticSite {
  readonly site: SiteBuild;
  readonly server: StaticServer;
  readonly context: BrowserContext;
  /** Closes the browser and the server (the build stays for the run's other test files). */
  close(): Promise<void>;
}

/**
 * Serves {@link siteBuild} with its precompressed files and opens Chromium.
 * @param name tells the browser profiles apart.
 */
export async function openStaticSite(name: string, viewport?: { width: number; height: number }): Promise<StaticSite> {
  const site = await siteBuild();
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
    },
  };
}
