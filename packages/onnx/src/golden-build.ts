import {
  GOLDEN_SCHEMA,
  GOLDEN_VERSION,
  Rng,
  decodeGoldenInput,
  encodeGoldenFloats,
  encodeGoldenPixels,
  modelKindInfo,
  oneHot,
  sliceRows,
  type Backend,
  type DeviceArithmetic,
  type GoldenCase,
  type GoldenFile,
  type GoldenGraph,
  type GoldenTensor,
  type GoldenTolerance,
  type ModelSpec,
  type Tensor,
} from '@vae/core';
import { PIXEL_NORMALIZATION } from './manifest-build.js';

/** How {@link buildGoldenFile} computes the reference rows. */
export interface GoldenBuildOptions {
  /** Runs the graphs, e.g. `onnxruntimeNodeBackend` from `@vae/runtime-node`. */
  readonly backend: Backend;
  /** Device of `backend` that computes the reference (default `cpu`: float32 in graph order). */
  readonly device?: string;
  /** Seed of the golden inputs (default 0). */
  readonly seed?: number;
}

/**
 * Tolerances written into every golden file: parity's float32 rows (`TOLERANCES` of `@vae/parity`,
 * `fp32`), since the check compares the same graph run on two devices. `exact` (cpu, wasm): 3e-5
 * + 1e-5·|golden| per value (measured ≤ 3.8e-6 wasm vs cpu on the reference MLP, ≤ 5.3e-5 at
 * |log σ²| ≈ 29 on the 64×64×3 conv preset); `reassociated` (WebGPU, CUDA without TF32): 1e-4 +
 * 1e-5·|golden| (SwiftShader ≤ 1.4e-5). The scorer's `log_weight_sum` is what parity compares as
 * `log_px`, so it gets parity's `logPx` rows: 1e-2 nats + 1e-5·|golden| (exact) and 1e-2 nats +
 * 1e-4·|golden| (reassociated).
 */
export const GOLDEN_TOLERANCES: Readonly<
  Record<DeviceArithmetic, { readonly tensor: GoldenTolerance; readonly score: GoldenTolerance }>
> = Object.freeze({
  exact: { tensor: { abs: 3e-5, rel: 1e-5 }, score: { abs: 1e-2, rel: 1e-5 } },
  reassociated: { tensor: { abs: 1e-4, rel: 1e-5 }, score: { abs: 1e-2, rel: 1e-4 } },
});

/** Outputs compared with the score rows of {@link GOLDEN_TOLERANCES}. */
const SCORE_OUTPUTS = new Set(['log_weight_sum']);
/** Pixel bytes of golden encoder inputs (rows shrink for large images: one 64×64×3 row). */
const PIXEL_BUDGET = 16_384;
/** Values kept per output (every k-th beyond it), so a golden file stays under ~64 KB. */
const MAX_OUTPUT_VALUES = 4096;
/** Latent codes of the decoder rows (the first is the prior mean, z = 0). */
const DECODER_ROWS = 4;
/** Examples and samples per example of the scorer rows. */
const SCORER_EXAMPLES = 2;
const SCORER_SAMPLES = 2;

interface Reference {
  readonly backend: Backend;
  readonly device: string;
}

async function runGraph(
  ref: Reference,
  bytes: Uint8Array,
  feeds: Record<string, Tensor>,
): Promise<Record<string, Tensor>> {
  const session = await ref.backend.createSession(bytes, { device: ref.device, threads: 1 });
  try {
    return await session.run(feeds);
  } finally {
    await session.release();
  }
}

function encodeOutputs(out: Record<string, Tensor>): Record<string, GoldenTensor> {
  return Object.fromEntries(
    Object.entries(out).map(([name, t]) => [name, encodeGoldenFloats(t, Math.ceil(t.data.length / MAX_OUTPUT_VALUES))]),
  );
}

/** Runs `bytes` on `feeds` and stores both (inputs as given, outputs possibly strided). */
async function goldenCase(
  ref: Reference,
  bytes: Uint8Array,
  inputs: Record<string, GoldenTensor>,
): Promise<{ case: GoldenCase; outputs: Record<string, Tensor> }> {
  const feeds = Object.fromEntries(Object.entries(inputs).map(([k, g]) => [k, decodeGoldenInput(g, k)]));
  const outputs = await runGraph(ref, bytes, feeds);
  return { case: { inputs, outputs: encodeOutputs(outputs) }, outputs };
}

