import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { VaeModel, setLogLevel } from '@vae/core';
import { SWIFTSHADER_ICD, chromiumVulkanLoader, findVulkanLoader, vulkanLoaderHint } from '@vae/device-node';
import { createNodeWebBackend } from '../src/node/index.js';
import { dirSource, exportTinyModel, latents, maxAbsDiff, runOnNodeCpu } from './fixtures.js';

const icd = process.env.VK_ICD_FILENAMES ?? (existsSync(SWIFTSHADER_ICD) ? SWIFTSHADER_ICD : undefined);
const loader = findVulkanLoader() ?? chromiumVulkanLoader();
const skipReason = !icd
  ? `no Vulkan ICD (set VK_ICD_FILENAMES or install chromium for ${SWIFTSHADER_ICD})`
  : !loader
    ? vulkanLoaderHint()
    : '';

describe.skipIf(skipReason !== '')(
  `onnxruntime-web WebGPU EP in Node via Dawn${skipReason ? ` (skipped: ${skipReason})` : ''}`,
  () => {
    let dir: string;
    let model: VaeModel;

    beforeAll(async () => {
      setLogLevel('warn');
      dir = await exportTinyModel({ name: 'tiny-webgpu' });
      model = await VaeModel.load(await dirSource(dir), { device: 'webgpu', backends: [createNodeWebBackend()] });
    });
    afterAll(async () => {
      await model?.release();
    });

    it('runs on webgpu and decodes like onnxruntime-node on the CPU (max |Δ| < 1e-4)', async () => {
      expect(model.device).toBe('webgpu');
      expect(model.fallbacks).toEqual([]);
      const z = latents(4, 4, 21);
      const decoded = await model.decode(z);
      const cpu = await runOnNodeCpu(join(dir, 'decoder.onnx'), { z });
      expect(maxAbsDiff(decoded.logits, cpu.x_logits!)).toBeLessThan(1e-4);
      expect(maxAbsDiff(decoded.mean, cpu.x_mean!)).toBeLessThan(1e-4);
    });

    it('encodes like onnxruntime-node on the CPU, including concurrent (queued) calls', async () => {
      const x = latents(3, 784, 22);
      for (let i = 0; i < x.data.length; i++) x.data[i] = 1 / (1 + Math.exp(-x.data[i]!));
      const [a, b] = await Promise.all([model.encode(x), model.encode(x)]);
      const cpu = await runOnNodeCpu(join(dir, 'encoder.onnx'), { x });
      if (!('mu' in a) || !('mu' in b)) throw new Error('expected a variational model');
      expect(maxAbsDiff(a.mu, cpu.mu!)).toBeLessThan(1e-4);
      expect(maxAbsDiff(a.logvar, cpu.logvar!)).toBeLessThan(1e-4);
      expect(Array.from(b.mu.data)).toEqual(Array.from(a.mu.data));
    });
  },
);
