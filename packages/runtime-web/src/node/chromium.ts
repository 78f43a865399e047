/** Debian's Chromium (`apt-get install chromium`), driven by playwright-core for real-browser runs. */
export const CHROMIUM_PATH = '/usr/bin/chromium';

/** Environment variable naming another Chromium binary (`vae parity --chromium PATH` sets it). */
export const CHROMIUM_ENV = 'VAE_CHROMIUM';

/** The Chromium binary real-browser runs launch: `$VAE_CHROMIUM` when set, else {@link CHROMIUM_PATH}. */
export function chromiumPath(env: Readonly<Record<string, string | undefined>> = process.env): string {
  return env[CHROMIUM_ENV] || CHROMIUM_PATH;
}

/**
 * Chromium flags that work on these machines (see ENVIRONMENT.md): headless, WebGPU enabled
 * (SwiftShader without a GPU), and no background traffic to Google's hosts.
 */
export const CHROMIUM_ARGS: readonly string[] = Object.freeze([
  '--headless',
  '--no-sandbox',
  '--enable-unsafe-webgpu',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
  '--no-first-run',
  '--disable-quic',
]);
