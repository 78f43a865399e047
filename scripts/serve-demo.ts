/**
 * `pnpm demo:serve [--port N]`: serves the built site (`pnpm demo:build`, `<repo>/dist/demo`) with
 * precompressed files, as a static host would, and prints its URL.
 */
import { existsSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { serveStatic } from '../apps/demo/build/static-server.js';

const repoRoot = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const argv = process.argv.slice(2);
const { values } = parseArgs({
  args: argv[0] === '--' ? argv.slice(1) : argv,
  options: {
    port: { type: 'string', default: '4173' },
    dir: { type: 'string', default: resolve(repoRoot, 'dist/demo') },
  },
});
if (!existsSync(resolve(values.dir, 'site.json'))) {
  process.stderr.write(`${values.dir} holds no built site (no site.json): run "pnpm demo:build" first\n`);
  process.exit(1);
}
const asked = Number(values.port);
let server: Awaited<ReturnType<typeof serveStatic>>;
try {
  server = await serveStatic(values.dir, { port: asked, host: '127.0.0.1' });
} catch {
  server = await serveStatic(values.dir, { port: 0, host: '127.0.0.1' });
  process.stdout.write(`port ${asked} is taken; using ${server.port}\n`);
}
process.stdout.write(`VAE demo (static build): ${server.url}\n`);
