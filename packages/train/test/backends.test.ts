import { existsSync } from 'node:fs';
import { afterEach, describe, expect, it } from 'vitest';
import { Rng, initParameters, setLogSink } from '@vae/core';
import { SWIFTSHADER_ICD, chromiumVulkanLoader, findVulkanLoader } from '@vae/device-node';
import { makeBatch, resolveTrainConfig } from '../src/index.js';
import { TfjsEngine, createTfjsModel, listTfjsBackends, selectBackend, tf } from '../src/engines/tfjs/index.js';
import { maxAbsDiff, t, tinySpec, values } from './helpers.js';

const vulkan = (findVulkanLoader() ?? chromiumVulkanLoader()) !== null;
const webgpuTestable = vulkan && (existsSync(SWIFTSHADER_ICD) || process.env.VK_ICD_FILENAMES !== undefined);

afterEach(() => {
  setLogSink(() => undefined);
});

describe('selectBackend', () => {
  it('activates cpu and wasm explicitly and really switches tfjs', async () => {
    expect(await selectBackend('cpu')).toEqual({ backend: 'cpu', fallbacks: [] });
    expect(tf.getBackend()).toBe('cpu');
    expect(await selectBackend('wasm')).toEqual({ backend: 'wasm', fallbacks: [] });
    expect(tf.getBackend()).toBe('wasm');
  });

  it('rejects unknown names listing the registered backends', async () => {
    expect(listTfjsBackends()).toEqual(['tensorflow', 'webgpu', 'wasm', 'cpu']);
    await expect(selectBackend('cuda' as never)).rejects.toThrow(
      /backend: expected one of auto\|tensorflow\|webgpu\|wasm\|cpu, got "cuda"/,
    );
  });

  it('tensorflow: either the native binding loads, or the error says why and how to get it', async () => {
    const r = await selectBackend('tensorflow').then(
      (s) => s.backend,
      (e: Error) => e.message,
    );
    if (r !== 'tensorflow') {
      expect(r).toMatch(
        /backend tensorflow is not available: native TensorFlow is not usable \(@tensorflow\/tfjs-node-gpu: .*; @tensorflow\/tfjs-node: .*\)/,
      );
      expect(r).toContain('pnpm --filter @vae/train add @tensorflow/tfjs-node');
    }
  });

  it('auto takes the first backend that initializes and logs why the others were skipped', async () => {
    const lines: string[] = [];
    setLogSink((_l, scope, m) => lines.push(`[${scope}] ${m}`));
    const r = await selectBackend('auto');
    expect(tf.getBackend()).toBe(r.backend);
    const order = listTfjsBackends();
    expect(r.fallbacks.map((f) => f.backend)).toEqual(order.slice(0, order.indexOf(r.backend)));
    for (const f of r.fallbacks) expect(f.reason.length).toBeGreaterThan(10);
    expect(lines.some((l) => l.startsWith(`[train:backend] tfjs backend: ${r.backend}`))).toBe(true);
  });

  it.skipIf(!webgpuTestable)('webgpu (Dawn) runs the model and a training step like cpu', async () => {
    const spec = tinySpec({ kind: 'vae' });
    const params = initParameters(spec, new Rng(1));
    const x = t(values(2 * 16, 3), [2, 16]);
    await selectBackend('cpu');
    const cpuModel = createTfjsModel(spec, params);
    const ref = cpuModel.encode(x);
    cpuModel.dispose();
    const cfg = resolveTrainConfig({ backend: 'cpu' });
    const split = {
      images: Uint8Array.from(values(4 * 16, 5, 0, 256), Math.floor),
      labels: new Uint8Array(4),
      count: 4,
    };
    const batch = makeBatch(split, Uint32Array.from([0, 1, 2, 3]), new Rng(2), { spec, binarize: 'none', samples: 1 });
    const cpuEngine = new TfjsEngine();
    await cpuEngine.init(spec, params, cfg);
    const cpuStep = await cpuEngine.step(batch);
    const cpuAfter = await cpuEngine.getParams();
    cpuEngine.dispose();

    expect((await selectBackend('webgpu')).backend).toBe('webgpu');
    const model = createTfjsModel(spec, params);
    const enc = await model.encodeAsync(x);
    if (!('mu' in enc) || !('mu' in ref)) throw new Error('expected mu');
    expect(maxAbsDiff(enc.mu.data, ref.mu.data)).toBeLessThan(1e-5);
    expect(() => model.encode(x)).toThrow(/synchronous reads are not possible on the tfjs webgpu backend/);
    model.dispose();
    const gpuEngine = new TfjsEngine();
    await gpuEngine.init(spec, params, resolveTrainConfig({ backend: 'webgpu' }));
    const gpuStep = await gpuEngine.step(batch);
    expect(Math.abs(gpuStep.loss - cpuStep.loss)).toBeLessThan(1e-4 * Math.abs(cpuStep.loss));
    const gpuAfter = await gpuEngine.getParams();
    expect(maxAbsDiff(gpuAfter['encoder.0.kernel']!.data, cpuAfter['encoder.0.kernel']!.data)).toBeLessThan(1e-5);
    gpuEngine.dispose();
  });
});
