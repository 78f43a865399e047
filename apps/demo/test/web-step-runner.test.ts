import { describe, expect, it } from 'vitest';
import { Rng, createModelSpec, initParameters, setLogLevel } from '@vae/core';
import { NODE_ORT_PLATFORM } from '@vae/train';
import { ADAM_DEFAULTS, OrtStepRunner, makeBatch, webOrtPlatform, type OrtBatch } from '@vae/train/web';
import { WEB_RUNTIME_INFO, configureNodeWebRuntime, loadOrtWebForNode } from '@vae/runtime-web/node';

/**
 * The ort engine's step runner on onnxruntime-web (wasm, in Node: no browser needed) against the
 * same runner on onnxruntime-node: onnxruntime-web does not write into pre-allocated outputs, so
 * this checks that the web platform's gradient copy gives the same training.
 */
describe('OrtStepRunner on onnxruntime-web (wasm EP in Node) vs onnxruntime-node (CPU EP)', () => {
  it('same initial weights and batches: losses within 1e-4 relative over 6 steps, parameters within 1e-4', async () => {
    setLogLevel('warn');
    configureNodeWebRuntime({ numThreads: 1 });
    const spec = createModelSpec({ kind: 'vae', hidden: [64], latentDim: 8 });
    const params = initParameters(spec, new Rng(3));
    const rng = new Rng(4);
    const images = Uint8Array.from({ length: 64 * 784 }, () => Math.floor(rng.uniform() * 256));
    const split = { images, labels: new Uint8Array(64), count: 64 };
    const batches: OrtBatch[] = Array.from({ length: 6 }, (_, i) => {
      const b = makeBatch(
        split,
        Uint32Array.from({ length: 32 }, (_, j) => (i * 7 + j) % 64),
        rng,
        {
          spec,
          binarize: 'dynamic',
          samples: 1,
        },
      );
      return { target: b.target, x: b.x, eps: b.eps! };
    });
    const init = { spec, params, learningRate: 1e-3, adam: { ...ADAM_DEFAULTS }, threads: 1 };
    const web = await OrtStepRunner.create(
      { ...init, device: 'wasm' },
      webOrtPlatform(loadOrtWebForNode(), WEB_RUNTIME_INFO),
    );
    const node = await OrtStepRunner.create({ ...init, device: 'cpu' }, NODE_ORT_PLATFORM);
    try {
      for (const batch of batches) {
        const [a, b] = [await web.stepTerms(batch), await node.stepTerms(batch)];
        expect(Math.abs(a.loss - b.loss) / Math.abs(b.loss)).toBeLessThanOrEqual(1e-4);
      }
      const [pw, pn] = [web.getParams(), node.getParams()];
      let maxAbs = 0;
      for (const name of Object.keys(pn)) {
        const [a, b] = [pn[name]!.data, pw[name]!.data];
        for (let i = 0; i < a.length; i++) maxAbs = Math.max(maxAbs, Math.abs(a[i]! - b[i]!));
      }
      expect(maxAbs).toBeLessThan(1e-4);
      // The weights moved (a runner that dropped its gradients would stay at the initial weights).
      expect(Math.abs(pw['decoder.1.bias']!.data[0]! - params['decoder.1.bias']!.data[0]!)).toBeGreaterThan(1e-4);
      expect(web.getOptimizerState().step).toBe(6);
    } finally {
      await web.release();
      await node.release();
    }
  });
});
