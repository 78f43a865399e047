/**
 * Principal component analysis for latent-space views (the latent map of the web demo and
 * `vae latent`). Exact: the covariance matrix is diagonalised with the cyclic Jacobi method in
 * float64, so the result is deterministic and independent of any seed. Cost is O(rows·dim² + dim³);
 * meant for latent codes (dim ≤ a few hundred), not for raw images.
 */

/** A fitted PCA: the first `k` principal axes of `dim`-dimensional data. */
export interface PrincipalComponents {
  /** Dimension of the data. */
  readonly dim: number;
  /** Number of components kept. */
  readonly k: number;
  /** Column means of the data, length `dim`. */
  readonly mean: Float64Array;
  /**
   * Unit-length principal axes, row-major `k × dim`, ordered by decreasing variance. Each axis's
   * sign is fixed so that its entry of largest magnitude is positive.
   */
  readonly components: Float64Array;
  /** Variance of the data along each axis (eigenvalues, population variance), length `k`. */
  readonly variances: Float64Array;
  /** Total variance of the data (trace of the covariance); `variances[i] / totalVariance` is the explained ratio. */
  readonly totalVariance: number;
}

const MAX_SWEEPS = 100;

function assertLayout(data: ArrayLike<number>, rows: number, dim: number, name: string): void {
  if (!Number.isInteger(rows) || rows < 1) throw new RangeError(`rows: expected an integer ≥ 1, got ${rows}`);
  if (!Number.isInteger(dim) || dim < 1) throw new RangeError(`dim: expected an integer ≥ 1, got ${dim}`);
  if (data.length !== rows * dim) {
    throw new RangeError(`${name}: expected rows × dim = ${rows} × ${dim} = ${rows * dim} values, got ${data.length}`);
  }
}

/** Population covariance of row-major data, float64, together with the column means. */
function covariance(data: ArrayLike<number>, rows: number, dim: number): { mean: Float64Array; cov: Float64Array } {
  const mean = new Float64Array(dim);
  for (let r = 0; r < rows; r++) {
    for (let j = 0; j < dim; j++) {
      const v = data[r * dim + j]!;
      if (!Number.isFinite(v)) throw new RangeError(`data: expected finite values, got ${v} at [${r}, ${j}]`);
      mean[j] = mean[j]! + v;
    }
  }
  for (let j = 0; j < dim; j++) mean[j] = mean[j]! / rows;
  const cov = new Float64Array(dim * dim);
  const centred = new Float64Array(dim);
  for (let r = 0; r < rows; r++) {
    for (let j = 0; j < dim; j++) centred[j] = data[r * dim + j]! - mean[j]!;
    for (let a = 0; a < dim; a++) {
      const ca = centred[a]!;
      if (ca === 0) continue;
      for (let b = a; b < dim; b++) cov[a * dim + b] = cov[a * dim + b]! + ca * centred[b]!;
    }
  }
  for (let a = 0; a < dim; a++) {
    for (let b = a; b < dim; b++) {
      const v = cov[a * dim + b]! / rows;
      cov[a * dim + b] = v;
      cov[b * dim + a] = v;
    }
  }
  return { mean, cov };
}

/**
 * Eigen-decomposition of a symmetric matrix by cyclic Jacobi rotations. Returns eigenvalues and
 * the eigenvectors as the columns of `vectors` (row-major `n × n`). `a` is overwritten.
 */
