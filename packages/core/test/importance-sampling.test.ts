import { describe, expect, it } from 'vitest';
import {
  DEFAULT_ROWS_PER_RUN,
  Rng,
  activeUnits,
  importanceSampledLogLikelihood,
  planSampleRuns,
  klStandardNormal,
  tensor,
  type Tensor,
} from '../src/index.js';

/** Linear-Gaussian model p(z) = N(0, I), p(x|z) = N(Wz + b, σ²I), with a closed-form marginal. */
const D = 4;
const L = 2;
const SIGMA = 0.5;
const W = [
  [1.2, -0.4],
  [0.3, 0.9],
  [-0.8, 0.5],
  [0.1, -1.1],
];
const B = [0.2, -0.1, 0.4, 0];
const HALF_LOG_2PI = 0.5 * Math.log(2 * Math.PI);

function cholesky(a: number[][]): number[][] {
  const n = a.length;
  const l = a.map(() => new Array<number>(n).fill(0));
  for (let i = 0; i < n; i++) {
    for (let j = 0; j <= i; j++) {
      let s = a[i]![j]!;
      for (let k = 0; k < j; k++) s -= l[i]![k]! * l[j]![k]!;
      l[i]![j] = i === j ? Math.sqrt(s) : s / l[j]![j]!;
    }
  }
  return l;
}

/** log N(x; b, WWᵀ + σ²I). */
function exactLogMarginal(x: number[]): number {
  const cov = W.map((wi, i) => W.map((wj, j) => wi[0]! * wj[0]! + wi[1]! * wj[1]! + (i === j ? SIGMA * SIGMA : 0)));
  const c = cholesky(cov);
  const r = x.map((v, i) => v - B[i]!);
  const y: number[] = [];
  for (let i = 0; i < D; i++) {
    let s = r[i]!;
    for (let k = 0; k < i; k++) s -= c[i]![k]! * y[k]!;
    y.push(s / c[i]![i]!);
  }
  let logDet = 0;
  for (let i = 0; i < D; i++) logDet += 2 * Math.log(c[i]![i]!);
  return -0.5 * y.reduce((s, v) => s + v * v, 0) - 0.5 * logDet - D * HALF_LOG_2PI;
}

/** True posterior N(m, S) (full covariance), then a deliberately imperfect diagonal q. */
function imperfectPosterior(x: number[]): { mu: number[]; logvar: number[] } {
  const p = [
    [1, 0],
    [0, 1],
  ];
  for (let i = 0; i < D; i++)
    for (let a = 0; a < L; a++) for (let b = 0; b < L; b++) p[a]![b]! += (W[i]![a]! * W[i]![b]!) / SIGMA ** 2;
  const det = p[0]![0]! * p[1]![1]! - p[0]![1]! * p[1]![0]!;
  const s = [
    [p[1]![1]! / det, -p[0]![1]! / det],
    [-p[1]![0]! / det, p[0]![0]! / det],
  ];
  const wtr = [0, 1].map((a) => x.reduce((acc, v, i) => acc + (W[i]![a]! * (v - B[i]!)) / SIGMA ** 2, 0));
  const m = [0, 1].map((a) => s[a]![0]! * wtr[0]! + s[a]![1]! * wtr[1]!);
  return { mu: [m[0]! + 0.3, m[1]! - 0.2], logvar: [Math.log(s[0]![0]!) + 0.7, Math.log(s[1]![1]!) + 0.4] };
}

/** Analytic ELBO E_q[log p(x|z)] − KL for the linear-Gaussian model and a diagonal q. */
function analyticElbo(x: number[], mu: number[], logvar: number[]): number {
  let ell = 0;
  for (let i = 0; i < D; i++) {
    const mean = W[i]![0]! * mu[0]! + W[i]![1]! * mu[1]! + B[i]!;
    const varTerm = W[i]![0]! ** 2 * Math.exp(logvar[0]!) + W[i]![1]! ** 2 * Math.exp(logvar[1]!);
    ell += -((x[i]! - mean) ** 2 + varTerm) / (2 * SIGMA ** 2) - Math.log(SIGMA) - HALF_LOG_2PI;
  }
  const kl = 0.5 * mu.reduce((s, m, j) => s + m * m + Math.exp(logvar[j]!) - 1 - logvar[j]!, 0);
  return ell - kl;
}

