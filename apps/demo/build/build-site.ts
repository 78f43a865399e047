import { copyFile, mkdir, writeFile } from 'node:fs/promises';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { build } from 'vite';
import type { SiteParity } from '../src/site-types.js';
import { precompress, type CompressedFile } from './precompress.js';
import { siteContent, type SiteContent } from './site-content.js';

const here = dirname(fileURLToPath(import.meta.url));

/** The demo's Vite config. */
export const DEMO_VITE_CONFIG = resolve(here, '../vite.config.ts');

/** Options of {@link buildDemoSite}. */
export interface BuildDemoSiteOptions {
  /** Output folder (emptied first). */
  readonly outDir: string;
  /** Folder of exported model directories. */
  readonly modelsDir: string;
  /** Parity of the reduced-precision models by name (see `siteContent`). */
  readonly parity?: ReadonlyMap<string, SiteParity>;
  /** Brotli quality of the `.br` copies (default 11). */
  readonly brotliQuality?: number;
}

/** What {@link buildDemoSite} wrote. */
export interface BuiltDemoSite {
  readonly outDir: string;
  readonly content: SiteContent;
  readonly files: readonly CompressedFile[];
}

/**
 * Builds the static demo site: Vite's build of the page (relative URLs), then the models, the
 * onnxruntime-web binaries, the latent-map sample and `site.json`, then `.br`/`.gz` beside every file.
 */
export async function buildDemoSite(o: BuildDemoSiteOptions): Promise<BuiltDemoSite> {
  const outDir = resolve(o.outDir);
  const content = siteContent({ modelsDir: o.modelsDir, ...(o.parity ? { parity: o.parity } : {}) });
  await build({ configFile: DEMO_VITE_CONFIG, logLevel: 'warn', build: { outDir, emptyOutDir: true } });
  for (const [path, file] of content.files) {
    const target = join(outDir, ...path.split('/'));
    await mkdir(dirname(target), { recursive: true });
    if (typeof file === 'string') await copyFile(file, target);
    else await writeFile(target, file);
  }
  const files = await precompress(outDir, o.brotliQuality);
  return { outDir, content, files: files.sort((a, b) => a.path.localeCompare(b.path)) };
}
