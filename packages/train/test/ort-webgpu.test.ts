import { existsSync } from 'node:fs';
import { SWIFTSHADER_ICD } from '@vae/device-node';
import { Rng, createModelSpec, initParameters, inputSize } from '@vae/core';
import { describe, expect, it } from 'vitest';
import { resolveTrainConfig } from '../src/config.js';
import type { TrainBatch } from '../src/engines/engine.js';
import { OrtEngine } from '../src/engines/ort/index.js';

describe('ort engine on the WebGPU execution provider', () => {
  // The engine points Vulkan at SwiftShader itself when VK_ICD_FILENAMES is unset (@vae/device-node).
  it.skipIf(!existsSync(SWIFTSHADER_ICD) && !process.env.VK_ICD_FILENAMES)(
    'follows the CPU EP step by step',
    async () => {
      const spec = createModelSpec({ kind: 'vae', imageShape: [8, 8, 1], hidden: [16], latentDim: 4 });
      const params = initParameters(spec, new Rng(2));
      const config = resolveTrainConfig({ learningRate: 1e-2 });
      const cpu = new OrtEngine({ worker: false, device: 'cpu' });
      const gpu = new OrtEngine({ worker: false, device: 'webgpu' });
      await cpu.init(spec, params, config);
      await gpu.init(spec, params, config);
      expect(gpu.backend).toBe('webgpu');
      const rng = new Rng(8);
      let worst = 0;
      for (let i = 0; i < 5; i++) {
        const x = {
          data: Float32Array.from({ length: 16 * inputSize(spec) }, () => rng.uniform()),
          shape: [16, inputSize(spec)],
        };
        const batch: TrainBatch = {
          x,
          target: x,
          eps: { data: rng.normals(16 * 4), shape: [16, 4] },
          samples: 1,
          indices: new Uint32Array(16),
        };
        const a = await cpu.step(batch);
        const b = await gpu.step(batch);
        worst = Math.max(worst, Math.abs(a.loss - b.loss) / Math.abs(a.loss));
      }
      expect(worst).toBeLessThan(1e-4);
      cpu.dispose();
      gpu.dispose();
    },
  );
});
