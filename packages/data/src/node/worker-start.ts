import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { pathToFileURL } from 'node:url';

/** How to start a worker thread: `new Worker(source, { eval })`. */
export interface WorkerStart {
  readonly source: URL | string;
  readonly eval: boolean;
}

/**
 * How to start the worker module `name` (without extension) that sits next to the module at
 * `moduleUrl` (its `import.meta.url`). Built packages start `name.js`. Run from TypeScript sources
 * (inside the repository, on tsx) the worker is `name.ts`, and Node 20 does not apply `--import`
 * loaders inside workers, so it loads through tsx's `tsImport` (tsx is a development dependency,
 * only needed from sources).
 */
export function workerStart(moduleUrl: string, name: string): WorkerStart {
  if (!moduleUrl.endsWith('.ts')) return { source: new URL(`./${name}.js`, moduleUrl), eval: false };
  const req = createRequire(moduleUrl);
  const pkgFile = req.resolve('tsx/package.json');
  const pkg = JSON.parse(readFileSync(pkgFile, 'utf8')) as {
    exports?: Record<string, { import?: { default?: string } } | string>;
  };
  const entry = pkg.exports?.['./esm/api'];
  const rel = typeof entry === 'object' ? entry.import?.default : undefined;
  if (!rel) throw new Error(`${name}: expected tsx (${pkgFile}) to export ./esm/api for the worker thread`);
  const api = pathToFileURL(join(dirname(pkgFile), rel)).href;
  const worker = new URL(`./${name}.ts`, moduleUrl).href;
  return {
    source: `import(${JSON.stringify(api)}).then((m) => m.tsImport(${JSON.stringify(worker)}, ${JSON.stringify(moduleUrl)}))`,
    eval: true,
  };
}
