import type { Tensor } from '@vae/core';
import type { PageApi, PageInfo, WireTensor } from './chromium-wire.js';
import type { OpenedRuntime, ParityRuntimeContext } from './parity-runtime.js';

/** A model loaded in another process or page, driven through the {@link PageApi} calls. */
export interface WireSession {
  readonly info: PageInfo;
  /** Calls `method(...args)` on the host's {@link PageApi}. */
  call<K extends keyof PageApi>(method: K, ...args: Parameters<PageApi[K]>): Promise<Awaited<ReturnType<PageApi[K]>>>;
  close(): Promise<void>;
}

const wire = (t: Tensor): WireTensor => ({ data: Array.from(t.data), shape: [...t.shape] });
const tensor = (w: WireTensor): Tensor => ({ data: Float32Array.from(w.data), shape: [...w.shape] });
const wireOrNull = (t: Tensor | undefined): WireTensor | null => (t ? wire(t) : null);

/** An {@link OpenedRuntime} whose every call runs `VaeModel` in the session's host. */
export function wireRuntime(s: WireSession, ctx: ParityRuntimeContext): OpenedRuntime {
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
