import { existsSync } from 'node:fs';
import { mkdtemp } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Rng, createModelSpec, initParameters } from '@vae/core';
import { exportModel } from '@vae/onnx';

/**
 * The model directory a benchmark runs: `dir` when it holds a model, otherwise a 784-400-20 VAE with
 * seeded random weights exported to a temp dir (speed does not depend on the weight values).
 */
export async function benchModel(dir: string): Promise<{ dir: string; label: string }> {
  if (existsSync(join(dir, 'manifest.json'))) return { dir, label: dir };
  const spec = createModelSpec({ kind: 'vae', hidden: [400], latentDim: 20 });
  const out = join(await mkdtemp(join(tmpdir(), 'vae-bench-')), 'bench-vae');
  await exportModel({
    spec,
    params: initParameters(spec, new Rng(1)),
    provenance: {
      dataset: 'none (random weights)',
      epochs: 0,
      seed: 1,
      valElbo: null,
      engine: 'none',
      backend: 'none',
      commit: null,
    },
    outDir: out,
    precision: 'fp32',
    name: 'bench-vae',
  });
  return {
    dir: out,
    label: `784-400-20 VAE with seeded random weights (${dir} not found; timings valid, likelihood values meaningless)`,
  };
}
