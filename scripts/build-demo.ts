/**
 * `pnpm demo:build [--out DIR] [--models DIR] [--brotli-quality Q]`: the static demo site
 * (default `<repo>/dist/demo`), from `<repo>/models`. Serve it from any static host or sub-path.
 */
import { dirname, relative, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { setLogLevel } from '@vae/core';
import { buildDemo } from './demo-site.js';

const repoRoot = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const argv = process.argv.slice(2);
const { values } = parseArgs({
  args: argv[0] === '--' ? argv.slice(1) : argv,
  options: {
    out: { type: 'string', default: resolve(repoRoot, 'dist/demo') },
    models: { type: 'string', default: process.env.VAE_DEMO_MODELS_DIR ?? resolve(repoRoot, 'models') },
    'brotli-quality': { type: 'string', default: '11' },
  },
});
setLogLevel('warn');
const quality = Number(values['brotli-quality']);
const t0 = performance.now();
const site = await buildDemo({ outDir: values.out, modelsDir: values.models, brotliQuality: quality });
const mb = (n: number): string => (n / 1e6).toFixed(2).padStart(7);
for (const f of site.files.filter((x) => x.bytes > 20_000))
  process.stdout.write(`${mb(f.bytes)} MB raw ${mb(f.br)} br ${mb(f.gz)} gz  ${f.path}\n`);
for (const m of site.content.manifest.models)
  process.stdout.write(
    `model ${m.name} (${m.precision})${m.parity ? `: x_logits max |Δ| ${m.parity.maxAbs.toFixed(4)} vs ${m.parity.reference}, ${m.parity.violations} outside tolerance` : ''}\n`,
  );
process.stdout.write(
  `default model ${site.content.manifest.defaultModel}; wrote ${site.files.length} files (+ .br/.gz) to ${relative(process.cwd(), site.outDir) || '.'} in ${((performance.now() - t0) / 1000).toFixed(1)} s\n`,
);
