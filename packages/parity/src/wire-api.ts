/**
 * The parity wire API over a loaded `VaeModel`, shared by every out-of-process host (the browser
 * pages, the Deno and Bun child processes): tensors cross the boundary as plain arrays. Browser-safe.
 */
import { Rng, samplePrior, type EncodeResult, type Tensor, type VaeModel } from '@vae/core';
import { latencyStats, type PageApi, type PageInfo, type WireTensor } from './chromium-wire.js';

const toTensor = (w: WireTensor): Tensor => ({ data: Float32Array.from(w.data), shape: [...w.shape] });
const toWire = (t: Tensor): WireTensor => ({ data: Array.from(t.data), shape: [...t.shape] });
const optional = (w: WireTensor | null): Tensor | undefined => (w ? toTensor(w) : undefined);

/** Loads the model on `device` in the host and says what runs it. */
export type WireLoader = (device: string) => Promise<{ readonly model: VaeModel; readonly info: PageInfo }>;

/** A {@link PageApi} whose `load` calls `loader`; every other call runs the loaded `VaeModel`. */
export function createWireApi(loader: WireLoader): PageApi {
  let model: VaeModel | undefined;
  const loaded = (): VaeModel => {
    if (!model) throw new Error('parity host: call load(device) first');
    return model;
  };
  return {
    async load(device) {
      const got = await loader(device);
      model = got.model;
      return got.info;
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
}