function labels(spec: ModelSpec, rows: number): Record<string, GoldenTensor> {
  if (!modelKindInfo(spec.kind).conditional) return {};
  return {
    y: encodeGoldenFloats(
      oneHot(
        Array.from({ length: rows }, (_, i) => i % spec.numClasses),
        spec.numClasses,
      ),
    ),
  };
}

function normals(rng: Rng, rows: number, width: number): Tensor {
  return { data: rng.normals(rows * width), shape: [rows, width] };
}

function tolerancesFor(names: Iterable<string>): GoldenFile['tolerances'] {
  const row = (a: DeviceArithmetic) =>
    Object.fromEntries([...names].map((n) => [n, GOLDEN_TOLERANCES[a][SCORE_OUTPUTS.has(n) ? 'score' : 'tensor']]));
  return { exact: row('exact'), reassociated: row('reassociated') };
}

/**
 * The golden set of a model: seeded pixel rows through the encoder, latent codes (z = 0 and
 * N(0, I) draws) through the decoder and, for a scorer, 2 examples × 2 samples of ε with the
 * encoder's reference μ and log σ², each with its reference outputs computed once on `o.backend`
 * (`o.device`), and the tolerances of {@link GOLDEN_TOLERANCES}. Inputs are stored whole (pixels
 * as bytes), outputs whole up to 4,096 values each (every k-th value beyond).
 */
export async function buildGoldenFile(
  spec: ModelSpec,
  graphs: { readonly encoder: Uint8Array; readonly decoder: Uint8Array; readonly scorer?: Uint8Array },
  o: GoldenBuildOptions,
): Promise<GoldenFile> {
  const ref: Reference = { backend: o.backend, device: o.device ?? 'cpu' };
  const rng = new Rng(o.seed ?? 0);
  const [h, w, c] = spec.imageShape;
  const d = h * w * c;
  const rows = Math.max(1, Math.min(4, Math.floor(PIXEL_BUDGET / d)));
  const pixels = Uint8Array.from({ length: rows * d }, () => rng.int(256));
  const x = encodeGoldenPixels(pixels, [rows, d], PIXEL_NORMALIZATION.scale);
  const enc = await goldenCase(ref, graphs.encoder, { x, ...labels(spec, rows) });
  const z = normals(rng, DECODER_ROWS, spec.latentDim);
  z.data.fill(0, 0, spec.latentDim);
  const dec = await goldenCase(ref, graphs.decoder, { z: encodeGoldenFloats(z), ...labels(spec, DECODER_ROWS) });
  const cases: Partial<Record<GoldenGraph, GoldenCase>> = { encoder: enc.case, decoder: dec.case };
  if (graphs.scorer && enc.outputs.mu && enc.outputs.logvar) {
    const b = Math.min(SCORER_EXAMPLES, rows);
    const first = (t: Tensor) => encodeGoldenFloats(sliceRows(t, 0, b));
    const inputs = {
      x: encodeGoldenPixels(pixels.subarray(0, b * d), [b, d], PIXEL_NORMALIZATION.scale),
      mu: first(enc.outputs.mu),
      logvar: first(enc.outputs.logvar),
      eps: encodeGoldenFloats(normals(rng, b * SCORER_SAMPLES, spec.latentDim)),
      ...labels(spec, b),
    };
    cases.scorer = (await goldenCase(ref, graphs.scorer, inputs)).case;
  }
  const names = Object.values(cases).flatMap((g) => Object.keys(g.outputs));
  return {
    schema: GOLDEN_SCHEMA,
    schemaVersion: GOLDEN_VERSION,
    reference: { backend: ref.backend.name, device: ref.device },
    tolerances: tolerancesFor(names),
    toleranceSource:
      "allclose |actual − golden| ≤ abs + rel·|golden| per value; @vae/parity's float32 rows by device arithmetic (graph outputs: tensor rows; log_weight_sum: score rows)",
    cases,
  };
}
