import { clampLogvar, sigmoid } from './losses-impl.js';
import type { Rng } from './rng.js';
import { assertFinite, assertInteger, assertNumber, assertShape, assertTensor, sizeOf, type Tensor } from './tensor.js';

/**
 * A tensor of standard normal deviates drawn from `rng`, filled in row-major order
 * (one `rng.normal()` per element, first element first).
 */
export function sampleStandardNormal(rng: Rng, shape: readonly number[]): Tensor {
  if (!Array.isArray(shape))
    throw new TypeError(`shape: expected an array of non-negative integers, got ${String(shape)}`);
  shape.forEach((d, i) => assertInteger(d, `shape[${i}]`));
  return { data: rng.normals(sizeOf(shape)), shape: [...shape] };
}

/**
 * The reparameterization `z = μ + exp(½·clamp(log σ²))·ε`, elementwise, computed in float64 and
 * stored as float32; log σ² is clamped to `LOGVAR_CLAMP` = [−30, 20].
 * @param mu posterior mean, any shape.
 * @param logvar posterior log-variance, same shape as `mu`.
 * @param eps standard normal noise, same shape as `mu`.
 */
export function reparameterize(mu: Tensor, logvar: Tensor, eps: Tensor): Tensor {
  assertTensor(mu, 'mu');
  assertShape(logvar, mu.shape, 'logvar');
  assertShape(eps, mu.shape, 'eps');
  assertFinite(mu, 'mu');
  assertFinite(logvar, 'logvar');
  assertFinite(eps, 'eps');
  const out = new Float32Array(mu.data.length);
  for (let i = 0; i < out.length; i++) {
    out[i] = mu.data[i]! + Math.exp(0.5 * clampLogvar(logvar.data[i]!)) * eps.data[i]!;
  }
  return { data: out, shape: [...mu.shape] };
}

/**
 * One draw `z ~ q(z|x) = N(μ, σ²)`: ε from {@link sampleStandardNormal} (row-major), then
 * {@link reparameterize}. Returns ε too, so the draw can be replayed in another runtime.
 */
export function samplePosterior(mu: Tensor, logvar: Tensor, rng: Rng): { z: Tensor; eps: Tensor } {
  assertTensor(mu, 'mu');
  const eps = sampleStandardNormal(rng, mu.shape);
  return { z: reparameterize(mu, logvar, eps), eps };
}

/**
 * `n` draws from the prior N(0, I) scaled by `temperature` (default 1; 0 gives the prior mean),
 * as `[n, latentDim]`, in row-major order.
 */
export function samplePrior(rng: Rng, n: number, latentDim: number, temperature = 1): Tensor {
  assertInteger(n, 'n');
  assertInteger(latentDim, 'latentDim', 1);
  assertNumber(temperature, 'temperature', 0);
  const z = sampleStandardNormal(rng, [n, latentDim]);
  if (temperature !== 1) for (let i = 0; i < z.data.length; i++) z.data[i] = z.data[i]! * temperature;
  return z;
}

/** Validates a latent endpoint `[L]` or `[1, L]` and returns its values. */
function latentVector(t: Tensor, name: string, length: number | null = null): Float32Array {
  assertTensor(t, name);
  const ok = (t.shape.length === 1 || (t.shape.length === 2 && t.shape[0] === 1)) && t.data.length > 0;
  if (!ok) throw new RangeError(`${name}: expected shape [L] or [1, L], got [${t.shape.join(', ')}]`);
  if (length !== null && t.data.length !== length) {
    throw new RangeError(`${name}: expected ${length} latent values (as z0), got ${t.data.length}`);
  }
  assertFinite(t, name);
  return t.data;
}

/**
 * `steps` points on the segment from `z0` to `z1`, endpoints included: row i is
 * `(1 − tᵢ)·z0 + tᵢ·z1` with `tᵢ = i/(steps − 1)`.
 * @param z0 `[L]` or `[1, L]`. @param z1 same length. @param steps integer ≥ 2.
 * @returns `[steps, L]`.
 */
export function lerp(z0: Tensor, z1: Tensor, steps: number): Tensor {
  const a = latentVector(z0, 'z0');
  const b = latentVector(z1, 'z1', a.length);
  assertInteger(steps, 'steps', 2);
  const l = a.length;
  const out = new Float32Array(steps * l);
  for (let i = 0; i < steps; i++) {
    const t = i / (steps - 1);
    for (let j = 0; j < l; j++) out[i * l + j] = (1 - t) * a[j]! + t * b[j]!;
  }
  return { data: out, shape: [steps, l] };
}

/**
 * `steps` points of spherical linear interpolation from `z0` to `z1`, endpoints included:
 * `sin((1 − t)Ω)/sin Ω · z0 + sin(tΩ)/sin Ω · z1`, Ω the angle between them. Between unit vectors
 * every point has unit norm. Falls back to {@link lerp} when Ω is undefined or degenerate
 * (a zero vector, or sin Ω < 1e-6: nearly parallel or antiparallel endpoints).
 * @returns `[steps, L]`.
 */
