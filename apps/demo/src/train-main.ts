import { el, fillSelect, h } from './dom.js';
import { SITE_MANIFEST_PATH, type SiteManifest } from './site-types.js';
import { TrainClient } from './train-client.js';
import { TRAINED_MODEL_PREFIX } from './train-store.js';
import {
  TRAIN_PAGE_DEVICES,
  assertTrainDevice,
  type OwnData,
  type TrainInfo,
  type TrainMessage,
  type TrainSettings,
  type TrainStatus,
} from './train-protocol.js';

/** The hook the training page exposes as `window.__vaeTrain` (used by the real-browser tests). */
export interface VaeTrainHook {
  /** Resolves once the worker has loaded data and runtime (and the stored checkpoint, if any). */
  readonly ready: Promise<TrainInfo>;
  /** The worker client (tests drive runs, validation and export through it). */
  readonly client: TrainClient;
}

declare global {
  interface Window {
    __vaeTrain?: VaeTrainHook;
  }
}

const body = document.body;
const base = new URL('./', location.href).href;
const losses: number[] = [];
let status: TrainStatus | null = null;
/** The user's files chosen for the next fresh run (null: MNIST). */
let chosen: OwnData | null = null;
const FILE_INPUTS = { 'idx-files': 'idx', 'png-files': 'png', 'png-folder': 'png' } as const;
/** What each kind of file choice is called on the page. */
const KIND_LABELS = { idx: 'IDX', png: 'image' } as const;

/** Keeps the files of the last file input the user filled, clearing the others. */
function watchFileInputs(): void {
  const inputs = Object.keys(FILE_INPUTS).map((id) => el<HTMLInputElement>(id));
  for (const input of inputs) {
    input.addEventListener('change', () => {
      const files = Array.from(input.files ?? []);
      for (const other of inputs) if (other !== input) other.value = '';
      chosen = files.length > 0 ? { kind: FILE_INPUTS[input.id as keyof typeof FILE_INPUTS], files } : null;
      text(
        'data-line',
        chosen ? `${files.length} ${KIND_LABELS[chosen.kind]} file(s) chosen: used when you start afresh` : 'MNIST',
      );
    });
  }
  el('use-mnist').addEventListener('click', () => {
    for (const input of inputs) input.value = '';
    chosen = null;
    text('data-line', 'MNIST: used when you start afresh');
  });
}

function text(id: string, value: string): void {
  el(id).textContent = value;
}

function notice(message: string): void {
  const n = el('notice');
  n.hidden = false;
  n.setAttribute('role', 'alert');
  n.textContent = message;
}

function fail(err: unknown): void {
  body.dataset.state = 'error';
  notice(err instanceof Error ? err.message : String(err));
}

function settings(): TrainSettings {
  const num = (id: string): number => Number(el<HTMLInputElement>(id).value);
  const device = el<HTMLSelectElement>('device').value;
  assertTrainDevice(device);
  return {
    seed: num('seed'),
    trainSize: num('train-size'),
    valCount: null,
    batchSize: 128,
    learningRate: 1e-3,
    epochs: num('epochs'),
    device,
    checkpointEvery: 50,
    imageSize: num('image-size'),
    channels: channelsChoice(el<HTMLSelectElement>('channels').value),
  };
}

/** The channels select's value as a setting. */
function channelsChoice(value: string): 1 | 3 | 'auto' {
  if (value === '1' || value === '3') return Number(value) as 1 | 3;
  if (value === 'auto') return 'auto';
  throw new RangeError(`channels: expected 1, 3 or auto, got ${value}`);
}

/** Loss per step, and its running mean over 50 steps. */
function drawCurve(): void {
  const c = el<HTMLCanvasElement>('loss-curve');
  const g = c.getContext('2d')!;
  g.clearRect(0, 0, c.width, c.height);
  if (losses.length < 2) return;
  const lo = Math.min(...losses);
  const hi = Math.max(...losses);
  const x = (i: number): number => (i / (losses.length - 1)) * (c.width - 10) + 5;
  const y = (v: number): number => c.height - 5 - ((v - lo) / (hi - lo || 1)) * (c.height - 20);
  g.strokeStyle = '#4a7bd0';
  g.beginPath();
  losses.forEach((v, i) => (i === 0 ? g.moveTo(x(i), y(v)) : g.lineTo(x(i), y(v))));
  g.stroke();
  g.fillStyle = '#333';
  g.fillText(`${hi.toFixed(1)} nats`, 8, 12);
  g.fillText(`${lo.toFixed(1)} nats (step ${losses.length})`, 8, c.height - 8);
}

function showStatus(s: TrainStatus): void {
  status = s;
  const total = s.epochSteps * (settingsShown?.epochs ?? 1);
  const p = el<HTMLProgressElement>('progress');
  p.max = total;
  p.value = s.step;
  text(
    'runline',
    `step ${s.step} of ${total}, epoch ${Math.min(s.epoch + 1, settingsShown?.epochs ?? 1)}${s.done ? ' (done)' : ''}; ${s.trainSeconds.toFixed(1)} s in training steps`,
  );
  body.dataset.step = String(s.step);
}

let settingsShown: TrainSettings | null = null;

