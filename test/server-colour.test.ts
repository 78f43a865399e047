import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Rng, samplePrior, setLogLevel, type Tensor, type VaeModel } from '@vae/core';
import { loadModel } from '@vae/runtime-node';
import { createVaeServer, type VaeServer } from '@vae/server';
import { exportTinyModel } from './runtime-node-fixtures.js';
import { getJson, nested, postJson, v2Input } from './server-fixtures.js';

const SHAPE = [16, 16, 3] as const;
const D = SHAPE[0] * SHAPE[1] * SHAPE[2];

/** `n` colour images `[n, H·W·3]` in HWC order: red ramps along x, green along y, blue against x, shifted per image. */
function colourImages(n: number): Tensor {
  const [h, w] = SHAPE;
  const data = new Float32Array(n * D);
  for (let i = 0; i < n; i++)
    for (let y = 0; y < h; y++)
      for (let x = 0; x < w; x++) {
        const o = i * D + (y * w + x) * 3;
        data[o] = x / (w - 1);
        data[o + 1] = ((y + i) % h) / (h - 1);
        data[o + 2] = 1 - x / (w - 1);
      }
  return { data, shape: [n, D] };
}

/** Largest |a − b| of a JSON matrix against a tensor. */
function maxDiff(rows: number[][], t: Tensor): number {
  let m = 0;
  rows.flat().forEach((v, i) => {
    m = Math.max(m, Math.abs(v - t.data[i]!));
  });
  return m;
}

/** Whether some pixel of the HWC rows has R, G and B all different. */
function hasColour(rows: number[][]): boolean {
  return rows.some((r) => {
    for (let p = 0; p < r.length; p += 3)
      if (r[p] !== r[p + 1] && r[p + 1] !== r[p + 2] && r[p] !== r[p + 2]) return true;
    return false;
  });
}

let model: VaeModel;
let server: VaeServer;
let base: string;
const x = colourImages(3);

beforeAll(async () => {
  setLogLevel('warn');
  // A small colour conv VAE (batch norm, 16×16×3) with seeded random weights.
  const dir = await exportTinyModel({
    name: 'colour',
    architecture: 'conv',
    imageShape: [...SHAPE],
    latentDim: 4,
    norm: 'batch',
  });
  model = await loadModel(dir, { device: 'cpu' });
  server = createVaeServer({ model, defaultMetrics: false });
  base = await server.listen({ host: '127.0.0.1', port: 0 });
});
afterAll(async () => {
  await server?.close();
  await model?.release();
});

describe('vae serve with a colour model (16×16×3, HWC rows) over HTTP', () => {
  it('/api/embed, /api/reconstruct and /api/sample take and return H·W·3 rows; the numbers are the model’s', async () => {
    const embed = await postJson(`${base}/api/embed`, { x: nested(x) });
    expect(embed.status).toBe(200);
    expect(embed.body.embedding).toHaveLength(3);
    expect(maxDiff(embed.body.embedding, await model.embed(x))).toBeLessThan(1e-5);

    const recon = await postJson(`${base}/api/reconstruct`, { x: nested(x) });
    expect(recon.status).toBe(200);
    expect(recon.body.imageShape).toEqual([...SHAPE]);
    expect(recon.body.images.map((r: number[]) => r.length)).toEqual([D, D, D]);
    expect(maxDiff(recon.body.images, await model.reconstruct(x))).toBeLessThan(1e-5);
    expect(hasColour(recon.body.images)).toBe(true);

    const sample = await postJson(`${base}/api/sample`, { n: 2, seed: 9, temperature: 0.5 });
    expect(sample.status).toBe(200);
    expect(sample.body.imageShape).toEqual([...SHAPE]);
    const expected = (await model.decode(samplePrior(new Rng(9), 2, 4, 0.5))).mean;
    expect(maxDiff(sample.body.images, expected)).toBeLessThan(1e-5);
    expect(hasColour(sample.body.images)).toBe(true);
  });

  it('a grey row (H·W values) is a 400 naming the colour shape', async () => {
    const grey = Array.from({ length: SHAPE[0] * SHAPE[1] }, () => 0.5);
    const res = await postJson(`${base}/api/reconstruct`, { x: [grey] });
    expect(res.status).toBe(400);
    expect(res.body.error).toBe(
      `x[0]: expected a row of ${D} numbers (one 16 high × 16 wide × 3 channels image, HWC), got an array of length ${grey.length}`,
    );
  });

  it('the KServe V2 routes are unchanged: metadata [-1, H·W·3], infer returns the same embedding', async () => {
    const meta = await getJson(`${base}/v2/models/colour-encoder`);
    expect(meta.body.inputs).toEqual([{ name: 'x', datatype: 'FP32', shape: [-1, D] }]);
    const dec = await getJson(`${base}/v2/models/colour-decoder`);
    expect(dec.body.outputs.map((o: { shape: number[] }) => o.shape)).toEqual([
      [-1, D],
      [-1, D],
    ]);
    const infer = await postJson(`${base}/v2/models/colour-encoder/infer`, { inputs: [v2Input('x', x)] });
    expect(infer.status).toBe(200);
    const mu = infer.body.outputs.find((o: { name: string }) => o.name === 'mu');
    expect(mu.shape).toEqual([3, 4]);
    const embed = await model.embed(x);
    expect(Math.max(...mu.data.map((v: number, i: number) => Math.abs(v - embed.data[i]!)))).toBeLessThan(1e-6);
  });
});
