import type { DeviceRequest } from '@vae/core';
import { WEB_DEVICES } from '@vae/runtime-web/backend';
import { createHook, type DemoInfo } from './demo-hook.js';
import { el, fillSelect } from './dom.js';
import { DrawPad } from './draw-pad.js';
import { formatBytes, formatMs } from './format.js';
import { LatentMap } from './latent-map.js';
import { deviceNotice, precisionNote, precisionShort, unknownModelMessage } from './notices.js';
import { Panels } from './panels.js';
import { ProgressView } from './progress-view.js';
import { RemoteModel } from './remote-model.js';
import { SITE_MANIFEST_PATH, type SiteManifest } from './site-types.js';
import { fitTestImages, loadTestImages } from './test-images.js';
import { TRAINED_MODEL_PREFIX } from './train-store.js';
import { WorkerClient } from './worker-client.js';

/** Devices the page offers. */
const PAGE_DEVICES: readonly DeviceRequest[] = Object.freeze(['auto', ...WEB_DEVICES]);

const body = document.body;
const base = new URL('./', location.href).href;
const params = new URLSearchParams(location.search);
const t0 = performance.now();

function text(id: string, value: string): void {
  el(id).textContent = value;
}

function notice(message: string, kind: 'info' | 'error'): void {
  const n = el('notice');
  n.hidden = false;
  n.className = kind;
  n.setAttribute('role', kind === 'error' ? 'alert' : 'status');
  n.textContent = message;
}

function showError(err: unknown): void {
  const message = err instanceof Error ? err.message : String(err);
  if (body.dataset.state !== 'ready') body.dataset.state = 'error';
  notice(message, 'error');
}

async function fetchSite(): Promise<SiteManifest> {
  const response = await fetch(new URL(SITE_MANIFEST_PATH, base), { cache: 'no-cache' });
  if (!response.ok)
    throw new Error(
      `This page could not find ${SITE_MANIFEST_PATH} (HTTP ${response.status}). Serve the folder written by "pnpm demo:build", or run "pnpm demo".`,
    );
  return (await response.json()) as SiteManifest;
}

function showInfo(site: SiteManifest, info: DemoInfo): void {
  const device = info.device === 'webgpu' ? 'WebGPU' : 'WASM (CPU)';
  text('runline', `${info.model} (${precisionShort(site, info.model)}) on ${device}`);
  text('precision', precisionNote(site, info.model));
  const why = deviceNotice(info);
  if (why) notice(why, 'info');
  text(
    'ep',
    `${info.device} (${info.backend}; requested ${info.requested}; in a worker: ${info.inWorker ? 'yes' : 'no'})`,
  );
  text(
    'fallbacks',
    info.fallbacks.length === 0 ? 'none' : info.fallbacks.map((f) => `${f.device}: ${f.reason}`).join(' | '),
  );
  text('verification', info.verification);
  text(
    'files',
    info.files.map((f) => `${f.path.split('/').pop()} ${formatBytes(f.bytes)} (${f.source})`).join(', ') +
      (info.cacheApi ? '' : ' — Cache API unavailable (needs https or localhost): nothing is kept for the next visit'),
  );
}

/** Loads the page's model on a device in the worker (set once the site is known). */
let modelOn: ((device: DeviceRequest) => Promise<RemoteModel>) | undefined;
let client: WorkerClient | undefined;

async function boot(): Promise<DemoInfo> {
  const site = await fetchSite();
  const name = params.get('model') ?? site.defaultModel;
  fillSelect(
    el('model'),
    site.models.map((m) => ({ value: m.name, label: `${m.name} (${m.precision})` })),
    name,
  );
  const requested = params.get('device') ?? 'auto';
  const device = PAGE_DEVICES.includes(requested as DeviceRequest) ? (requested as DeviceRequest) : 'auto';
  fillSelect(
    el('device'),
    PAGE_DEVICES.map((d) => ({ value: d, label: d })),
    device,
  );
  const trained = name.startsWith(TRAINED_MODEL_PREFIX);
  if (trained) el<HTMLSelectElement>('model').add(new Option(`${name} (trained in this browser)`, name, true, true));
  else if (!site.models.some((m) => m.name === name)) throw new Error(unknownModelMessage(site, name));
  if (device !== requested)
    notice(`Unknown device "${requested}": using auto. Choose ${PAGE_DEVICES.join(', ')}.`, 'info');

  const worker = new Worker(new URL('./worker.ts', import.meta.url), { type: 'module', name: 'vae-model' });
  worker.addEventListener('error', (e) => showError(new Error(`The model worker failed: ${e.message}`)));
  const progress = new ProgressView();
  client = new WorkerClient(worker, base, (path, loaded, total) => progress.update(path, loaded, total));
  const latency = (label: string, runMs: number, queueMs: number, dev: string): void =>
    text('latency', `${label} on ${dev}: ran ${formatMs(runMs)}, waited ${formatMs(queueMs)}`);
  const models = new Map<DeviceRequest, Promise<RemoteModel>>();
  modelOn = (d: DeviceRequest): Promise<RemoteModel> => {
    let m = models.get(d);
    if (!m) {
      m = client!
        .call('load', d, { site, model: name, device: d })
        .then((r) => new RemoteModel(client!, (r as { result: DemoInfo }).result, latency));
      m.catch(() => models.delete(d));
      models.set(d, m);
    }
    return m;
  };
  const model = await modelOn(device);
  showInfo(site, model.info);
  const images = fitTestImages(
    await loadTestImages(new URL(site.testImages.path, base), model.info.scale),
    model.imageShape,
  );
  if (images.fitted)
    text('recon-caption', `Top rows: ${images.fitted}. Bottom rows: the same images encoded and decoded.`);
  const panels = new Panels(model, images, showError);
  await panels.renderAll(() => {
    body.dataset.state = 'ready';
    body.dataset.firstGridMs = (performance.now() - t0).toFixed(0);
    progress.done();
    text('state', `first images after ${formatMs(performance.now())} (model loaded in ${formatMs(model.info.loadMs)})`);
  });
  if (model.numClasses === 0) new DrawPad(model, showError);
  else el('draw-section').hidden = true;
  await new LatentMap(model, showError).render(site);
  return model.info;
}

let resolveReady!: (info: DemoInfo) => void;
let rejectReady!: (err: unknown) => void;
const ready = new Promise<DemoInfo>((resolve, reject) => {
  resolveReady = resolve;
  rejectReady = reject;
});
ready.catch(showError);
const pageDevice = params.get('device') ?? 'auto';
window.__vaeDemo = createHook({
  device: PAGE_DEVICES.includes(pageDevice as DeviceRequest) ? (pageDevice as DeviceRequest) : 'auto',
  ready,
  modelOn: async (d) => {
    if (!modelOn) await ready;
    return modelOn!(d);
  },
  calls: () => ({
    sent: { ...client?.counts.sent } as Record<string, number>,
    superseded: client?.counts.superseded ?? 0,
  }),
});
boot().then(resolveReady, rejectReady);
