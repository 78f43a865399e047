import { existsSync } from 'node:fs';
import { mkdtemp, readFile, readdir } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import {
  Rng,
  createModelSpec,
  initParameters,
  memoryFileSource,
  type ModelFileSource,
  type ModelSpecOptions,
  type Precision,
  type Tensor,
} from '@vae/core';
import { exportModel } from '@vae/onnx';
import * as ortNode from 'onnxruntime-node';

const here = dirname(fileURLToPath(import.meta.url));

/** Repository root. */
export const REPO_ROOT = resolve(here, '../../..');

/** The reference model produced by the export pipeline, when present. */
export const REFERENCE_MODEL_DIR = join(REPO_ROOT, 'models/mnist-vae');

/** Whether `dir` holds an exported model directory. */
export function hasModel(dir: string): boolean {
  return existsSync(join(dir, 'manifest.json'));
}

/**
 * Exports a small seeded-random model with `@vae/onnx` into a fresh temp directory: by default the
 * MLP VAE 784-32-4; `spec` overrides its options (e.g. a colour conv model). `outputGain` multiplies
 * the decoder's output kernel, so that random decodings are not all close to grey 0.5.
 */
export async function exportTinyModel(
  o: { name?: string; seed?: number; precision?: Precision; spec?: ModelSpecOptions; outputGain?: number } = {},
): Promise<string> {
  const { name = 'tiny-web', seed = 11, precision = 'fp32' } = o;
  const spec = createModelSpec({ hidden: [32], latentDim: 4, ...o.spec });
  const params = initParameters(spec, new Rng(seed));
  const output = `decoder.${spec.decoder.findLastIndex((l) => l.type !== 'flatten')}.kernel`;
  params[output] = { ...params[output]!, data: params[output]!.data.map((v) => v * (o.outputGain ?? 1)) };
  const outDir = join(await mkdtemp(join(tmpdir(), 'vae-runtime-web-')), name);
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
    precision,
    name,
  });
  return outDir;
}

/** The files of model directory `dir`, read into memory, as a {@link ModelFileSource}. */
export async function dirSource(dir: string): Promise<ModelFileSource> {
  const files: Record<string, Uint8Array> = {};
  for (const f of await readdir(dir)) files[f] = new Uint8Array(await readFile(join(dir, f)));
  return memoryFileSource(files, dir);
}

/** `n` seeded latent rows `[n, L]` (standard normal). */
export function latents(n: number, latentDim: number, seed = 5): Tensor {
  const rng = new Rng(seed);
  const data = new Float32Array(n * latentDim);
  for (let i = 0; i < data.length; i++) data[i] = rng.normal();
  return { data, shape: [n, latentDim] };
}

/**
 * Runs `graph` (an ONNX file) on onnxruntime-node's CPU EP: the reference for parity checks.
 * `optimization` defaults to `all`, as `@vae/runtime-node` uses; int8 graphs need `basic`: at
 * `extended`/`all` the CPU EP fuses DequantizeLinear→MatMul into integer kernels that also quantize
 * the activations (measured: up to 1.6e-3 from the float maths on a small int8 decoder), while
 * onnxruntime-web computes the dequantized float graph (5e-8 from it).
 */
export async function runOnNodeCpu(
  graph: string,
  feeds: Record<string, Tensor>,
  optimization: 'basic' | 'all' = 'all',
): Promise<Record<string, Tensor>> {
  const session = await ortNode.InferenceSession.create(graph, {
    executionProviders: ['cpu'],
    intraOpNumThreads: 1,
    graphOptimizationLevel: optimization,
  });
  try {
    const inputs: Record<string, ortNode.Tensor> = {};
    for (const [k, t] of Object.entries(feeds)) inputs[k] = new ortNode.Tensor('float32', t.data, t.shape);
    const out = await session.run(inputs);
    const result: Record<string, Tensor> = {};
    for (const [k, v] of Object.entries(out))
      result[k] = { data: new Float32Array(v.data as Float32Array), shape: v.dims.map(Number) };
    return result;
  } finally {
    await session.release();
  }
}

/** Largest absolute elementwise difference; throws when shapes differ. */
export function maxAbsDiff(a: Tensor, b: Tensor): number {
  if (a.shape.join('x') !== b.shape.join('x'))
    throw new Error(`shapes differ: [${a.shape.join(', ')}] vs [${b.shape.join(', ')}]`);
  let m = 0;
  for (let i = 0; i < a.data.length; i++) m = Math.max(m, Math.abs(a.data[i]! - b.data[i]!));
  return m;
}