function showInfo(info: TrainInfo): void {
  settingsShown = info.settings;
  losses.splice(0, losses.length, ...info.status.losses);
  text(
    'device-line',
    `onnxruntime-web ${info.device} (${info.why}); ${info.dataset}: ${info.trainCount} training and ${info.valCount} validation images of ${info.imageShape.join('×')}` +
      (info.resumed ? '; resumed from the checkpoint stored in this browser' : ''),
  );
  body.dataset.device = info.device;
  body.dataset.dataset = info.dataset;
  showStatus(info.status);
  drawCurve();
}

/** The page's run buttons. */
interface RunButtons {
  readonly start: HTMLButtonElement;
  readonly pause: HTMLButtonElement;
  readonly resume: HTMLButtonElement;
  readonly export: HTMLButtonElement;
}

function runButtons(): RunButtons {
  return {
    start: el<HTMLButtonElement>('start'),
    pause: el<HTMLButtonElement>('pause'),
    resume: el<HTMLButtonElement>('resume'),
    export: el<HTMLButtonElement>('export'),
  };
}

/** Fetches the site manifest (data and runtime files the worker loads). */
async function loadSite(): Promise<SiteManifest> {
  const response = await fetch(new URL(SITE_MANIFEST_PATH, base), { cache: 'no-cache' });
  if (!response.ok) throw new Error(`This page could not find ${SITE_MANIFEST_PATH} (HTTP ${response.status}).`);
  return (await response.json()) as SiteManifest;
}

/** Shows a step, epoch or download message of the worker. */
function showEvent(m: Exclude<TrainMessage, { kind: 'result' | 'error' }>): void {
  if (m.kind === 'step') {
    losses.push(m.loss);
    showStatus({ ...m.status, losses, valElbo: [] });
    if (m.status.step % 10 === 0 || m.status.done) drawCurve();
  } else if (m.kind === 'epoch') text('epoch-line', `epoch ${m.epoch}: validation ELBO ${m.valElbo.toFixed(2)} nats`);
  else text('runline', `downloading ${m.path}: ${(m.loaded / 1e6).toFixed(1)} MB`);
}

/** Buttons and page state while no run is going on. */
function showIdle(buttons: RunButtons): void {
  buttons.start.disabled = false;
  buttons.pause.disabled = true;
  buttons.resume.disabled = status?.done ?? true;
  buttons.export.disabled = (status?.step ?? 0) === 0;
  body.dataset.state = status?.done ? 'done' : 'paused';
}

/** Trains until the worker stops (paused or done), then shows the page idle. */
async function runTraining(client: TrainClient, buttons: RunButtons): Promise<void> {
  buttons.start.disabled = true;
  buttons.resume.disabled = true;
  buttons.pause.disabled = false;
  buttons.export.disabled = true;
  body.dataset.state = 'training';
  showStatus(await client.call('run', { untilStep: null }));
  drawCurve();
  showIdle(buttons);
}

/** Exports the trained model and lists its files as downloads, with a link to open it in the viewer. */
async function exportModel(client: TrainClient): Promise<void> {
  const model = await client.call('export', {
    name: body.dataset.dataset === 'MNIST' ? 'mnist-vae-browser' : 'own-vae-browser',
  });
  const links = Object.entries(model.files).map(([file, bytes]) => {
    const url = URL.createObjectURL(new Blob([bytes as Uint8Array<ArrayBuffer>]));
    return h('a', file, { href: url, download: `${model.name}-${file}` });
  });
  const viewer = h('a', 'open it in the viewer', {
    id: 'open-viewer',
    href: `./?model=${encodeURIComponent(`${TRAINED_MODEL_PREFIX}${model.name}`)}`,
  });
  el('downloads').replaceChildren(...[...links, viewer].flatMap((a) => [a, document.createTextNode(' ')]));
}

/** Wires the settings form (start afresh) and the pause, resume and export buttons. */
function wireControls(client: TrainClient, site: SiteManifest, buttons: RunButtons): void {
  el('settings').addEventListener('submit', (e) => {
    e.preventDefault();
    void (async () => {
      await client.call('forget', null);
      showInfo(await client.call('init', { site, settings: settings(), resume: false, data: chosen }));
      await runTraining(client, buttons);
    })().catch(fail);
  });
  buttons.pause.addEventListener('click', () => void client.call('pause', null).catch(fail));
  buttons.resume.addEventListener('click', () => void runTraining(client, buttons).catch(fail));
  buttons.export.addEventListener('click', () => void exportModel(client).catch(fail));
}

async function main(): Promise<void> {
  const site = await loadSite();
  fillSelect(
    el('device'),
    TRAIN_PAGE_DEVICES.map((d) => ({ value: d, label: d })),
    'auto',
  );
  const worker = new Worker(new URL('./train-worker.ts', import.meta.url), { type: 'module', name: 'vae-train' });
  const client = new TrainClient(worker, base, showEvent);
  const buttons = runButtons();
  const ready = client.call('init', { site, settings: settings(), resume: true });
  window.__vaeTrain = { ready, client };
  showInfo(await ready);
  showIdle(buttons);
  watchFileInputs();
  wireControls(client, site, buttons);
}

main().catch(fail);
