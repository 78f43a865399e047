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

/** The same model loaded on the cpu and the webgpu device. */
interface DevicePair {
  readonly cpu: VaeModel;
  readonly gpu: VaeModel;
}

async function loadPair(dir: string): Promise<DevicePair> {
  return { cpu: await loadModel(dir, { device: 'cpu' }), gpu: await loadModel(dir, { device: 'webgpu' }) };
}

async function releasePair(p: DevicePair | undefined): Promise<void> {
  if (p) await Promise.all([p.cpu.release(), p.gpu.release()]);
}

async function compareDevices(
  { cpu, gpu }: DevicePair,
  x: Tensor,
): Promise<{ encoder: number; decoder: number; device: string }> {
  const a = await cpu.encode(x);
  const b = await gpu.encode(x);
  if (!('mu' in a) || !('mu' in b)) throw new Error('expected a variational model');
  const encoder = Math.max(maxAbsDiff(a.mu, b.mu), maxAbsDiff(a.logvar, b.logvar));
  const decoder = maxAbsDiff((await cpu.decode(a.mu)).logits, (await gpu.decode(a.mu)).logits);
  return { encoder, decoder, device: gpu.device };
}

describe.skipIf(!available)('VaeModel on the webgpu device (onnxruntime-node, Dawn; SwiftShader Vulkan here)', () => {
  /** The small model on both devices, loaded once for the first two tests (a Dawn session takes a while). */
  let tiny: DevicePair | undefined;
  beforeAll(async () => {
    setLogLevel('warn');
    tiny = await loadPair(await exportTinyModel({ name: 'tiny-webgpu' }));
  });

  it('matches the cpu device on a small model', async () => {
    const r = await compareDevices(tiny!, syntheticImages(5));
    expect(r.device).toBe('webgpu');
    expect(r.encoder).toBeLessThan(1e-5);
    expect(r.decoder).toBeLessThan(1e-4);
  });

  it('runs the sampling and evaluation API with the same results as cpu (to float tolerance)', async () => {
    const x = syntheticImages(3, 784, 9);
    const { cpu, gpu } = tiny!;
    expect(maxAbsDiff(await gpu.sample({ n: 2, seed: 3 }), await cpu.sample({ n: 2, seed: 3 }))).toBeLessThan(1e-5);
    const eg = await gpu.elbo(x, { seed: 1 });
    const ec = await cpu.elbo(x, { seed: 1 });
    for (let i = 0; i < 3; i++) expect(Math.abs(eg[i]! - ec[i]!)).toBeLessThan(1e-2);
    await expect(gpu.encode({ data: new Float32Array(3), shape: [1, 3] })).rejects.toThrow(
      /x: expected shape \[batch, 784\]/,
    );
  });

  it.skipIf(!hasReferenceModel())('matches the cpu device on the reference model', async () => {
    const reference = await loadPair(REFERENCE_MODEL_DIR);
    try {
      const r = await compareDevices(reference, syntheticImages(4));
      expect(r.device).toBe('webgpu');
      expect(r.encoder).toBeLessThan(1e-4);
      expect(r.decoder).toBeLessThan(1e-3);
    } finally {
      await releasePair(reference);
    }
  });

  afterAll(async () => {
    await releasePair(tiny);
    setLogLevel('info');
  });
});
