/**
 * Bundles the Worker the way wrangler does (esbuild; `.wasm` as CompiledWasm, `.onnx` as Data
 * modules) into `dist/`, writes a workerd config for it and prints the upload size against Workers'
 * documented limits. `--model DIR` picks the model directory (default models/mnist-vae), `--serve`
 * then runs it under workerd on `--port` (default 8787).
 */
import { spawn } from 'node:child_process';
import { copyFile, mkdir, readFile, rm, writeFile } from 'node:fs/promises';
import { createRequire } from 'node:module';
import { basename, dirname, join, relative, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { gzipSync } from 'node:zlib';
import { build, type Plugin } from 'esbuild';

const here = dirname(fileURLToPath(import.meta.url));
const root = resolve(here, '..');

/** Workers' documented script size limits, after compression (developers.cloudflare.com/workers/platform/limits). */
export const WORKER_SIZE_LIMITS = Object.freeze({ free: 3 * 1024 * 1024, paid: 10 * 1024 * 1024 });

/** One module of the Worker upload with its sizes. */
export interface BundleModule {
  readonly name: string;
  readonly kind: 'esModule' | 'wasm' | 'data';
  readonly bytes: number;
  readonly gzipBytes: number;
}

/** What {@link buildWorker} wrote. */
export interface WorkerBuild {
  readonly dir: string;
  readonly config: string;
  readonly modules: readonly BundleModule[];
  readonly bytes: number;
  readonly gzipBytes: number;
}

/**
 * Points `../model/*` at `modelDir` (the manifest is bundled as JSON), marks `.wasm` and `.onnx`
 * imports external and records which file each becomes (`copies`: module name → source path).
 */
function bundledFiles(modelDir: string, from: string, copies: Map<string, string>): Plugin {
  // onnxruntime-web's files as @vae/runtime-web resolves them (the same version as its JavaScript).
  const runtimeWeb = createRequire(join(from, 'package.json')).resolve('@vae/runtime-web/package.json');
  return {
    name: 'worker-modules',
    setup(b) {
      b.onResolve({ filter: /^\.\.\/model\/manifest\.json$/ }, () => ({ path: join(modelDir, 'manifest.json') }));
      b.onResolve({ filter: /\.(wasm|onnx)$/ }, (args) => {
        const model = args.path.startsWith('../model/');
        const source = model ? join(modelDir, basename(args.path)) : createRequire(runtimeWeb).resolve(args.path);
        const name = model ? `model/${basename(source)}` : basename(source);
        copies.set(name, source);
        return { path: `./${name}`, external: true };
      });
    },
  };
}

/**
 * Builds the Worker for `modelDir` into `outDir` with a workerd config listening on `port`. `from`
 * is the folder holding `src/worker.ts`, whose packages are bundled (default: this example; a
 * consumer test passes a copy inside a project that installed the packed tarballs).
 */
export async function buildWorker(
  modelDir: string,
  outDir = join(root, 'dist'),
  port = 8787,
  from = root,
): Promise<WorkerBuild> {
  await rm(outDir, { recursive: true, force: true });
  await mkdir(join(outDir, 'model'), { recursive: true });
  const copies = new Map<string, string>();
  await build({
    entryPoints: [join(from, 'src', 'worker.ts')],
    outfile: join(outDir, 'worker.js'),
    bundle: true,
    format: 'esm',
    platform: 'browser',
    target: 'es2022',
    conditions: ['workerd', 'worker', 'browser'],
    plugins: [bundledFiles(modelDir, from, copies)],
    logLevel: 'warning',
  });
  for (const [name, source] of copies) await copyFile(source, join(outDir, name));
  const entries: [string, BundleModule['kind']][] = [
    ['worker.js', 'esModule'],
    ...[...copies.keys()].map((n): [string, BundleModule['kind']] => [n, n.endsWith('.wasm') ? 'wasm' : 'data']),
  ];
  const modules: BundleModule[] = [];
  for (const [name, kind] of entries) {
    const bytes = await readFile(join(outDir, name));
    modules.push({ name, kind, bytes: bytes.length, gzipBytes: gzipSync(bytes, { level: 9 }).length });
  }
  const config = join(outDir, 'config.capnp');
  await writeFile(config, workerdConfig(modules, port));
  return {
    dir: outDir,
    config,
    modules,
    bytes: modules.reduce((n, m) => n + m.bytes, 0),
    gzipBytes: modules.reduce((n, m) => n + m.gzipBytes, 0),
  };
}

/** A workerd config serving the Worker's modules on 127.0.0.1:`port`. */
function workerdConfig(modules: readonly BundleModule[], port: number): string {
  const lines = modules.map((m) => `      (name = "${m.name}", ${m.kind} = embed "${m.name}"),`);
  return `using Workerd = import "/workerd/workerd.capnp";
const config :Workerd.Config = (
  services = [(name = "main", worker = .vaeWorker)],
  sockets = [(name = "http", address = "127.0.0.1:${port}", http = (), service = "main")],
);
const vaeWorker :Workerd.Worker = (
  modules = [
${lines.join('\n')}
  ],
  compatibilityDate = "2026-11-01",
);
`;
}

/** The size report line. */
export function describeBuild(b: WorkerBuild): string {
  const mb = (n: number): string => `${(n / 1024 / 1024).toFixed(2)} MiB`;
  const rows = b.modules.map(
    (m) => `  ${m.name.padEnd(32)} ${mb(m.bytes).padStart(10)} ${mb(m.gzipBytes).padStart(10)} gzip`,
  );
  const verdict = (limit: number): string => (b.gzipBytes <= limit ? 'fits' : 'too large');
  return [
    ...rows,
    `  total ${mb(b.bytes)}, ${mb(b.gzipBytes)} gzip: Workers Free (3 MiB) ${verdict(WORKER_SIZE_LIMITS.free)}, Workers Paid (10 MiB) ${verdict(WORKER_SIZE_LIMITS.paid)}`,
  ].join('\n');
}

if (process.argv[1] && resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  const arg = (name: string): string | undefined => {
    const i = process.argv.indexOf(`--${name}`);
    return i < 0 ? undefined : process.argv[i + 1];
  };
  const modelDir = resolve(arg('model') ?? join(root, '..', '..', 'models', 'mnist-vae'));
  const port = Number(arg('port') ?? 8787);
  const b = await buildWorker(modelDir, join(root, 'dist'), port);
  process.stdout.write(`${relative(process.cwd(), b.dir)}/ (model ${modelDir})\n${describeBuild(b)}\n`);
  if (process.argv.includes('--serve')) {
    const workerd = join(root, 'node_modules', '.bin', 'workerd');
    process.stdout.write(`serving http://127.0.0.1:${port}/decode?seed=1\n`);
    spawn(workerd, ['serve', b.config], { stdio: 'inherit' });
  }
}