const decodeLinear = async (z: Tensor): Promise<Tensor> => {
  const n = z.shape[0]!;
  const out = new Float32Array(n * D);
  for (let r = 0; r < n; r++) {
    for (let i = 0; i < D; i++) out[r * D + i] = W[i]![0]! * z.data[r * L]! + W[i]![1]! * z.data[r * L + 1]! + B[i]!;
  }
  return { data: out, shape: [n, D] };
};

function dataset(n: number, seed: number): { x: Tensor; mu: Tensor; logvar: Tensor; rows: number[][] } {
  const rng = new Rng(seed);
  const rows: number[][] = [];
  const mus: number[] = [];
  const lvs: number[] = [];
  for (let r = 0; r < n; r++) {
    const z = [rng.normal(), rng.normal()];
    const x = W.map((w, i) => Math.fround(w[0]! * z[0]! + w[1]! * z[1]! + B[i]! + SIGMA * rng.normal()));
    rows.push(x);
    const q = imperfectPosterior(x);
    mus.push(...q.mu.map(Math.fround));
    lvs.push(...q.logvar.map(Math.fround));
  }
  return { x: tensor(rows.flat(), [n, D]), mu: tensor(mus, [n, L]), logvar: tensor(lvs, [n, L]), rows };
}

function isOptions(d: ReturnType<typeof dataset>, samples: number, seed: number, chunkSize?: number) {
  return {
    x: d.x,
    mu: d.mu,
    logvar: d.logvar,
    samples,
    rng: new Rng(seed),
    likelihood: 'gaussian' as const,
    sigma: SIGMA,
    decode: decodeLinear,
    ...(chunkSize === undefined ? {} : { chunkSize }),
  };
}

type SeenRun = { z: number[]; rows: number[] };

/** A linear decoder that records each run's latent rows and example indices into `seen`. */
function recordingDecode(seen: SeenRun[]) {
  return async (z: Tensor, rows: ArrayLike<number>) => {
    seen.push({ z: Array.from(z.data), rows: Array.from(rows) });
    return decodeLinear(z);
  };
}

