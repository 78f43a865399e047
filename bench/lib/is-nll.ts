import { DEFAULT_ROWS_PER_RUN, Rng, VaeModel, planSampleRuns, type Tensor } from '@vae/core';
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
  /** Images of the tuning comparison: default options against each `rowsPerRun` of {@link TUNED_ROWS}. */
  readonly tuneImages: number;
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

/** Default options against tuned decoder rows per run, on the same images, best of 2 alternating rounds each. */
export interface IsNllTuning {
  readonly images: number;
  readonly samples: number;
  /** Seconds with default options, and the plan they chose. */
  readonly defaultSeconds: number;
  readonly defaultPlan: { readonly groupSize: number; readonly chunkSize: number };
  /** Seconds for each `rowsPerRun` tried. */
  readonly tuned: readonly { readonly rowsPerRun: number; readonly seconds: number }[];
  /** The fastest tuned setting. */
  readonly best: { readonly rowsPerRun: number; readonly seconds: number };
}

/** Result of {@link isNllBenchmark}. */
export interface IsNllResult {
  readonly benchmark: 'is-nll';
  readonly model: string;
  readonly protocol: string;
  readonly main: IsNllRun;
  readonly baselines: readonly IsNllRun[];
  readonly tuning: IsNllTuning;
}

/** Decoded rows per run tried against the default (`DEFAULT_ROWS_PER_RUN`). */
export const TUNED_ROWS: readonly number[] = [1024, 2048, 4096, 8192, 16384, 32768];

function rows(x: Tensor, start: number, end: number): Tensor {
  const d = x.shape[1]!;
  return { data: x.data.subarray(start * d, end * d), shape: [end - start, d] };
}

async function measure(
  model: VaeModel,
  label: string,
  x: Tensor,
  o: { samples: number; seed: number; rowsPerRun?: number },
): Promise<IsNllRun> {
  const n = x.shape[0]!;
  const t0 = performance.now();
  const lp = await model.logLikelihood(x, {
    samples: o.samples,
    seed: o.seed,
    ...(o.rowsPerRun === undefined ? {} : { rowsPerRun: o.rowsPerRun }),
  });
  const seconds = (performance.now() - t0) / 1000;
  return {
    label,
    device: `${model.backend} ${model.device}`,
    images: n,
    samples: o.samples,
    seconds,
    imagesPerSecond: n / seconds,
    samplesPerSecond: (n * o.samples) / seconds,
    meanNll: -lp.reduce((a, v) => a + v, 0) / n,
  };
}

/** Default options against every {@link TUNED_ROWS} budget on the first `o.tuneImages` images, alternating. */
async function tuning(model: VaeModel, x: Tensor, o: IsNllOptions): Promise<IsNllTuning> {
  const part = rows(x, 0, o.tuneImages);
  const settings = [undefined, ...TUNED_ROWS];
  const best = new Map<number | undefined, number>();
  for (let round = 0; round < 2; round++)
    for (const rowsPerRun of settings) {
      const r = await measure(model, 'tuning', part, {
        samples: o.samples,
        seed: o.seed,
        ...(rowsPerRun ? { rowsPerRun } : {}),
      });
      best.set(rowsPerRun, Math.min(best.get(rowsPerRun) ?? Infinity, r.seconds));
    }
  const tuned = TUNED_ROWS.map((rowsPerRun) => ({ rowsPerRun, seconds: best.get(rowsPerRun)! }));
  return {
    images: o.tuneImages,
    samples: o.samples,
    defaultSeconds: best.get(undefined)!,
    defaultPlan: planSampleRuns(o.tuneImages, o.samples),
    tuned,
    best: tuned.reduce((a, b) => (b.seconds < a.seconds ? b : a)),
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
    const rowsPerCall = DEFAULT_ROWS_PER_RUN;
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
 * Importance-sampled NLL evaluation speed: K samples per image on MNIST test images through ONE
 * `VaeModel.logLikelihood(x, { samples, seed })` call with default options (the model loaded with
 * default options too) on onnxruntime-node's CPU EP; baselines measured in the same run: K = 1 (the
 * cost of a single-sample ELBO) on the same images, the decoder alone on the same number of latent
 * rows as the wasm subset, the same K on onnxruntime-web's wasm EP in Node on a subset (compare
 * samples/s), and the default options against tuned rows per run on `tuneImages` images.
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
  let tuned: IsNllTuning;
  try {
    main = await measure(cpu, `K=${o.samples}, default options, onnxruntime-node cpu`, x, o);
    elbo = await measure(cpu, 'K=1 (single-sample ELBO cost), onnxruntime-node cpu', x, { ...o, samples: 1 });
    tuned = await tuning(cpu, x, o);
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
    protocol: `first ${o.images} MNIST test images as grey levels in [0,1] (not binarized), Bernoulli likelihood, K=${o.samples} importance samples, one logLikelihood call with default options (${planSampleRuns(o.images, o.samples).groupSize} images × ${planSampleRuns(o.images, o.samples).chunkSize} samples per run)`,
    main,
    baselines,
    tuning: tuned,
  };
}
