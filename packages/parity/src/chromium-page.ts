/**
 * Browser entry of the browser parity hosts (bundled with esbuild by `browser-harness.ts`): loads
 * the served model directory with `@vae/runtime-web` on the requested device and exposes the
 * `VaeModel` calls as `window.__vaeParity` ({@link createWireApi}).
 */
import { probeWebGpu, type DeviceRequest } from '@vae/core';
import { configureWebRuntime, loadModel, onnxruntimeWebBackend } from '@vae/runtime-web';
import type { PageApi, PageInfo } from './chromium-wire.js';
import { createGraphWireApi, type GraphPageApi } from './graph-wire-api.js';
import { createWireApi } from './wire-api.js';

declare global {
  interface Window {
    __vaeParity?: PageApi & GraphPageApi;
  }
}

async function adapterInfo(): Promise<string> {
  const probe = await probeWebGpu();
  if (!probe.available) return probe.reason;
  return `${probe.adapter}${probe.software ? ' (software adapter)' : ''}`;
}

/** `HeadlessChrome/131.0.6778.204`, `Firefox/140.0`, `Version/18.0 Safari/605.1.15`, or the whole user agent. */
function browserName(): string {
  const ua = navigator.userAgent;
  return ua.match(/(?:Headless)?Chrome\/[\d.]+|Firefox\/[\d.]+|Version\/[\d.]+ Safari\/[\d.]+/)?.[0] ?? ua;
}

configureWebRuntime({ wasmPaths: new URL('/ort/', location.href).href, numThreads: 1 });

const hostInfo = async (device: string): Promise<PageInfo> => ({
  device,
  backend: onnxruntimeWebBackend.name,
  browser: browserName(),
  adapter: device === 'webgpu' ? await adapterInfo() : '',
});

window.__vaeParity = {
  ...createWireApi(async (device) => {
    const model = await loadModel(new URL('/model/', location.href).href, { device: device as DeviceRequest });
    return { model, info: { ...(await hostInfo(model.device)), backend: model.backend } };
  }),
  ...createGraphWireApi(onnxruntimeWebBackend, hostInfo),
};
