import { dirname, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { defineConfig, type Plugin } from 'vite';
import { DEMO_PUBLIC_DIR } from './build/site-content.js';
import { sitePlugin } from './build/site-plugin.js';

const here = dirname(fileURLToPath(import.meta.url));
const repoRoot = resolve(here, '../..');

/**
 * onnxruntime-web's bundles name their `.wasm` with `new URL('ort-wasm-…wasm', import.meta.url)`,
 * which Vite would copy into the build (40 MB of binaries the page never fetches: it passes the
 * bytes from the Cache API as `env.wasm.wasmBinary`). This makes the URL non-literal, so Vite leaves it.
 */
function keepOrtWasmOut(): Plugin {
  return {
    name: 'vae-keep-ort-wasm-out',
    enforce: 'pre',
    transform(code, id) {
      if (!id.includes('onnxruntime-web')) return null;
      const out = code.replace(/new URL\((["'])(ort-wasm-[\w.-]+\.wasm)\1,/g, 'new URL(""+$1$2$1,');
      return out === code ? null : { code: out, map: null };
    },
  };
}

/**
 * The edge demo: `pnpm demo` (dev server) and `pnpm demo:build` (static site in `<repo>/dist/demo`).
 * Models come from `<repo>/models` (override with VAE_DEMO_MODELS_DIR); all URLs are relative.
 */
export default defineConfig({
  root: here,
  base: './',
  publicDir: DEMO_PUBLIC_DIR,
  plugins: [keepOrtWasmOut(), sitePlugin(process.env.VAE_DEMO_MODELS_DIR ?? resolve(repoRoot, 'models'))],
  optimizeDeps: { exclude: ['onnxruntime-web'] },
  worker: { format: 'es', plugins: () => [keepOrtWasmOut()] },
  server: { port: Number(process.env.VAE_DEMO_PORT ?? 5173), strictPort: false, fs: { allow: [repoRoot] } },
  preview: { port: Number(process.env.VAE_DEMO_PORT ?? 4173) },
  build: {
    outDir: resolve(repoRoot, 'dist/demo'),
    emptyOutDir: true,
    target: 'es2022',
    reportCompressedSize: false,
    // Two pages of one site: the viewer and the training page.
    rolldownOptions: { input: { index: resolve(here, 'index.html'), train: resolve(here, 'train.html') } },
  },
});
