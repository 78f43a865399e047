import { cp, mkdtemp, readFile, rm, stat, unlink, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  GOLDEN_FILE,
  GoldenCheckError,
  VaeModel,
  registerBackend,
  setLogLevel,
  unregisterBackend,
  type Backend,
  type ModelFileSource,
  type Tensor,
} from '@vae/core';
import { GOLDEN_TOLERANCES } from '@vae/onnx';
import { TOLERANCES } from '@vae/parity/options';
import { loadDecoder, loadModel, nodeFileSource, onnxruntimeNodeBackend } from '@vae/runtime-node';
import { loadDecoder as loadWebDecoder } from '@vae/runtime-web';
import { createVaeServer } from '@vae/server';
import { nodeWebBackend } from '@vae/runtime-web/node';
import { REFERENCE_MODEL_DIR, exportTinyModel } from './runtime-node-fixtures.js';

/**
 * A backend that runs onnxruntime-node's cpu kernels under the device name `npu` and adds 1e-3 to
 * every output: a wrong device as a buggy execution provider would be, registered through the
 * ordinary registry above every real runtime, so `device: 'auto'` tries it first.
 */
const PERTURBED: Backend = Object.freeze({
  name: 'perturbed-npu',
  devices: ['npu'],
  deviceInfo: { npu: { label: 'a wrong NPU (test)', arithmetic: 'reassociated' as const } },
  createSession: async (model: Uint8Array, options: Parameters<Backend['createSession']>[1]) => {
    const inner = await onnxruntimeNodeBackend.createSession(model, { ...options, device: 'cpu' });
    const off = (t: Tensor): Tensor => ({ data: t.data.map((v) => v + 1e-3), shape: t.shape });
    return {
      ...inner,
      device: 'npu',
      run: async (feeds: Readonly<Record<string, Tensor>>) =>
        Object.fromEntries(Object.entries(await inner.run(feeds)).map(([k, t]) => [k, off(t)])),
      release: () => inner.release(),
    };
  },
});

/** A file source over `dir` that records every file it reads. */
function spySource(dir: string): ModelFileSource & { reads: string[] } {
  const inner = nodeFileSource(dir);
  const reads: string[] = [];
  const read = (file: string): Promise<Uint8Array> => {
    reads.push(file);
    return inner.read(file);
  };
  return { location: inner.location, reads, read };
}

let tmp: string;
beforeAll(async () => {
  setLogLevel('error');
  tmp = await mkdtemp(join(tmpdir(), 'vae-golden-'));
});
afterAll(async () => {
  await rm(tmp, { recursive: true, force: true });
});

async function copyModel(name: string): Promise<string> {
  const dir = join(tmp, name);
  await cp(REFERENCE_MODEL_DIR, dir, { recursive: true });
  return dir;
}

