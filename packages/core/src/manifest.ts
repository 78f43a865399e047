import type { Likelihood, ModelKind, ModelSpec } from './model-spec.js';

/** Identifies a manifest file of this product. */
export const MANIFEST_SCHEMA = 'vae-everywhere/model-manifest';
/** Current manifest schema version. */
export const MANIFEST_VERSION = 1;
/** File name of the manifest inside a model directory. */
export const MANIFEST_FILE = 'manifest.json';

/** Weight precisions of exported graphs. */
export const PRECISIONS = Object.freeze({
  fp32: { description: 'float32 weights' },
  fp16: { description: 'float16 weights, cast to float32 in the graph' },
  int8: { description: 'int8 weight-only quantization, per output channel (DequantizeLinear)' },
});
/** A precision name. */
export type Precision = keyof typeof PRECISIONS;

/** One graph input or output. A `'batch'` dimension is dynamic. */
export interface TensorInfo {
  readonly name: string;
  readonly shape: readonly (number | 'batch')[];
  readonly dtype: 'float32';
}

/** One ONNX file of a model directory. */
export interface GraphInfo {
  /** File name relative to the model directory, e.g. `encoder.onnx`. */
  readonly file: string;
  /** Lower-case hex SHA-256 of the file. */
  readonly sha256: string;
  readonly bytes: number;
  readonly inputs: readonly TensorInfo[];
  readonly outputs: readonly TensorInfo[];
}

/**
 * The golden set of a model directory (`golden.json`, core's `GoldenFile`): reference rows of each
 * graph with tolerances per device arithmetic, checked by `VaeModel.load` on the user's device.
 * Named and hashed like the graphs, so a tampered file is refused.
 */
export interface GoldenInfo {
  /** File name relative to the model directory, e.g. `golden.json`. */
  readonly file: string;
  /** Lower-case hex SHA-256 of the file. */
  readonly sha256: string;
  readonly bytes: number;
}

/** Where the weights came from. */
export interface Provenance {
  readonly dataset: string;
  readonly epochs: number;
  readonly seed: number;
  /** Final validation ELBO in nats per example (negative number), or null when not measured. */
  readonly valElbo: number | null;
  /** Training engine and backend, e.g. `tfjs/wasm`, `ort/cpu`. */
  readonly engine: string;
  readonly backend: string;
  /** Git commit of the source tree that trained the model, or null when unknown. */
  readonly commit: string | null;
  /** ISO-8601 time of export. */
  readonly exportedAt: string;
  /**
   * SHA-256 of the float32 weights the graphs were built from (`parametersSha256`), so a training
   * checkpoint can be matched to this model; absent in manifests written before it was recorded.
   */
  readonly paramsSha256?: string;
  /**
   * Where the model was trained: `browser` (a web page, e.g. the demo's training page, with the
   * browser's user agent and the onnxruntime-web device) or `node`; absent when not recorded.
   */
  readonly trainedIn?: { readonly platform: 'browser' | 'node'; readonly agent: string; readonly device: string };
}

/** `manifest.json` of a model directory (versioned; validated on load). */
export interface ModelManifest {
  readonly schema: typeof MANIFEST_SCHEMA;
  readonly schemaVersion: typeof MANIFEST_VERSION;
  readonly name: string;
  readonly kind: ModelKind;
  readonly variational: boolean;
  readonly likelihood: Likelihood;
  readonly gaussianSigma: number;
  readonly latentDim: number;
  readonly numClasses: number;
  /** `[H, W, C]`; graphs take flat `[batch, H·W·C]` input in HWC order. */
  readonly imageShape: readonly [number, number, number];
  /** How raw pixels map to model input: `x = pixel · scale` (intensities in [0, 1], per channel). */
  readonly normalization: { readonly scale: number; readonly description: string };
  /** log σ² is clamped to this range in graphs and in evaluation. */
  readonly logvarClamp: readonly [number, number];
  readonly precision: Precision;
  readonly opset: number;
  readonly irVersion: number;
  /** The full model spec the graphs were built from. */
  readonly spec: ModelSpec;
  /**
   * The ONNX files. `scorer` (optional; variational kinds, exported since it was added) computes the
   * importance weights' log-sum-exp in one run (see `scorerSignature`); without it
   * `VaeModel.logLikelihood` evaluates the likelihood in JavaScript.
   */
  readonly graphs: { readonly encoder: GraphInfo; readonly decoder: GraphInfo; readonly scorer?: GraphInfo };
  /** The golden set (absent in manifests exported before it was written: loading then skips the check). */
  readonly golden?: GoldenInfo;
  readonly provenance: Provenance;
}
