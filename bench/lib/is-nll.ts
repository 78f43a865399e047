import { Rng, VaeModel, type Tensor } from '@vae/core';
import { nodeFileSource, onnxruntimeNodeBackend } from '@vae/runtime-node';
import { nodeWebBackend } from '@vae/runtime-web/node';
import { loadDataset } from '@vae/data/node';
import { benchModel } from './bench-model.js';

/** Options of {@link isNllBenchmark}. */
export interface IsNllOptions {
  /** Model directory; a 784-400-20 VAE with seeded random weights is exported when it is missing. */
  readonly modelDir: string;
  /** MNIST test images evaluated (default 1,000). */
  readonly images: number;
  /** Importance samples K per image (default 5,000). */
  readonly samples: number;
  /** Images per `logLikelihood` call (default 10): decode batches are `imagesPerCall × chunkSize` rows. */
  readonly imagesPerCall: number;
  /** Samples per decode call and image (default 500). */
  readonly chunkSize: number;
  /** Images of the wasm-EP baseline (default images / 20). */
  readonly wasmImages: number;
  readonly seed: number;
}

/** One measured configuration. */
export interface IsNllRun {
  readonly label: string;
  readonly device: string;
  readonly images: number;
  readonly samples: number;
  readonly seconds: number;
  readonly imagesPerSecond: number;
  /** Decoder rows (latent samples) per second. */
  readonly samplesPerSecond: number;
  /** Mean −log p(x) estimate, nats per image (K = 1: minus the single-sample ELBO); null for the decoder-only run. */
  readonly meanNll: number | null;
}

/** Result of {@link isNllBenchmark}. */
export interface IsNllResult {
  readonly benchmark: 'is-nll';
  readonly model: string;
  readonly protocol: string;
  readonly main: IsNllRun;
  readonly baselines: readonly IsNllRun[];
}

function rows(x: Tensor, start: number, end: number): Tensor {
  const d = x.shape[1]!;
  return { data: x.data.subarray(start * d, end * d), shape: [end - start, d] };
}

async function measure(
  model: VaeModel,
  label: string,
  x: Tensor,
  o: { samples: number; chunkSize: number; imagesPerCall: number; seed: number },
): Promise<IsNllRun> {
  const n = x.shape[0]!;
  let sum = 0;
  const t0 = performance.now();
  for (let i = 0; i < n; i += o.imagesPerCall) {
    const part = rows(x, i, Math.min(n, i + o.imagesPerCall));
    const lp = await model.logLikelihood(part, {
      samples: o.samples,
      seed: o.seed + i,
      chunkSize: Math.min(o.chunkSize, o.samples),
    });
    for (const v of lp) sum += v;
  }
  const seconds = (performance.now() - t0) / 1000;
  return {
    label,
    device: `${model.backend} ${model.device}`,
    images: n,
    samples: o.samples,
    seconds,
    imagesPerSecond: n / seconds,
    samplesPerSecond: (n * o.samples) / seconds,
    meanNll: -sum / n,
  };
}

/**
 * The decoder alone on as many latent rows as the wasm subset's evaluation decodes, in the same
 * batch size as the IS runs: how much of the evaluation time is the ONNX decoder (the rest is
 * core's float64 likelihood and ε sampling in JavaScript).
 */
async function decoderOnly(dir: string, o: IsNllOptions): Promise<IsNllRun> {
  const model = await VaeModel.load(nodeFileSource(dir), { device: 'cpu', backends: [onnxruntimeNodeBackend] });
  try {
    const rowsPerCall = o.imagesPerCall * Math.min(o.chunkSize, o.samples);
    const total = o.wasmImages * o.samples;
    const z: Tensor = {
      data: new Rng(o.seed).normals(rowsPerCall * model.latentDim),
      shape: [rowsPerCall, model.latentDim],
    };
    const t0 = performance.now();
    let done = 0;
    for (; done < total; done += rowsPerCall) await model.decode(z);
    const seconds = (performance.now() - t0) / 1000;
    return {
      label: `decoder only, ${done} latent rows in calls of ${rowsPerCall}, onnxruntime-node cpu`,
      device: `${model.backend} ${model.device}`,
      images: o.wasmImages,
      samples: o.samples,
      seconds,
      imagesPerSecond: o.wasmImages / seconds,
      samplesPerSecond: done / seconds,
      meanNll: null,
    };
  } finally {
    await model.release();
  }
}

/**
 * Importance-sampled NLL evaluation speed: K samples per image on MNIST test images through
 * `VaeModel.logLikelihood` on onnxruntime-node's CPU EP, chunked; baselines measured in the same
 * run: K = 1 (the cost of a single-sample ELBO) on the same images, the decoder alone on the same
 * number of latent rows as the subset below, and the same K on onnxruntime-web's wasm EP in Node on
 * a subset (compare samples/s).
 */
export async function isNllBenchmark(o: IsNllOptions): Promise<IsNllResult> {
  const { dir, label } = await benchModel(o.modelDir);
  const data = await loadDataset('mnist');
  const d = 784;
  const x: Tensor = {
    data: Float32Array.from(data.test!.images.subarray(0, o.images * d), (v) => v / 255),
    shape: [o.images, d],
  };
  const cpu = await VaeModel.load(nodeFileSource(dir), { device: 'cpu', backends: [onnxruntimeNodeBackend] });
  let main: IsNllRun;
  let elbo: IsNllRun;
  try {
    main = await measure(cpu, `K=${o.samples}, onnxruntime-node cpu`, x, o);
    elbo = await measure(cpu, 'K=1 (single-sample ELBO cost), onnxruntime-node cpu', x, {
      ...o,
      samples: 1,
      chunkSize: 1,
      imagesPerCall: 1000,
    });
  } finally {
    await cpu.release();
  }
  const baselines: IsNllRun[] = [elbo, await decoderOnly(dir, o)];
  const wasm = await VaeModel.load(nodeFileSource(dir), { device: 'wasm', backends: [nodeWebBackend()] });
  try {
    baselines.push(
      await measure(
        wasm,
        `K=${o.samples}, onnxruntime-web wasm (first ${o.wasmImages} images)`,
        rows(x, 0, o.wasmImages),
        o,
      ),
    );
  } finally {
    await wasm.release();
  }
  return {
    benchmark: 'is-nll',
    model: label,
    protocol: `first ${o.images} MNIST test images as grey levels in [0,1] (not binarized), Bernoulli likelihood, K=${o.samples} importance samples, ${o.imagesPerCall} images × ${Math.min(o.chunkSize, o.samples)} samples per decode call`,
    main,
    baselines,
  };
}