export function slerp(z0: Tensor, z1: Tensor, steps: number): Tensor {
  const a = latentVector(z0, 'z0');
  const b = latentVector(z1, 'z1', a.length);
  assertInteger(steps, 'steps', 2);
  let dot = 0;
  let na = 0;
  let nb = 0;
  for (let j = 0; j < a.length; j++) {
    dot += a[j]! * b[j]!;
    na += a[j]! * a[j]!;
    nb += b[j]! * b[j]!;
  }
  if (na === 0 || nb === 0) return lerp(z0, z1, steps);
  const cos = Math.min(1, Math.max(-1, dot / Math.sqrt(na * nb)));
  const omega = Math.acos(cos);
  const sinOmega = Math.sin(omega);
  if (sinOmega < 1e-6) return lerp(z0, z1, steps);
  const l = a.length;
  const out = new Float32Array(steps * l);
  for (let i = 0; i < steps; i++) {
    const t = i / (steps - 1);
    const wa = Math.sin((1 - t) * omega) / sinOmega;
    const wb = Math.sin(t * omega) / sinOmega;
    for (let j = 0; j < l; j++) out[i * l + j] = wa * a[j]! + wb * b[j]!;
  }
  return { data: out, shape: [steps, l] };
}

/**
 * Latent traversal: for each dimension in `dims` (outer) and each value in `values` (inner), a copy
 * of `base` with that dimension set to that value. Row `i·values.length + k` has
 * `z[dims[i]] = values[k]`.
 * @param base `[L]` or `[1, L]`.
 * @returns `[dims.length·values.length, L]`.
 */
export function latentTraversal(base: Tensor, dims: readonly number[], values: readonly number[]): Tensor {
  const b = latentVector(base, 'base');
  const l = b.length;
  if (!Array.isArray(dims) || dims.length === 0)
    throw new RangeError(`dims: expected a non-empty array of latent indices, got ${JSON.stringify(dims)}`);
  if (!Array.isArray(values) || values.length === 0)
    throw new RangeError(`values: expected a non-empty array of numbers, got ${JSON.stringify(values)}`);
  dims.forEach((d, i) => assertInteger(d, `dims[${i}]`, 0, l - 1));
  values.forEach((v, i) => assertNumber(v, `values[${i}]`));
  const rows = dims.length * values.length;
  const out = new Float32Array(rows * l);
  let r = 0;
  for (const d of dims) {
    for (const v of values) {
      out.set(b, r * l);
      out[r * l + d] = v;
      r++;
    }
  }
  return { data: out, shape: [rows, l] };
}

/** One-hot encoding `[n, numClasses]` of integer labels in `[0, numClasses)`. */
export function oneHot(labels: ArrayLike<number>, numClasses: number): Tensor {
  assertInteger(numClasses, 'numClasses', 1);
  if (labels === null || typeof labels !== 'object' || typeof labels.length !== 'number') {
    throw new TypeError(`labels: expected an array of integer labels, got ${String(labels)}`);
  }
  const n = labels.length;
  const out = new Float32Array(n * numClasses);
  for (let i = 0; i < n; i++) {
    const c = assertInteger(labels[i], `labels[${i}]`, 0, numClasses - 1);
    out[i * numClasses + c] = 1;
  }
  return { data: out, shape: [n, numClasses] };
}

/** Elementwise logistic sigmoid (decoder logits → Bernoulli means), overflow-free. */
export function sigmoidTensor(logits: Tensor): Tensor {
  assertTensor(logits, 'logits');
  assertFinite(logits, 'logits');
  const out = new Float32Array(logits.data.length);
  for (let i = 0; i < out.length; i++) out[i] = sigmoid(logits.data[i]!);
  return { data: out, shape: [...logits.shape] };
}

/**
 * Φ⁻¹(p), the standard normal quantile (Acklam's rational approximation, relative error < 1.2e-9):
 * maps evenly spaced probabilities to latent coordinates that are evenly spaced in prior mass, as
 * in the manifold figure of Kingma & Welling (2014).
 * @param p probability in (0, 1).
 */
export function normalQuantile(p: number): number {
  if (!(p > 0 && p < 1)) throw new RangeError(`p: expected a probability in (0, 1), got ${p}`);
  const a = [
    -39.69683028665376, 220.9460984245205, -275.9285104469687, 138.357751867269, -30.66479806614716, 2.506628277459239,
  ];
  const b = [-54.47609879822406, 161.5858368580409, -155.6989798598866, 66.80131188771972, -13.28068155288572];
  const c = [
    -0.007784894002430293, -0.3223964580411365, -2.400758277161838, -2.549732539343734, 4.374664141464968,
    2.938163982698783,
  ];
  const d = [0.007784695709041462, 0.3224671290700398, 2.445134137142996, 3.754408661907416];
  const tail = (q: number): number =>
    (((((c[0]! * q + c[1]!) * q + c[2]!) * q + c[3]!) * q + c[4]!) * q + c[5]!) /
    ((((d[0]! * q + d[1]!) * q + d[2]!) * q + d[3]!) * q + 1);
  if (p < 0.02425) return tail(Math.sqrt(-2 * Math.log(p)));
  if (p > 1 - 0.02425) return -tail(Math.sqrt(-2 * Math.log(1 - p)));
  const q = p - 0.5;
  const r = q * q;
  return (
    ((((((a[0]! * r + a[1]!) * r + a[2]!) * r + a[3]!) * r + a[4]!) * r + a[5]!) * q) /
    (((((b[0]! * r + b[1]!) * r + b[2]!) * r + b[3]!) * r + b[4]!) * r + 1)
  );
}
