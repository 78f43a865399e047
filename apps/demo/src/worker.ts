import {
  Rng,
  VaeModel,
  formatVerification,
  memoryFileSource,
  oneHot,
  probeWebGpu,
  samplePrior,
  setLogLevel,
  type DeviceRequest,
  type ExecutionDevice,
  type ModelFileSource,
  type Tensor,
} from '@vae/core';
import { createWebBackend, type OrtWebModule } from '@vae/runtime-web/backend';
import { cacheAvailable, cachedBytes, cachedModelSource } from './cached-fetch.js';
import { loadOrtBuild } from './ort-build.js';
import type { SiteManifest } from './site-types.js';
import { fitTestImages, parseTestImages } from './test-images.js';
import { TRAINED_MODEL_PREFIX, loadTrainedModel } from './train-store.js';
import type { FileLoad, Rows, WorkerMessage, WorkerModelInfo, WorkerOps, WorkerRequest } from './worker-protocol.js';

/** The slice of `DedicatedWorkerGlobalScope` used here (lib.dom types `self` as a Window). */
interface WorkerScope {
  postMessage(message: WorkerMessage, transfer?: Transferable[]): void;
  addEventListener(type: 'message', listener: (e: MessageEvent<WorkerRequest & { base: string }>) => void): void;
}
const scope = self as unknown as WorkerScope;
setLogLevel('warn');

const progress = (path: string, loaded: number, total: number): void =>
  scope.postMessage({ kind: 'progress', path, loaded, total });

let site: { manifest: SiteManifest; base: URL } | undefined;
const runtimeLoads: FileLoad[] = [];
const runtimes = new Map<ExecutionDevice, Promise<OrtWebModule>>();

/** The onnxruntime-web build for a device (`loadOrtBuild`), imported once; its `.wasm` load is recorded. */
function loadRuntime(device: ExecutionDevice): Promise<OrtWebModule> {
  let p = runtimes.get(device);
  if (!p) {
    p = (async () => {
      if (!site) throw new Error('worker: expected a load request first, got none');
      const { ort, load } = await loadOrtBuild(site.manifest, site.base, device, progress);
      runtimeLoads.push(load);
      return ort;
    })();
    p.catch(() => runtimes.delete(device));
    runtimes.set(device, p);
  }
  return p;
}

const backend = createWebBackend(loadRuntime);

/**
 * Starts fetching and importing the runtime that `device` will most likely resolve to, so it
 * overlaps with the model files instead of following them (errors surface in the real load).
 */
async function prefetchRuntime(device: DeviceRequest): Promise<void> {
  if (device === 'webgpu' || device === 'wasm') return void loadRuntime(device).catch(() => undefined);
  if (device !== 'auto') return;
  const gpu = await probeWebGpu();
  void loadRuntime(gpu.available && !gpu.software ? 'webgpu' : 'wasm').catch(() => undefined);
}
const models = new Map<string, Promise<{ model: VaeModel; info: WorkerModelInfo }>>();

async function load(args: WorkerOps['load']['args'], base: string): Promise<WorkerModelInfo> {
  site = { manifest: args.site, base: new URL(base) };
  const key = `${args.model}@${args.device}`;
  let p = models.get(key);
  if (!p) {
    p = (async () => {
      const loads: FileLoad[] = [];
      const t0 = performance.now();
      await prefetchRuntime(args.device);
      const source = await modelSource(args.site, args.model, loads);
      const model = await VaeModel.load(source, { device: args.device, backends: [backend] });
      const m = model.manifest;
      const info: WorkerModelInfo = {
        model: args.model,
        kind: m.kind,
        precision: m.precision,
        latentDim: model.latentDim,
        numClasses: model.numClasses,
        imageShape: m.imageShape,
        scale: m.normalization.scale,
        requested: args.device,
        device: model.device,
        backend: model.backend,
        fallbacks: model.fallbacks.map((f) => ({ device: f.device, reason: f.reason })),
        verification: formatVerification(model.verification),
        loadMs: performance.now() - t0,
        files: [...loads, ...runtimeLoads],
        inWorker: typeof (globalThis as { WorkerGlobalScope?: unknown }).WorkerGlobalScope !== 'undefined',
        cacheApi: await cacheAvailable(),
      };
      return { model, info };
    })();
    p.catch(() => models.delete(key));
    models.set(key, p);
  }
  return (await p).info;
}

/**
 * Where model `name` comes from: a model trained on the training page (`trained:<name>`, from
 * IndexedDB), else the site's model directory through the Cache API.
 */