function jacobiEigen(a: Float64Array, n: number): { values: Float64Array; vectors: Float64Array } {
  const v = new Float64Array(n * n);
  for (let i = 0; i < n; i++) v[i * n + i] = 1;
  let scale = 0;
  for (let i = 0; i < n * n; i++) scale = Math.max(scale, Math.abs(a[i]!));
  for (let sweep = 0; sweep < MAX_SWEEPS; sweep++) {
    let off = 0;
    for (let p = 0; p < n; p++) for (let q = p + 1; q < n; q++) off = Math.max(off, Math.abs(a[p * n + q]!));
    if (off <= 1e-15 * scale || off === 0) break;
    for (let p = 0; p < n; p++) {
      for (let q = p + 1; q < n; q++) {
        const apq = a[p * n + q]!;
        if (apq === 0) continue;
        const theta = (a[q * n + q]! - a[p * n + p]!) / (2 * apq);
        const t = Math.sign(theta || 1) / (Math.abs(theta) + Math.sqrt(theta * theta + 1));
        const c = 1 / Math.sqrt(t * t + 1);
        const s = t * c;
        for (let k = 0; k < n; k++) {
          const akp = a[k * n + p]!;
          const akq = a[k * n + q]!;
          a[k * n + p] = c * akp - s * akq;
          a[k * n + q] = s * akp + c * akq;
        }
        for (let k = 0; k < n; k++) {
          const apk = a[p * n + k]!;
          const aqk = a[q * n + k]!;
          a[p * n + k] = c * apk - s * aqk;
          a[q * n + k] = s * apk + c * aqk;
        }
        for (let k = 0; k < n; k++) {
          const vkp = v[k * n + p]!;
          const vkq = v[k * n + q]!;
          v[k * n + p] = c * vkp - s * vkq;
          v[k * n + q] = s * vkp + c * vkq;
        }
      }
    }
  }
  const values = new Float64Array(n);
  for (let i = 0; i < n; i++) values[i] = a[i * n + i]!;
  return { values, vectors: v };
}

/**
 * Fits a PCA to `rows × dim` row-major data and keeps the first `k` principal axes.
 * @param data row-major values, length `rows × dim`, all finite.
 * @param rows number of samples (≥ 1).
 * @param dim dimension of each sample (≥ 1).
 * @param k number of components to keep, 1 ≤ k ≤ dim (default 2, or `dim` when smaller).
 */
export function fitPca(data: ArrayLike<number>, rows: number, dim: number, k = Math.min(2, dim)): PrincipalComponents {
  assertLayout(data, rows, dim, 'data');
  if (!Number.isInteger(k) || k < 1 || k > dim) throw new RangeError(`k: expected an integer in [1, ${dim}], got ${k}`);
  const { mean, cov } = covariance(data, rows, dim);
  let totalVariance = 0;
  for (let j = 0; j < dim; j++) totalVariance += cov[j * dim + j]!;
  const { values, vectors } = jacobiEigen(cov, dim);
  const order = Array.from({ length: dim }, (_, i) => i).sort((x, y) => values[y]! - values[x]! || x - y);
  const components = new Float64Array(k * dim);
  const variances = new Float64Array(k);
  for (let c = 0; c < k; c++) {
    const col = order[c]!;
    variances[c] = Math.max(0, values[col]!);
    let largest = 0;
    for (let j = 0; j < dim; j++) {
      const x = vectors[j * dim + col]!;
      if (Math.abs(x) > Math.abs(largest)) largest = x;
    }
    const sign = largest < 0 ? -1 : 1;
    for (let j = 0; j < dim; j++) components[c * dim + j] = sign * vectors[j * dim + col]!;
  }
  return { dim, k, mean, components, variances, totalVariance };
}

/**
 * Projects `rows × dim` row-major data on the fitted axes: `(x − mean) · components[c]`.
 * @returns row-major `rows × k` coordinates.
 */
export function projectPca(pca: PrincipalComponents, data: ArrayLike<number>, rows: number): Float32Array {
  assertLayout(data, rows, pca.dim, 'data');
  const { dim, k, mean, components } = pca;
  const out = new Float32Array(rows * k);
  for (let r = 0; r < rows; r++) {
    for (let c = 0; c < k; c++) {
      let s = 0;
      for (let j = 0; j < dim; j++) s += (data[r * dim + j]! - mean[j]!) * components[c * dim + j]!;
      out[r * k + c] = s;
    }
  }
  return out;
}
