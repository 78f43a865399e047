import { DEFAULT_ROWS_PER_RUN } from './importance-sampling.js';
import { validateModelSpec } from './model-shapes.js';
import { inputSize, type ModelSpec } from './model-spec.js';
import { sizeOf } from './tensor.js';

/**
 * Bytes of float32 activations one decoding run (decoder, scorer or ELBO rows) may hold by default:
 * small enough for onnxruntime-web's 4 GiB wasm heap and a software WebGPU adapter's device memory
 * with the model's weights beside it.
 */
export const RUN_ACTIVATION_BUDGET_BYTES = 512 * 2 ** 20;

/**
 * Float32 values one decoded row keeps alive in a run: every decoder layer's output, the latent
 * code, and three copies of the input size (the target, the logits' likelihood terms and their sum).
 */
export function decodedRowFloats(spec: ModelSpec): number {
  const layout = validateModelSpec(spec);
  const activations = layout.decoder.reduce((n, l) => n + sizeOf(l.outputShape), 0);
  return activations + spec.latentDim + 3 * inputSize(spec);
}

/**
 * Default rows per run for a model: {@link DEFAULT_ROWS_PER_RUN} (measured fastest for small
 * decoders), fewer for a decoder whose activations would exceed `budgetBytes` in one run (a 64×64×3
 * VanillaVAE keeps ~450,000 floats per row: 4,096 rows would need 7.4 GB, beyond the wasm heap; it gets 297).
 */
export function rowsPerRunFor(spec: ModelSpec, budgetBytes = RUN_ACTIVATION_BUDGET_BYTES): number {
  if (!(Number.isFinite(budgetBytes) && budgetBytes > 0))
    throw new RangeError(`budgetBytes: expected a positive number of bytes, got ${budgetBytes}`);
  const fit = Math.floor(budgetBytes / (4 * decodedRowFloats(spec)));
  return Math.max(1, Math.min(DEFAULT_ROWS_PER_RUN, fit));
}
