import { createRequire } from 'node:module';
import { notInstalledMessage } from '@vae/core';

/**
 * Optional peers of `@vae/parity`, needed only by the browser and Worker hosts (Chromium through
 * playwright-core, Firefox through puppeteer-core, their pages and the workerd Worker bundled by
 * esbuild), with the versions the repository tests. Node, Deno and Bun hosts need none of them.
 */
export const BROWSER_PEERS = Object.freeze({
  'playwright-core': '1.65.1',
  'puppeteer-core': '24.43.1',
  esbuild: '0.28.2',
});

/** One of {@link BROWSER_PEERS}. */
export type BrowserPeer = keyof typeof BROWSER_PEERS;

const resolveFromHere = createRequire(import.meta.url).resolve;

/**
 * Null when `name` resolves from `@vae/parity`, else why `host` cannot run, with the npm line that
 * adds it (the runtime is then reported skipped with this reason).
 */
export function browserPeerMissing(name: BrowserPeer, host: string): string | null {
  try {
    resolveFromHere(name);
    return null;
  } catch {
    return notInstalledMessage(
      `${host} needs ${name}, an optional peer of @vae/parity that`,
      `${name}@${BROWSER_PEERS[name]}`,
    );
  }
}
