/**
 * A decoder endpoint on Cloudflare Workers: `GET /decode?seed=N` decodes a draw from the prior,
 * `POST /decode` with `{ "z": [...] }` decodes that latent vector; both answer a PNG of `x_mean`.
 * The model and onnxruntime-web's wasm are bundled with the Worker (CompiledWasm and Data rules in
 * wrangler.toml); nothing is fetched or compiled at run time.
 */
import { Rng, samplePrior, type VaeModel } from '@vae/core';
import { loadWorkersModel } from '@vae/runtime-web/workers';
import ortWasm from 'onnxruntime-web/ort-wasm-simd-threaded.wasm';
import decoder from '../model/decoder.onnx';
import encoder from '../model/encoder.onnx';
import manifest from '../model/manifest.json';
import { encodePng } from './png.js';

let model: Promise<VaeModel> | undefined;

/** The model, loaded once per isolate. */
function loaded(): Promise<VaeModel> {
  model ??= loadWorkersModel(
    { 'manifest.json': JSON.stringify(manifest), 'encoder.onnx': encoder, 'decoder.onnx': decoder },
    ortWasm,
  );
  return model;
}

function badRequest(message: string): Response {
  return new Response(`${message}\n`, { status: 400, headers: { 'content-type': 'text/plain' } });
}

/** The latent vector asked for, or a message saying what is wrong. */
async function latent(request: Request, url: URL, latentDim: number): Promise<Float32Array | string> {
  if (request.method === 'POST') {
    const body = (await request.json().catch(() => null)) as { z?: unknown } | null;
    const z = body?.z;
    if (!Array.isArray(z) || z.length !== latentDim || !z.every((v) => typeof v === 'number' && Number.isFinite(v)))
      return `z: expected ${latentDim} finite numbers, got ${JSON.stringify(z)?.slice(0, 80)}`;
    return Float32Array.from(z as number[]);
  }
  const seed = Number(url.searchParams.get('seed') ?? '0');
  if (!Number.isSafeInteger(seed) || seed < 0)
    return `seed: expected a non-negative integer, got ${JSON.stringify(url.searchParams.get('seed'))}`;
  return samplePrior(new Rng(seed), 1, latentDim).data;
}

export default {
  async fetch(request: Request): Promise<Response> {
    const url = new URL(request.url);
    if (url.pathname !== '/decode') return new Response('try GET /decode?seed=1\n', { status: 404 });
    const m = await loaded();
    const z = await latent(request, url, m.latentDim);
    if (typeof z === 'string') return badRequest(z);
    const { mean } = await m.decode({ data: z, shape: [1, m.latentDim] });
    const [height, width, channels] = m.manifest.imageShape as [number, number, 1 | 3];
    const pixels = new Uint8Array(mean.data.length);
    for (let i = 0; i < pixels.length; i++) pixels[i] = Math.round(Math.min(1, Math.max(0, mean.data[i]!)) * 255);
    const png = await encodePng(pixels, width, height, channels);
    return new Response(png.buffer as ArrayBuffer, {
      headers: { 'content-type': 'image/png', 'x-vae-device': m.device },
    });
  },
};
