import { createRequire } from 'node:module';
import { dirname, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { defineConfig } from 'vite';
import { staticDirs } from './static-dirs-plugin.js';

const here = dirname(fileURLToPath(import.meta.url));
const repoRoot = resolve(here, '../../..');
const ortDist = dirname(createRequire(import.meta.url).resolve('onnxruntime-web/webgpu'));

/**
 * The edge demo: `pnpm --filter @vae/runtime-web demo` (or `pnpm demo` at the root).
 * Model directories are served from `<repo>/models` under `/models/` (override with
 * VAE_DEMO_MODELS_DIR), onnxruntime-web's runtime files from node_modules under `/ort/`.
 */
export default defineConfig({
  root: here,
  publicDir: resolve(here, 'public'),
  plugins: [staticDirs({ '/models': process.env.VAE_DEMO_MODELS_DIR ?? resolve(repoRoot, 'models'), '/ort': ortDist })],
  optimizeDeps: { exclude: ['onnxruntime-web'] },
  server: { port: Number(process.env.VAE_DEMO_PORT ?? 5173), strictPort: false, fs: { allow: [repoRoot] } },
  preview: { port: Number(process.env.VAE_DEMO_PORT ?? 4173) },
  build: { outDir: resolve(here, 'dist'), emptyOutDir: true, target: 'es2022' },
  logLevel: 'warn',
});