describe('golden check at load', () => {
  it('a wrong device fails its golden check and auto falls back to the next one, reporting why', async () => {
    registerBackend(PERTURBED, 10_000);
    try {
      const m = await loadModel(REFERENCE_MODEL_DIR);
      expect([m.device, m.backend, m.verification.status]).toEqual(['cpu', 'onnxruntime-node', 'passed']);
      const left = m.verification.fallbacks.find((f) => f.backend === 'perturbed-npu');
      expect(left?.reason).toMatch(
        /^golden check failed: encoder\.mu max \|Δ\| 1\.00e-3 \(\d+\.\d× its tolerance 0\.0001/,
      );
      expect(m.fallbacks).toEqual(m.verification.fallbacks);
      for (const o of m.verification.outputs) expect([o.output, o.maxAbs, o.pass]).toEqual([o.output, 0, true]);
      await m.release();
      const named = await loadModel(REFERENCE_MODEL_DIR, { device: 'npu', verify: true }).catch((e: unknown) => e);
      expect(named).toBeInstanceOf(GoldenCheckError);
      expect((named as Error).message).toMatch(/^device: expected npu \(perturbed-npu\) to reproduce the golden rows/);
      const warned = await loadModel(REFERENCE_MODEL_DIR, { device: 'npu', verify: 'warn' });
      expect([warned.device, warned.verification.status]).toEqual(['npu', 'failed']);
      await warned.release();
    } finally {
      unregisterBackend(PERTURBED.name);
    }
  });

  it('a tampered golden file is refused like a tampered graph; without one the model loads, skipped', async () => {
    const dir = await copyModel('tampered');
    const path = join(dir, GOLDEN_FILE);
    const text = await readFile(path, 'utf8');
    await writeFile(path, text.replace('"rel":0.00001', '"rel":0.00009'));
    await expect(loadModel(dir)).rejects.toThrow(
      /golden\.json: checksum mismatch: expected SHA-256 [0-9a-f]{64} \(manifest\)/,
    );
    const manifest = JSON.parse(await readFile(join(dir, 'manifest.json'), 'utf8'));
    delete manifest.golden;
    await writeFile(join(dir, 'manifest.json'), JSON.stringify(manifest));
    await unlink(path);
    const m = await loadModel(dir);
    expect(m.verification).toMatchObject({ status: 'skipped', device: 'cpu', outputs: [] });
    expect(m.verification.reason).toMatch(/names no golden file/);
    await m.release();
  });

  it('the scorer checks its golden rows on first use', async () => {
    const m = await loadModel(REFERENCE_MODEL_DIR, { device: 'cpu', verify: true });
    const x: Tensor = { data: new Float32Array(784).fill(0.5), shape: [1, 784] };
    await m.logLikelihood(x, { samples: 2, seed: 1 });
    expect(m.verification.outputs.map((o) => `${o.graph}.${o.output}:${o.pass}`)).toContain(
      'scorer.log_weight_sum:true',
    );
    await m.release();
  });

  it('vae serve exposes device and golden check in V2 metadata, /api/model and /metrics', async () => {
    const model = await loadModel(REFERENCE_MODEL_DIR);
    const server = createVaeServer({ model, name: 'mnist', defaultMetrics: false, ownsModel: true });
    try {
      const base = await server.listen();
      const meta = await (await fetch(`${base}/v2/models/mnist-decoder`)).json();
      expect(meta.parameters).toEqual({
        device: 'cpu',
        backend: 'onnxruntime-node',
        verification: 'passed',
        verification_max_abs_error: 0,
      });
      const info = await (await fetch(`${base}/api/model`)).json();
      expect(info.verification.outputs.map((o: { output: string }) => o.output)).toEqual([
        'mu',
        'logvar',
        'x_logits',
        'x_mean',
      ]);
      const text = await (await fetch(`${base}/metrics`)).text();
      expect(text).toMatch(/^vae_model_golden_max_abs_error\{model="mnist",graph="decoder",output="x_logits"\} 0$/m);
      expect(text).toMatch(
        /^vae_model_info\{model="mnist",device="cpu",backend="onnxruntime-node",verification="passed"\} 1$/m,
      );
    } finally {
      await server.close();
    }
  });

  it("the golden tolerances are parity's float32 rows (the scorer's log_weight_sum: parity's log_px row)", () => {
    for (const a of ['exact', 'reassociated'] as const) {
      const { tensor, logPx } = TOLERANCES[a].fp32;
      expect(GOLDEN_TOLERANCES[a]).toEqual({ tensor, score: logPx });
    }
  });
});

describe('decoder-only loading', () => {
  it('Node: reads manifest, decoder and golden file, never encoder.onnx', async () => {
    const source = spySource(REFERENCE_MODEL_DIR);
    const m = await VaeModel.load(source, { parts: ['decoder'], backends: [onnxruntimeNodeBackend] });
    expect(source.reads.sort()).toEqual(['decoder.onnx', 'golden.json', 'manifest.json']);
    expect(m.parts).toEqual(['decoder']);
    expect(m.verification.outputs.map((o) => o.graph)).toEqual(['decoder', 'decoder']);
    expect((await m.sample({ n: 2, seed: 1 })).shape).toEqual([2, 784]);
    await expect(m.encode({ data: new Float32Array(784), shape: [1, 784] })).rejects.toThrow(
      /^parts: expected encoder among the loaded parts to run it, got \[decoder\]/,
    );
    await m.release();
    const d = await loadDecoder(REFERENCE_MODEL_DIR, { device: 'cpu' });
    expect([d.parts, d.verification.status]).toEqual([['decoder'], 'skipped']);
    await d.release();
  });

  it('web loader: fetches no encoder.onnx (fetch spy), runs wasm and verifies it', async () => {
    const urls: string[] = [];
    const fetchSpy = (async (url: string) => {
      urls.push(url);
      const file = new URL(url).pathname.split('/').pop()!;
      return new Response(await readFile(join(REFERENCE_MODEL_DIR, file)));
    }) as typeof fetch;
    const m = await loadWebDecoder('http://models.test/mnist-vae/', {
      fetch: { fetch: fetchSpy },
      backends: [nodeWebBackend()],
    });
    expect(urls.map((u) => u.split('/').pop()).sort()).toEqual(['decoder.onnx', 'golden.json', 'manifest.json']);
    expect([m.device, m.verification.status, m.verification.arithmetic]).toEqual(['wasm', 'passed', 'exact']);
    await m.release();
  });
});

describe('vae export writes a golden set', () => {
  it('named and hashed in the manifest, with label rows for a conditional model, small', async () => {
    const outDir = await exportTinyModel({
      kind: 'cvae',
      hidden: [16],
      latentDim: 3,
      numClasses: 4,
      name: 'tiny-cvae',
      golden: true,
    });
    const manifest = JSON.parse(await readFile(join(outDir, 'manifest.json'), 'utf8'));
    const bytes = (await stat(join(outDir, GOLDEN_FILE))).size;
    expect(manifest.golden).toMatchObject({ file: 'golden.json', bytes });
    expect(bytes).toBeLessThanOrEqual(64 * 1024);
    const golden = JSON.parse(await readFile(join(outDir, GOLDEN_FILE), 'utf8'));
    expect(Object.keys(golden.cases.scorer.inputs).sort()).toEqual(['eps', 'logvar', 'mu', 'x', 'y']);
    const m = await loadModel(outDir);
    expect(m.verification.status).toBe('passed');
    await m.release();
    await rm(join(outDir, '..'), { recursive: true, force: true });
  });

  it('the reference models carry golden sets of at most 64 KB', async () => {
    for (const name of ['mnist-vae', 'mnist-vae-int8']) {
      const dir = join(REFERENCE_MODEL_DIR, '..', name);
      const manifest = JSON.parse(await readFile(join(dir, 'manifest.json'), 'utf8'));
      expect(manifest.golden.file).toBe(GOLDEN_FILE);
      expect((await stat(join(dir, GOLDEN_FILE))).size).toBeLessThanOrEqual(64 * 1024);
    }
  });
});