/** Each run's z is μ (10 × example index) + ε, ε drawn from `ref` in run, row, latent-dim order. */
function expectEpsInOrder(seen: readonly SeenRun[], ref: Rng): void {
  const expected = seen.map((s) => s.rows.flatMap((b) => [0, 1].map(() => Math.fround(10 * b + ref.normal()))));
  expect(seen.map((s) => s.z)).toEqual(expected);
}
describe('importanceSampledLogLikelihood on a linear-Gaussian model', () => {
  const data = dataset(16, 100);
  const exact = data.rows.map(exactLogMarginal);
  const qParams = (b: number) => ({
    mu: Array.from(data.mu.data.subarray(b * L, b * L + L)),
    logvar: Array.from(data.logvar.data.subarray(b * L, b * L + L)),
  });

  it('error against the closed-form log p(x) shrinks as K grows (K = 1, 10, 100, 1000)', async () => {
    const errors: number[] = [];
    const means: number[] = [];
    for (const k of [1, 10, 100, 1000]) {
      const est = await importanceSampledLogLikelihood(isOptions(data, k, 7));
      errors.push(est.reduce((s, v, b) => s + Math.abs(v - exact[b]!), 0) / est.length);
      means.push(est.reduce((s, v, b) => s + (v - exact[b]!), 0) / est.length);
    }
    for (let i = 1; i < errors.length; i++) expect(errors[i]).toBeLessThan(errors[i - 1]!);
    // Measured: mean |error| 1.89, 0.26, 0.11, 0.024 nats; it keeps shrinking like 1/√K beyond.
    expect(errors[0]).toBeGreaterThan(1);
    expect(errors[3]).toBeLessThan(0.05);
    expect(errors[3]).toBeLessThan(errors[0]! / 30);
    // A lower bound in expectation: the estimates sit below log p(x) on average.
    expect(means[0]).toBeLessThan(0);
    expect(means[1]).toBeLessThan(0);
  });

  it('K = 1 equals the single-sample ELBO estimate log p(x|z) + log p(z) − log q(z|x), with ε in the documented order', async () => {
    const est = await importanceSampledLogLikelihood(isOptions(data, 1, 11));
    const rng = new Rng(11);
    for (let b = 0; b < data.rows.length; b++) {
      const { mu, logvar } = qParams(b);
      const eps = [rng.normal(), rng.normal()];
      const z = eps.map((e, j) => Math.fround(mu[j]! + Math.exp(0.5 * logvar[j]!) * e));
      const mean = W.map((w, i) => Math.fround(w[0]! * z[0]! + w[1]! * z[1]! + B[i]!));
      let ll = 0;
      for (let i = 0; i < D; i++)
        ll += -0.5 * ((data.rows[b]![i]! - mean[i]!) / SIGMA) ** 2 - Math.log(SIGMA) - HALF_LOG_2PI;
      const logPz = z.reduce((s, v) => s - 0.5 * v * v - HALF_LOG_2PI, 0);
      const logQ = eps.reduce((s, e, j) => s - 0.5 * e * e - 0.5 * logvar[j]! - HALF_LOG_2PI, 0);
      expect(est[b]).toBeCloseTo(ll + logPz - logQ, 5);
    }
  });

  it('K = 1 averages to the analytic ELBO; ELBO ≤ IS(K = 10) ≤ log p(x) on average; KL ≥ 0', async () => {
    const one = dataset(1, 100);
    const reps = 4000;
    const repeated = {
      x: tensor(Array.from({ length: reps }, () => Array.from(one.x.data)).flat(), [reps, D]),
      mu: tensor(Array.from({ length: reps }, () => Array.from(one.mu.data)).flat(), [reps, L]),
      logvar: tensor(Array.from({ length: reps }, () => Array.from(one.logvar.data)).flat(), [reps, L]),
      rows: [],
    };
    const est = await importanceSampledLogLikelihood(isOptions(repeated, 1, 5));
    const m = est.reduce((s, v) => s + v, 0) / reps;
    const sd = Math.sqrt(est.reduce((s, v) => s + (v - m) ** 2, 0) / (reps - 1));
    const elbo = analyticElbo(one.rows[0]!, Array.from(one.mu.data), Array.from(one.logvar.data));
    expect(Math.abs(m - elbo)).toBeLessThan(4 * (sd / Math.sqrt(reps)));
    const many = dataset(256, 300);
    const manyExact = many.rows.map(exactLogMarginal);
    const elbos = many.rows.map((x, b) =>
      analyticElbo(
        x,
        Array.from(many.mu.data.subarray(b * L, b * L + L)),
        Array.from(many.logvar.data.subarray(b * L, b * L + L)),
      ),
    );
    const is10 = await importanceSampledLogLikelihood(isOptions(many, 10, 3));
    for (let b = 0; b < elbos.length; b++) expect(elbos[b]).toBeLessThan(manyExact[b]!);
    const avg = (a: ArrayLike<number>): number => Array.from(a).reduce((s, v) => s + v, 0) / a.length;
    expect(avg(elbos)).toBeLessThan(avg(is10));
    expect(avg(is10)).toBeLessThan(avg(manyExact));
    for (const v of klStandardNormal(many.mu, many.logvar)) expect(v).toBeGreaterThanOrEqual(0);
  });

  it('chunking does not change the result for one example', async () => {
    const one = dataset(1, 200);
    const ref = await importanceSampledLogLikelihood(isOptions(one, 250, 9, 250));
    for (const chunk of [1, 3, 100, 1000]) {
      const est = await importanceSampledLogLikelihood(isOptions(one, 250, 9, chunk));
      expect(est[0]).toBe(ref[0]);
    }
    const calls: number[] = [];
    await importanceSampledLogLikelihood({
      ...isOptions(one, 250, 9, 100),
      decode: async (z) => {
        calls.push(z.shape[0]!);
        return decodeLinear(z);
      },
    });
    expect(calls).toEqual([100, 100, 50]);
  });

  it('decodes rows example-major within a chunk, ε drawn per chunk, example, sample, latent dim', async () => {
    const x = tensor([0.1, 0.2, 0.3, 0.4, 0.5, 0.6, 0.7, 0.8], [2, D]);
    const mu = tensor([0, 0, 10, 10], [2, L]);
    const logvar = tensor([0, 0, 0, 0], [2, L]);
    const seen: SeenRun[] = [];
    await importanceSampledLogLikelihood({
      x,
      mu,
      logvar,
      samples: 5,
      chunkSize: 3,
      rng: new Rng(4),
      likelihood: 'gaussian',
      sigma: 1,
      decode: recordingDecode(seen),
    });
    expect(seen.map((s) => s.rows)).toEqual([
      [0, 0, 0, 1, 1, 1],
      [0, 0, 1, 1],
    ]);
    expectEpsInOrder(seen, new Rng(4));
  });
});

