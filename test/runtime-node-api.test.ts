import { copyFile, mkdtemp, readFile, readdir, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  Rng,
  VaeModel,
  createSession,
  elbo as elboTerms,
  listBackends,
  memoryFileSource,
  registerBackend,
  samplePosterior,
  samplePrior,
  setLogLevel,
  sigmoidTensor,
  unregisterBackend,
  type Tensor,
} from '@vae/core';
import { CUDA_INSTALL_HINT, cudaProviderStatus } from '@vae/device-node';
import { loadModel, nodeFileSource, onnxruntimeNodeBackend, registerNodeBackend } from '@vae/runtime-node';
import { cyclicOneHot, exportTinyModel, row, syntheticImages } from './runtime-node-fixtures.js';

let dir: string;
let model: VaeModel;
const x = syntheticImages(6);

function mu(t: Awaited<ReturnType<VaeModel['encode']>>): Tensor {
  if (!('mu' in t)) throw new Error('expected a variational encoder');
  return t.mu;
}

beforeAll(async () => {
  setLogLevel('warn');
  dir = await exportTinyModel({ name: 'tiny-vae' });
  model = await loadModel(dir, { device: 'cpu' });
});
afterAll(async () => {
  await model?.release();
});

describe('VaeModel on the cpu device (onnxruntime-node)', () => {
  it('loads the manifest and reports the device', () => {
    expect(model.manifest.name).toBe('tiny-vae');
    expect(model.device).toBe('cpu');
    expect(model.backend).toBe('onnxruntime-node');
    expect(model.fallbacks).toEqual([]);
    expect([model.inputSize, model.latentDim, model.numClasses, model.variational]).toEqual([784, 4, 0, true]);
  });

  it('encodes to μ and log σ² of shape [batch, L], and embed returns μ', async () => {
    const e = await model.encode(x);
    expect('mu' in e && e.mu.shape).toEqual([6, 4]);
    expect('logvar' in e && e.logvar.shape).toEqual([6, 4]);
    const m = mu(e);
    expect(Array.from(m.data).every(Number.isFinite)).toBe(true);
    expect(new Set(Array.from(m.data)).size).toBeGreaterThan(20);
    expect((await model.embed(x)).data).toEqual(m.data);
  });

  it('gives every row of a batch exactly the single-row result', async () => {
    const all = mu(await model.encode(x));
    for (let i = 0; i < 6; i++)
      expect(mu(await model.encode(row(x, i))).data).toEqual(all.data.subarray(i * 4, (i + 1) * 4));
  });

  it('decodes logits and the mean = sigmoid(logits) for a Bernoulli model', async () => {
    const z = samplePrior(new Rng(3), 5, 4);
    const d = await model.decode(z);
    expect(d.logits.shape).toEqual([5, 784]);
    const expected = sigmoidTensor(d.logits);
    for (let i = 0; i < d.mean.data.length; i += 97) expect(d.mean.data[i]).toBeCloseTo(expected.data[i]!, 6);
  });

  it('samples deterministically per seed from core samplePrior, honouring temperature', async () => {
    const a = await model.sample({ n: 3, seed: 11 });
    const b = await model.sample({ n: 3, seed: 11 });
    const c = await model.sample({ n: 3, seed: 12 });
    expect(a.shape).toEqual([3, 784]);
    expect(a.data).toEqual(b.data);
    expect(a.data).not.toEqual(c.data);
    const expected = (await model.decode(samplePrior(new Rng(11), 3, 4, 0.5))).mean;
    expect((await model.sample({ n: 3, seed: 11, temperature: 0.5 })).data).toEqual(expected.data);
    const cold = await model.sample({ n: 2, seed: 5, temperature: 0 });
    expect(cold.data.subarray(0, 784)).toEqual(cold.data.subarray(784));
  });

  it('reconstructs by decoding μ', async () => {
    const r = await model.reconstruct(x);
    expect(r.data).toEqual((await model.decode(mu(await model.encode(x)))).mean.data);
  });

  it('interpolates between two embeddings, endpoints included (linear and spherical)', async () => {
    const r = await model.reconstruct(x);
    for (const spherical of [false, true]) {
      const path = await model.interpolate({ data: x.data.slice(0, 784), shape: [784] }, row(x, 1), 4, { spherical });
      expect(path.shape).toEqual([4, 784]);
      for (let j = 0; j < 784; j += 31) {
        expect(path.data[j]).toBeCloseTo(r.data[j]!, 5);
        expect(path.data[3 * 784 + j]).toBeCloseTo(r.data[784 + j]!, 5);
      }
    }
  });

  it('computes the ELBO through core losses with a seeded posterior draw', async () => {
    const got = await model.elbo(x, { seed: 21 });
    const e = await model.encode(x);
    if (!('mu' in e)) throw new Error('variational');
    const { z } = samplePosterior(e.mu, e.logvar, new Rng(21));
    const d = await model.decode(z);
    const expected = elboTerms({
      x,
      mu: e.mu,
      logvar: e.logvar,
      decoded: d.logits,
      likelihood: 'bernoulli',
      sigma: 0.1,
    }).elbo;
    expect(got).toEqual(expected);
    expect(Array.from(got).every((v) => v < 0 && Number.isFinite(v))).toBe(true);
    expect(await model.elbo(x, { seed: 21 })).toEqual(got);
    // runs of at most rowsPerRun rows draw the same ε from the same generator: the same numbers
    for (const rowsPerRun of [1, 4]) expect(await model.elbo(x, { seed: 21, rowsPerRun })).toEqual(got);
    await expect(model.elbo(x, { seed: 21, rowsPerRun: 0 })).rejects.toThrow(
      /^rowsPerRun: expected an integer in \[1, /,
    );
  });

  it('estimates log p(x) by importance sampling, deterministic per seed and above the mean ELBO', async () => {
    const ll = await model.logLikelihood(x, { samples: 64, seed: 4, chunkSize: 16 });
    expect(ll.length).toBe(6);
    expect(await model.logLikelihood(x, { samples: 64, seed: 4, chunkSize: 16 })).toEqual(ll);
    const elbos = await Promise.all([1, 2, 3, 4, 5, 6, 7, 8].map((seed) => model.elbo(x, { seed })));
    for (let i = 0; i < 6; i++) {
      const meanElbo = elbos.reduce((s, e) => s + e[i]!, 0) / elbos.length;
      expect(ll[i]!).toBeGreaterThan(meanElbo);
      expect(ll[i]!).toBeLessThan(0);
    }
  });

  it('queues concurrent runs on one session and returns each caller its own result', async () => {
    const inputs = Array.from({ length: 12 }, (_, i) => syntheticImages(1 + (i % 3), 784, 100 + i));
    const sequential: Tensor[] = [];
    for (const input of inputs) sequential.push(await model.embed(input));
    const concurrent = await Promise.all(inputs.map((input) => model.embed(input)));
    concurrent.forEach((t, i) => expect(t.data).toEqual(sequential[i]!.data));
  });
});

describe('bad input is rejected with the argument, the expected and the actual value', () => {
  it('wrong shapes', async () => {
    await expect(model.encode({ data: new Float32Array(2 * 783), shape: [2, 783] })).rejects.toThrow(
      /x: expected shape \[batch, 784\], got \[2, 783\]/,
    );
    await expect(model.encode({ data: new Float32Array(784), shape: [784] })).rejects.toThrow(
      /x: expected shape \[batch, 784\], got \[784\]/,
    );
    await expect(model.decode({ data: new Float32Array(5), shape: [1, 5] })).rejects.toThrow(
      /z: expected shape \[batch, 4\], got \[1, 5\]/,
    );
    await expect(model.encode({ data: new Float32Array(0), shape: [0, 784] })).rejects.toThrow(
      /x: expected at least 1 row, got 0/,
    );
    await expect(model.interpolate(row(x, 0), row(x, 1), 1)).rejects.toThrow(/steps: expected an integer in \[2/);
  });

  it('NaN and infinite values', async () => {
    const bad = syntheticImages(2);
    bad.data[800] = Number.NaN;
    await expect(model.encode(bad)).rejects.toThrow(/x: expected finite values, got NaN at flat index 800/);
    await expect(model.decode({ data: Float32Array.from([0, 0, Infinity, 0]), shape: [1, 4] })).rejects.toThrow(
      /z: expected finite values, got Infinity/,
    );
    // A producer that marks its tensor finite takes responsibility: the scan is skipped (the row is encoded).
    expect((await model.embed({ ...bad, finite: true })).shape).toEqual([2, model.latentDim]);
    const clean = syntheticImages(2);
    expect((await model.embed({ ...clean, finite: true })).data).toEqual((await model.embed(clean)).data);
  });

  it('labels on an unconditional model, bad options', async () => {
    await expect(model.encode(x, cyclicOneHot(6, 10))).rejects.toThrow(
      /y: expected no label for unconditional kind "vae"/,
    );
    await expect(model.sample({ n: 0, seed: 1 })).rejects.toThrow(/n: expected an integer in \[1/);
    await expect(model.sample({ n: 1, seed: 1.5 })).rejects.toThrow(/seed: expected an integer/);
    await expect(model.sample({ n: 1, seed: 1, temperature: -1 })).rejects.toThrow(
      /temperature: expected a finite number in \[0/,
    );
    await expect(model.logLikelihood(x, { samples: 0, seed: 1 })).rejects.toThrow(
      /samples: expected an integer in \[1/,
    );
  });

  it('a directory without a model', async () => {
    const empty = await mkdtemp(join(tmpdir(), 'vae-empty-'));
    await expect(loadModel(empty, { device: 'cpu' })).rejects.toThrow(
      /expected a model directory with manifest\.json, got .*vae-empty-.*not found/,
    );
    await expect(loadModel(join(empty, 'missing'), { device: 'cpu' })).rejects.toThrow(/manifest\.json/);
  });

  it('a manifest that is not JSON or not valid', async () => {
    const copy = await copyModel(dir);
    await writeFile(join(copy, 'manifest.json'), '{"schema":');
    await expect(loadModel(copy, { device: 'cpu' })).rejects.toThrow(/manifest\.json: expected JSON/);
    const manifest = JSON.parse(await readFile(join(dir, 'manifest.json'), 'utf8'));
    await writeFile(join(copy, 'manifest.json'), JSON.stringify({ ...manifest, latentDim: 'four' }));
    await expect(loadModel(copy, { device: 'cpu' })).rejects.toThrow(/manifest\.latentDim/);
  });

  it('a graph whose bytes do not match the manifest checksum', async () => {
    const copy = await copyModel(dir);
    const bytes = await readFile(join(copy, 'decoder.onnx'));
    bytes[bytes.length - 10] = bytes[bytes.length - 10]! ^ 0xff;
    await writeFile(join(copy, 'decoder.onnx'), bytes);
    await expect(loadModel(copy, { device: 'cpu' })).rejects.toThrow(
      /decoder\.onnx: checksum mismatch: expected SHA-256 [0-9a-f]{64} \(manifest\), got [0-9a-f]{64}/,
    );
    const short = await copyModel(dir);
    await writeFile(join(short, 'encoder.onnx'), (await readFile(join(short, 'encoder.onnx'))).subarray(1));
    await expect(loadModel(short, { device: 'cpu' })).rejects.toThrow(
      /encoder\.onnx: expected \d+ bytes \(manifest\), got \d+/,
    );
  });

  it('an unknown device', async () => {
    await expect(loadModel(dir, { device: 'tpu' as never })).rejects.toThrow(
      /device: expected one of auto\|cuda\|webgpu\|cpu, got "tpu"/,
    );
    // wasm is a device of onnxruntime-web, which this process has not registered.
    await expect(loadModel(dir, { device: 'wasm' })).rejects.toThrow(
      /device: expected one of auto\|cuda\|webgpu\|cpu, got "wasm"/,
    );
  });

  it('cuda without the provider libraries says how to install them', async () => {
    if (cudaProviderStatus().installed) return;
    await expect(loadModel(dir, { device: 'cuda' })).rejects.toThrow(CUDA_INSTALL_HINT);
  });

  it('a released model', async () => {
    const m = await loadModel(dir, { device: 'cpu' });
    await m.release();
    await expect(m.encode(x)).rejects.toThrow(/model was released/);
  });
});

describe('device resolution', () => {
  it('auto reports the chosen device and why earlier ones were skipped', async () => {
    const m = await loadModel(dir, { device: 'auto' });
    try {
      expect(['cuda', 'webgpu', 'cpu']).toContain(m.device);
      const tried = m.fallbacks.map((f) => f.device);
      expect(tried).not.toContain(m.device);
      if (!cudaProviderStatus().installed) {
        expect(tried[0]).toBe('cuda');
        expect(m.fallbacks[0]!.reason).toContain('ONNXRUNTIME_NODE_INSTALL=cuda12');
      }
      expect(mu(await m.encode(x)).data).toEqual(mu(await model.encode(x)).data);
    } finally {
      await m.release();
    }
  });

  it('one combined error lists every device that failed', async () => {
    const garbage = new TextEncoder().encode('not an onnx model');
    const err = await createSession(garbage, { device: 'auto', backends: [onnxruntimeNodeBackend] }).catch(
      (e: Error) => e,
    );
    expect(err).toBeInstanceOf(Error);
    const message = (err as Error).message;
    expect(message).toMatch(/^device auto: no execution device could create a session:/);
    for (const device of ['cuda', 'webgpu', 'cpu']) expect(message).toContain(`- ${device} (onnxruntime-node):`);
  });

  it('registered backends are tried by descending priority', async () => {
    registerNodeBackend();
    const low = { ...onnxruntimeNodeBackend, name: 'node-low', devices: ['cpu'] as const };
    const high = { ...onnxruntimeNodeBackend, name: 'node-high', devices: ['cpu'] as const };
    registerBackend(low, 1);
    registerBackend(high, 1000);
    try {
      expect(
        listBackends()
          .map((b) => b.name)
          .slice(0, 1),
      ).toEqual(['node-high']);
      const bytes = await readFile(join(dir, 'encoder.onnx'));
      const created = await createSession(new Uint8Array(bytes), { device: 'cpu' });
      expect(created.backend).toBe('node-high');
      expect(created.device).toBe('cpu');
      await created.session.release();
    } finally {
      unregisterBackend('node-low');
      unregisterBackend('node-high');
    }
    expect(() => registerBackend(high, Number.NaN)).toThrow(/priority: expected a finite number, got NaN/);
  });

  it('loads from any ModelFileSource (memory) with the same results', async () => {
    const files: Record<string, Uint8Array> = {};
    for (const f of await readdir(dir)) files[f] = new Uint8Array(await readFile(join(dir, f)));
    const m = await VaeModel.load(memoryFileSource(files, 'mem://tiny'), { device: 'cpu' });
    try {
      expect(mu(await m.encode(x)).data).toEqual(mu(await model.encode(x)).data);
    } finally {
      await m.release();
    }
    await expect(nodeFileSource(dir).read('../etc/passwd')).rejects.toThrow(
      /file: expected a relative file name inside the model directory/,
    );
  });
});

describe('conditional model (cvae)', () => {
  it('requires one-hot labels [batch, K] in the encoder and decoder', async () => {
    const cdir = await exportTinyModel({ kind: 'cvae', numClasses: 3, name: 'tiny-cvae' });
    const m = await loadModel(cdir, { device: 'cpu' });
    try {
      const y = cyclicOneHot(6, 3);
      await expect(m.encode(x)).rejects.toThrow(
        /y: expected one-hot labels \[6, 3\] for conditional kind "cvae", got undefined/,
      );
      await expect(m.encode(x, cyclicOneHot(5, 3))).rejects.toThrow(/y: expected shape \[6, 3\], got \[5, 3\]/);
      const a = mu(await m.encode(x, y));
      const shifted: Tensor = { data: y.data.map((_, i, arr) => arr[(i + 1) % arr.length]!), shape: [6, 3] };
      const b = mu(await m.encode(x, shifted));
      expect(a.data).not.toEqual(b.data);
      expect((await m.sample({ n: 6, seed: 1, y })).shape).toEqual([6, 784]);
      expect((await m.logLikelihood(x, { samples: 8, seed: 2, chunkSize: 3, y })).length).toBe(6);
    } finally {
      await m.release();
    }
  });
});

async function copyModel(src: string): Promise<string> {
  const out = await mkdtemp(join(tmpdir(), 'vae-copy-'));
  for (const f of await readdir(src)) await copyFile(join(src, f), join(out, f));
  return out;
}