async function modelSource(manifest: SiteManifest, name: string, loads: FileLoad[]): Promise<ModelFileSource> {
  if (name.startsWith(TRAINED_MODEL_PREFIX)) {
    const files = await loadTrainedModel(name.slice(TRAINED_MODEL_PREFIX.length));
    const stored = memoryFileSource(files, `IndexedDB: ${name}`);
    return {
      location: stored.location,
      read: async (file) => {
        const bytes = await stored.read(file);
        loads.push({ path: file, bytes: bytes.length, source: 'indexeddb' });
        return bytes;
      },
    };
  }
  const entry = manifest.models.find((m) => m.name === name);
  if (!entry) throw new Error(`model: expected one of ${manifest.models.map((m) => m.name).join(', ')}, got ${name}`);
  return cachedModelSource(site!.base, `models/${entry.name}/`, entry.files, progress, loads);
}

let lastModel = '';
async function modelFor(device: DeviceRequest): Promise<VaeModel> {
  const p = models.get(`${lastModel}@${device}`);
  if (!p) throw new Error(`worker: expected the model to be loaded on ${device} first, got no load request`);
  return (await p).model;
}

const t = (r: Rows): Tensor => ({ data: r.data, shape: [...r.shape] });
const rows = (x: Tensor): Rows => ({ data: x.data, shape: x.shape });

/** Codes of the site's map sample (its images fitted to the model's shape), with their labels. */
async function mapCodes(
  model: VaeModel,
  a: WorkerOps['mapCodes']['args'],
  base: string,
): Promise<WorkerOps['mapCodes']['result']> {
  const { bytes } = await cachedBytes(new URL(base), a.site.mapSample, progress);
  const images = fitTestImages(parseTestImages(bytes, model.manifest.normalization.scale), model.manifest.imageShape);
  const k = model.numClasses;
  const y =
    k > 0
      ? oneHot(
          images.labels.map((l) => l % k),
          k,
        )
      : undefined;
  return { codes: rows(await model.embed(images.x, y)), labels: [...images.labels], fitted: images.fitted };
}

/** Milliseconds per decode of a prior batch, after `warmup` untimed decodes. */
async function benchmark(
  model: VaeModel,
  a: WorkerOps['benchmark']['args'],
): Promise<WorkerOps['benchmark']['result']> {
  const z = samplePrior(new Rng(a.seed), a.batch, model.latentDim);
  for (let i = 0; i < a.warmup; i++) await model.decode(z);
  const times: number[] = [];
  for (let i = 0; i < a.reps; i++) {
    const t0 = performance.now();
    await model.decode(z);
    times.push(performance.now() - t0);
  }
  return { times };
}

async function run(req: WorkerRequest, base: string): Promise<unknown> {
  if (req.op === 'load') {
    const args = req.args as WorkerOps['load']['args'];
    lastModel = args.model;
    return load(args, base);
  }
  const model = await modelFor(req.device);
  switch (req.op) {
    case 'sample': {
      const a = req.args as WorkerOps['sample']['args'];
      return rows(
        await model.sample({ n: a.n, seed: a.seed, temperature: a.temperature, ...(a.y ? { y: t(a.y) } : {}) }),
      );
    }
    case 'decode': {
      const a = req.args as WorkerOps['decode']['args'];
      const out = await model.decode(t(a.z), a.y && t(a.y));
      return { logits: rows(out.logits), mean: rows(out.mean) };
    }
    case 'embed': {
      const a = req.args as WorkerOps['embed']['args'];
      return rows(await model.embed(t(a.x), a.y && t(a.y)));
    }
    case 'reconstruct': {
      const a = req.args as WorkerOps['reconstruct']['args'];
      return rows(await model.reconstruct(t(a.x), a.y && t(a.y)));
    }
    case 'interpolate': {
      const a = req.args as WorkerOps['interpolate']['args'];
      return rows(
        await model.interpolate(t(a.a), t(a.b), a.steps, { spherical: a.spherical, ...(a.y ? { y: t(a.y) } : {}) }),
      );
    }
    case 'mapCodes':
      return mapCodes(model, req.args as WorkerOps['mapCodes']['args'], base);
    case 'benchmark':
      return benchmark(model, req.args as WorkerOps['benchmark']['args']);
    default:
      throw new Error(`worker: expected an operation of WorkerOps, got ${JSON.stringify(req.op)}`);
  }
}

scope.addEventListener('message', (e) => {
  const { base, ...req } = e.data;
  const t0 = performance.now();
  run(req, base).then(
    (result) => scope.postMessage({ kind: 'result', id: req.id, result, runMs: performance.now() - t0 }),
    (err: unknown) =>
      scope.postMessage({ kind: 'error', id: req.id, message: err instanceof Error ? err.message : String(err) }),
  );
});
