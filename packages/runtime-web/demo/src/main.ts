import { DEVICE_REQUESTS, setLogLevel, type DeviceRequest } from '@vae/core';
import { configureWebRuntime } from '../../src/index.js';
import { createHook, describe, type DemoInfo } from './demo-hook.js';
import { DemoModels, type LoadedModel } from './demo-models.js';
import { formatBytes } from './downloads.js';
import { Panels } from './panels.js';
import { loadTestImages } from './test-images.js';

/** The WASM binary onnxruntime-web 1.30's WebGPU-capable build loads (its asyncify build). */
const ORT_WASM_FILE = 'ort-wasm-simd-threaded.asyncify.wasm';

/** Devices the page offers (the web backend's, plus auto). */
const PAGE_DEVICES: readonly DeviceRequest[] = Object.freeze(['auto', 'webgpu', 'wasm']);

function text(id: string, value: string): void {
  const e = document.getElementById(id);
  if (e) e.textContent = value;
}

const params = new URLSearchParams(location.search);
const name = params.get('model') ?? 'mnist-vae';
const requested = params.get('device') ?? 'auto';
const device: DeviceRequest =
  PAGE_DEVICES.includes(requested as DeviceRequest) && DEVICE_REQUESTS.includes(requested as DeviceRequest)
    ? (requested as DeviceRequest)
    : 'auto';
(document.getElementById('model') as HTMLInputElement).value = name;
(document.getElementById('device') as HTMLSelectElement).value = device;

setLogLevel('warn');
// Only the .wasm comes from /ort/ (served from node_modules); the JS glue is already in the bundle.
configureWebRuntime({ wasmPaths: { wasm: new URL(`/ort/${ORT_WASM_FILE}`, location.href).href } });
const models = new DemoModels(`/models/${encodeURIComponent(name)}/`);

function showInfo(info: DemoInfo): void {
  text('ep', `${info.device} (${info.backend}; requested ${info.requested})`);
  text(
    'fallbacks',
    info.fallbacks.length === 0 ? 'none' : info.fallbacks.map((f) => `${f.device}: ${f.reason}`).join(' | '),
  );
  const decoder = info.modelBytes['decoder.onnx'];
  text('decoder-bytes', decoder === undefined ? '–' : `${formatBytes(decoder)} (${decoder} B, ${info.precision})`);
  text('runtime-bytes', `${formatBytes(info.runtimeBytes)} in ${info.runtime.length} files`);
}

let panels: Panels | undefined;
const render = async (loaded: LoadedModel): Promise<void> => {
  if (!panels) throw new Error('demo: panels not ready');
  await panels.renderAll(loaded);
  showInfo(describe(name, loaded));
};

const ready = (async (): Promise<DemoInfo> => {
  const loaded = await models.get(device);
  const images = await loadTestImages('/mnist-test.json', loaded.model.manifest.normalization.scale);
  panels = new Panels(images, (label, ms, dev) => text('latency', `${label}: ${ms.toFixed(2)} ms on ${dev}`));
  await render(loaded);
  text(
    'state',
    `ready: ${name} (${loaded.model.manifest.kind}, L=${loaded.model.latentDim}), loaded in ${loaded.loadMs.toFixed(0)} ms`,
  );
  return describe(name, loaded);
})();
ready.catch((err: unknown) => text('state', `error: ${err instanceof Error ? err.message : String(err)}`));

window.__vaeDemo = createHook({ name, device, models, ready, render });
