import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { setLogLevel, type Tensor, type VaeModel } from '@vae/core';
import { loadModel, webgpuBundled } from '@vae/runtime-node';
import {
  REFERENCE_MODEL_DIR,
  exportTinyModel,
  hasReferenceModel,
  hasVulkanIcd,
  syntheticImages,
} from './runtime-node-fixtures.js';

const available = webgpuBundled() && hasVulkanIcd();

function maxAbsDiff(a: Tensor, b: Tensor): number {
  expect(a.shape).toEqual(b.shape);
  let m = 0;
  for (let i = 0; i < a.data.length; i++) m = Math.max(m, Math.abs(a.data[i]! - b.data[i]!));
  return m;
}

async function compareDevices(dir: string, x: Tensor): Promise<{ encoder: number; decoder: number; device: string }> {
  const cpu = await loadModel(dir, { device: 'cpu' });
  const gpu = await loadModel(dir, { device: 'webgpu' });
  try {
    const a = await cpu.encode(x);
    const b = await gpu.encode(x);
    if (!('mu' in a) || !('mu' in b)) throw new Error('expected a variational model');
    const encoder = Math.max(maxAbsDiff(a.mu, b.mu), maxAbsDiff(a.logvar, b.logvar));
    const decoder = maxAbsDiff((await cpu.decode(a.mu)).logits, (await gpu.decode(a.mu)).logits);
    return { encoder, decoder, device: gpu.device };
  } finally {
    await Promise.all([cpu.release(), gpu.release()]);
  }
}

describe.skipIf(!available)('VaeModel on the webgpu device (onnxruntime-node, Dawn; SwiftShader Vulkan here)', () => {
  let dir: string;
  beforeAll(async () => {
    setLogLevel('warn');
    dir = await exportTinyModel({ name: 'tiny-webgpu' });
  });

  it('matches the cpu device on a small model', async () => {
    const r = await compareDevices(dir, syntheticImages(5));
    expect(r.device).toBe('webgpu');
    expect(r.encoder).toBeLessThan(1e-5);
    expect(r.decoder).toBeLessThan(1e-4);
  });

  it('runs the sampling and evaluation API with the same results as cpu (to float tolerance)', async () => {
    const x = syntheticImages(3, 784, 9);
    const cpu = await loadModel(dir, { device: 'cpu' });
    const gpu: VaeModel = await loadModel(dir, { device: 'webgpu' });
    try {
      expect(maxAbsDiff(await gpu.sample({ n: 2, seed: 3 }), await cpu.sample({ n: 2, seed: 3 }))).toBeLessThan(1e-5);
      const eg = await gpu.elbo(x, { seed: 1 });
      const ec = await cpu.elbo(x, { seed: 1 });
      for (let i = 0; i < 3; i++) expect(Math.abs(eg[i]! - ec[i]!)).toBeLessThan(1e-2);
      await expect(gpu.encode({ data: new Float32Array(3), shape: [1, 3] })).rejects.toThrow(
        /x: expected shape \[batch, 784\]/,
      );
    } finally {
      await Promise.all([cpu.release(), gpu.release()]);
    }
  });

  it.skipIf(!hasReferenceModel())('matches the cpu device on the reference model', async () => {
    const r = await compareDevices(REFERENCE_MODEL_DIR, syntheticImages(4));
    expect(r.encoder).toBeLessThan(1e-4);
    expect(r.decoder).toBeLessThan(1e-3);
  });

  afterAll(() => setLogLevel('info'));
});