describe('planSampleRuns (decoded rows per run)', () => {
  it('keeps every example in every run with an explicit chunkSize', () => {
    expect(planSampleRuns(1000, 1000, { chunkSize: 100 })).toEqual({ groupSize: 1000, chunkSize: 100 });
  });

  it('by default fills about DEFAULT_ROWS_PER_RUN rows with balanced chunks and groups', () => {
    for (const [batch, samples] of [
      [1, 5000],
      [10, 1000],
      [1000, 1000],
      [60000, 1],
      [7, 3],
    ] as const) {
      const { groupSize, chunkSize } = planSampleRuns(batch, samples);
      expect(groupSize * chunkSize).toBeLessThanOrEqual(Math.max(DEFAULT_ROWS_PER_RUN, 1));
      expect(groupSize).toBeLessThanOrEqual(batch);
    }
    expect(planSampleRuns(10, 1000, { rowsPerRun: 4096 })).toEqual({ groupSize: 4, chunkSize: 1000 });
    expect(planSampleRuns(10000, 1000, { rowsPerRun: 4096 })).toEqual({ groupSize: 4, chunkSize: 1000 });
    expect(planSampleRuns(1, 5000, { rowsPerRun: 4096 })).toEqual({ groupSize: 1, chunkSize: 2500 });
    expect(planSampleRuns(60000, 1, { rowsPerRun: 4096 })).toEqual({ groupSize: 4000, chunkSize: 1 });
    expect(planSampleRuns(7, 3, { rowsPerRun: 4096 })).toEqual({ groupSize: 7, chunkSize: 3 });
  });

  it('rejects a bad budget or both options, naming them', () => {
    expect(() => planSampleRuns(2, 2, { rowsPerRun: 0 })).toThrow(/^rowsPerRun: expected an integer in \[1, /);
    expect(() => planSampleRuns(2, 2, { chunkSize: 1, rowsPerRun: 4 })).toThrow(
      /^chunkSize, rowsPerRun: expected at most one of them, got chunkSize 1 and rowsPerRun 4$/,
    );
  });

  it('takes all samples of a group of examples per run, K in chunks when it exceeds the budget; ε drawn per group, chunk, example, sample', async () => {
    const x = tensor([0.1, 0.2, 0.3, 0.4, 0.5, 0.6, 0.7, 0.8, 0.9, 1, 1.1, 1.2], [3, D]);
    const mu = tensor([0, 0, 10, 10, 20, 20], [3, L]);
    const logvar = tensor([0, 0, 0, 0, 0, 0], [3, L]);
    for (const [samples, rowsPerRun, runs] of [
      [
        2,
        4,
        [
          [0, 0, 1, 1],
          [2, 2],
        ],
      ], // groups of 2 and 1 examples × both samples
      [3, 2, [[0, 0], [0], [1, 1], [1], [2, 2], [2]]], // one example per run, K=3 in chunks of 2 and 1
    ] as const) {
      const seen: SeenRun[] = [];
      const est = await importanceSampledLogLikelihood({
        x,
        mu,
        logvar,
        samples,
        rowsPerRun,
        rng: new Rng(4),
        likelihood: 'gaussian',
        sigma: 1,
        decode: recordingDecode(seen),
      });
      expect(seen.map((s) => s.rows)).toEqual(runs);
      expectEpsInOrder(seen, new Rng(4));
      expect(est.every(Number.isFinite)).toBe(true);
    }
  });
});

describe('importanceSampledLogLikelihood, Bernoulli and validation', () => {
  it('with q = prior and a constant decoder the estimate is exactly log p(x) = −D log 2 for every K', async () => {
    const x = tensor([1, 0, 1, 1, 0, 0, 0.5, 1], [2, 4]);
    const zeros = tensor(new Float32Array(6), [2, 3]);
    for (const samples of [1, 7, 64]) {
      const est = await importanceSampledLogLikelihood({
        x,
        mu: zeros,
        logvar: zeros,
        samples,
        chunkSize: 5,
        rng: new Rng(samples),
        likelihood: 'bernoulli',
        sigma: 1,
        decode: async (z) => ({ data: new Float32Array(z.shape[0]! * 4), shape: [z.shape[0]!, 4] }),
      });
      expect(est[0]).toBeCloseTo(-4 * Math.log(2), 12);
      expect(est[1]).toBeCloseTo(-4 * Math.log(2), 12);
    }
  });

  it('rejects bad inputs, naming the argument', async () => {
    const x = tensor([0, 1], [1, 2]);
    const mu = tensor([0], [1, 1]);
    const base = {
      x,
      mu,
      logvar: mu,
      samples: 2,
      rng: new Rng(1),
      likelihood: 'bernoulli' as const,
      sigma: 1,
      decode: async (z: Tensor) => ({ data: new Float32Array(z.shape[0]! * 2), shape: [z.shape[0]!, 2] }),
    };
    await expect(importanceSampledLogLikelihood({ ...base, samples: 0 })).rejects.toThrow(
      /^samples: expected an integer in \[1, \d+\], got 0/,
    );
    await expect(importanceSampledLogLikelihood({ ...base, samples: 2.5 })).rejects.toThrow(/^samples:/);
    await expect(importanceSampledLogLikelihood({ ...base, chunkSize: 0 })).rejects.toThrow(
      /^chunkSize: expected an integer in \[1, /,
    );
    await expect(importanceSampledLogLikelihood({ ...base, mu: tensor([0, 0], [2, 1]) })).rejects.toThrow(
      /^mu: expected shape \[1, batch\], got \[2, 1\]/,
    );
    await expect(importanceSampledLogLikelihood({ ...base, logvar: tensor([0, 0], [1, 2]) })).rejects.toThrow(
      /^logvar: expected shape \[1, 1\], got \[1, 2\]/,
    );
    await expect(importanceSampledLogLikelihood({ ...base, mu: tensor([Number.NaN], [1, 1]) })).rejects.toThrow(
      /^mu: expected finite values, got NaN/,
    );
    await expect(importanceSampledLogLikelihood({ ...base, x: tensor([0, 2], [1, 2]) })).rejects.toThrow(
      /^x: expected values in \[0, 1\]/,
    );
    await expect(importanceSampledLogLikelihood({ ...base, likelihood: 'gaussian', sigma: 0 })).rejects.toThrow(
      /^sigma: expected a finite number/,
    );
    await expect(importanceSampledLogLikelihood({ ...base, likelihood: 'laplace' as 'gaussian' })).rejects.toThrow(
      /^likelihood: expected one of bernoulli\|gaussian/,
    );
    await expect(
      importanceSampledLogLikelihood({ ...base, decode: undefined as unknown as typeof base.decode }),
    ).rejects.toThrow(/^decode: expected a function/);
    await expect(
      importanceSampledLogLikelihood({ ...base, decode: async () => tensor([0, 0, 0], [1, 3]) }),
    ).rejects.toThrow(/^decode\(z, rows\) result: expected shape \[2, 2\], got \[1, 3\]/);
    await expect(
      importanceSampledLogLikelihood({
        ...base,
        decode: async (z) => ({ data: new Float32Array(z.shape[0]! * 2).fill(Number.NaN), shape: [z.shape[0]!, 2] }),
      }),
    ).rejects.toThrow(/^decode\(z, rows\) result: expected finite values/);
  });
});

describe('activeUnits', () => {
  it('counts latent dims whose variance of μ over the data exceeds the threshold', () => {
    const mu = tensor([1, 5, 0.1, -1, 5, 0, 1, 5, 0.1, -1, 5, 0], [4, 3]);
    const { count, variances } = activeUnits(mu);
    expect(count).toBe(1);
    expect(variances[0]).toBeCloseTo(1, 12);
    expect(variances[1]).toBe(0);
    expect(variances[2]).toBeCloseTo(Math.fround(0.1) ** 2 / 4, 12);
    expect(activeUnits(mu, 0.001).count).toBe(2);
    expect(() => activeUnits(mu, -1)).toThrow(/^threshold: expected a finite number in \[0, Infinity\], got -1/);
    expect(() => activeUnits(tensor([], [0, 3]))).toThrow(/^mu: expected at least one row, got 0/);
    expect(() => activeUnits(tensor([1, 2], [2]))).toThrow(/^mu: expected shape/);
  });
});
