import type { Tensor } from '@vae/core';
import { openChromiumSession } from './chromium-harness.js';
import type { WireTensor } from './chromium-wire.js';
import type { OpenedRuntime, ParityRuntimeContext } from './parity-runtime.js';
import { registerParityRuntime } from './runtime-registry.js';

const wire = (t: Tensor): WireTensor => ({ data: Array.from(t.data), shape: [...t.shape] });
const tensor = (w: WireTensor): Tensor => ({ data: Float32Array.from(w.data), shape: [...w.shape] });
const wireOrNull = (t: Tensor | undefined): WireTensor | null => (t ? wire(t) : null);

/** The model in real Chromium on `device`: every call runs `VaeModel` (from `@vae/runtime-web`) in the page. */
async function openChromium(ctx: ParityRuntimeContext, device: 'wasm' | 'webgpu'): Promise<OpenedRuntime> {
  const s = await openChromiumSession(ctx.modelDir, device);
  return {
    detail: `${s.info.browser}, ${s.info.backend} ${s.info.device}${s.info.adapter ? ` (${s.info.adapter})` : ''}`,
    weights: ctx.manifest.precision,
    async encode(x, y) {
      const e = await s.call('encode', wire(x), wireOrNull(y));
      return 'mu' in e ? { mu: tensor(e.mu), logvar: tensor(e.logvar) } : { z: tensor(e.z) };
    },
    async decode(z, y) {
      const d = await s.call('decode', wire(z), wireOrNull(y));
      return { logits: tensor(d.logits), mean: tensor(d.mean) };
    },
    elbo: async (x, o) => Float64Array.from(await s.call('elbo', wire(x), o.seed, wireOrNull(o.y))),
    logLikelihood: async (x, o) =>
      Float64Array.from(await s.call('logLikelihood', wire(x), o.samples, o.seed, o.chunkSize, wireOrNull(o.y))),
    release: () => s.close(),
  };
}

registerParityRuntime('chromium-wasm', (ctx) => openChromium(ctx, 'wasm'));
registerParityRuntime('chromium-webgpu', (ctx) => openChromium(ctx, 'webgpu'));
