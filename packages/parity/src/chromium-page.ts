/**
 * Browser entry of the Chromium parity runtimes (bundled with esbuild by `chromium-harness.ts`):
 * loads the served model directory with `@vae/runtime-web` on the requested device and exposes the
 * `VaeModel` calls as `window.__vaeParity`. Tensors cross the page boundary as plain arrays.
 */
import {
  Rng,
  probeWebGpu,
  samplePrior,
  type DeviceRequest,
  type EncodeResult,
  type Tensor,
  type VaeModel,
} from '@vae/core';
import { configureWebRuntime, loadModel } from '@vae/runtime-web';
import { latencyStats, type PageApi, type PageInfo, type WireTensor } from './chromium-wire.js';

declare global {
  interface Window {
    __vaeParity?: PageApi;
  }
}

const toTensor = (w: WireTensor): Tensor => ({ data: Float32Array.from(w.data), shape: [...w.shape] });
const toWire = (t: Tensor): WireTensor => ({ data: Array.from(t.data), shape: [...t.shape] });
const optional = (w: WireTensor | null): Tensor | undefined => (w ? toTensor(w) : undefined);

let model: VaeModel | undefined;
const loaded = (): VaeModel => {
  if (!model) throw new Error('__vaeParity: call load(device) first');
  return model;
};

async function adapterInfo(): Promise<string> {
  const probe = await probeWebGpu();
  if (!probe.available) return probe.reason;
  return `${probe.adapter}${probe.software ? ' (software adapter)' : ''}`;
}

configureWebRuntime({ wasmPaths: new URL('/ort/', location.href).href, numThreads: 1 });

window.__vaeParity = {
  async load(device: DeviceRequest): Promise<PageInfo> {
    model = await loadModel(new URL('/model/', location.href).href, { device });
    const browser = navigator.userAgent.match(/(?:Headless)?Chrome\/[\d.]+/)?.[0] ?? navigator.userAgent;
    return {
      device: model.device,
      backend: model.backend,
      browser,
      adapter: model.device === 'webgpu' ? await adapterInfo() : '',
    };
  },
  async encode(x, y) {
    const e: EncodeResult = await loaded().encode(toTensor(x), optional(y));
    return 'mu' in e ? { mu: toWire(e.mu), logvar: toWire(e.logvar) } : { z: toWire(e.z) };
  },
  async decode(z, y) {
    const d = await loaded().decode(toTensor(z), optional(y));
    return { logits: toWire(d.logits), mean: toWire(d.mean) };
  },
  async elbo(x, seed, y) {
    const y1 = optional(y);
    return Array.from(await loaded().elbo(toTensor(x), { seed, ...(y1 ? { y: y1 } : {}) }));
  },
  async logLikelihood(x, samples, seed, chunkSize, y) {
    const y1 = optional(y);
    return Array.from(
      await loaded().logLikelihood(toTensor(x), { samples, seed, chunkSize, ...(y1 ? { y: y1 } : {}) }),
    );
  },
  async benchmarkDecode(batch, reps, warmup, seed) {
    const m = loaded();
    const z = samplePrior(new Rng(seed), batch, m.latentDim);
    for (let i = 0; i < warmup; i++) await m.decode(z);
    const times: number[] = [];
    for (let i = 0; i < reps; i++) {
      const t0 = performance.now();
      await m.decode(z);
      times.push(performance.now() - t0);
    }
    return latencyStats(times);
  },
  async release() {
    await model?.release();
    model = undefined;
  },
};
