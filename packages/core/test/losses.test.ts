import { describe, expect, it } from 'vitest';
import {
  LOGVAR_CLAMP,
  Rng,
  bernoulliLogLikelihood,
  betaObjective,
  clampLogvar,
  contractivePenalty,
  elbo,
  gaussianLogLikelihood,
  klDiagonalGaussians,
  klPerDimension,
  klSparsity,
  klStandardNormal,
  l1Sparsity,
  logLikelihood,
  logSigmoid,
  logSumExp,
  mean,
  sigmoid,
  softplus,
  tensor,
  type Tensor,
} from '../src/index.js';

const LOG2 = Math.log(2);

function randomTensor(rng: Rng, shape: number[], scale = 1, offset = 0): Tensor {
  const t = tensor(new Float32Array(shape.reduce((a, b) => a * b, 1)), shape);
  for (let i = 0; i < t.data.length; i++) t.data[i] = offset + scale * (2 * rng.uniform() - 1);
  return t;
}

describe('scalar helpers', () => {
  it('logSumExp subtracts the max: stable at ±1e4 and exact on simple inputs', () => {
    expect(logSumExp([0, 0])).toBeCloseTo(LOG2, 15);
    expect(logSumExp([1e4, 1e4])).toBe(1e4 + LOG2);
    expect(logSumExp([-1e4, -1e4])).toBe(-1e4 + LOG2);
    expect(logSumExp([1e4, -1e4])).toBe(1e4);
    expect(logSumExp([1000, 999])).toBeCloseTo(1000 + Math.log1p(Math.exp(-1)), 12);
    expect(logSumExp(new Float64Array([Math.log(1), Math.log(2), Math.log(3)]))).toBeCloseTo(Math.log(6), 15);
    expect(logSumExp([])).toBe(-Infinity);
    expect(logSumExp([-Infinity, -Infinity])).toBe(-Infinity);
    expect(logSumExp([Infinity, 0])).toBe(Infinity);
    expect(logSumExp([0, Number.NaN])).toBeNaN();
  });

  it('softplus, logSigmoid and sigmoid are finite and correct at ±1e4 and match naive forms in range', () => {
    expect(softplus(1e4)).toBe(1e4);
    expect(softplus(-1e4)).toBe(0);
    expect(logSigmoid(-1e4)).toBe(-1e4);
    expect(logSigmoid(1e4)).toBe(-0);
    expect(sigmoid(1e4)).toBe(1);
    expect(sigmoid(-1e4)).toBe(0);
    expect(softplus(-50)).toBeCloseTo(Math.exp(-50), 30);
    expect(softplus(-50)).toBeGreaterThan(0);
    for (const x of [-20, -3.5, -1, 0, 0.25, 2, 15]) {
      expect(softplus(x)).toBeCloseTo(Math.log(1 + Math.exp(x)), 13);
      expect(logSigmoid(x)).toBeCloseTo(Math.log(1 / (1 + Math.exp(-x))), 13);
      expect(sigmoid(x)).toBeCloseTo(1 / (1 + Math.exp(-x)), 15);
    }
  });

  it('clamps logvar to [-30, 20]', () => {
    expect(LOGVAR_CLAMP).toEqual([-30, 20]);
    expect(Object.isFrozen(LOGVAR_CLAMP)).toBe(true);
    expect(clampLogvar(-100)).toBe(-30);
    expect(clampLogvar(100)).toBe(20);
    expect(clampLogvar(1.5)).toBe(1.5);
  });

  it('mean is a float64 mean and rejects empty input', () => {
    expect(mean([1, 2, 3, 4])).toBe(2.5);
    expect(mean(new Float64Array([0.1, 0.2]))).toBeCloseTo(0.15, 16);
    expect(() => mean([])).toThrow(/^values: expected at least one value, got 0/);
  });
});

describe('likelihoods', () => {
  it('Bernoulli from logits: Σ x·ℓ − softplus(ℓ), no Gaussian constant', () => {
    const x = tensor([0, 1, 0.5, 1, 0, 0.25], [2, 3]);
    const logits = tensor([0, 0, 0, 2, -1, 3], [2, 3]);
    const ll = bernoulliLogLikelihood(x, logits);
    expect(ll).toBeInstanceOf(Float64Array);
    expect(ll[0]).toBeCloseTo(-3 * LOG2, 12);
    const row1 =
      1 * 2 - Math.log(1 + Math.exp(2)) + (0 - Math.log(1 + Math.exp(-1))) + (0.25 * 3 - Math.log(1 + Math.exp(3)));
    expect(ll[1]).toBeCloseTo(row1, 6);
  });

  it('Bernoulli is stable for logits ±1e4 (no Inf/NaN)', () => {
    const x = tensor([1, 0, 1, 0], [1, 4]);
    const logits = tensor([1e4, -1e4, -1e4, 1e4], [1, 4]);
    const ll = bernoulliLogLikelihood(x, logits);
    expect(Number.isFinite(ll[0])).toBe(true);
    expect(ll[0]).toBe(-2e4);
    expect(bernoulliLogLikelihood(tensor([1, 0], [1, 2]), tensor([1e4, -1e4], [1, 2]))[0]).toBe(0);
  });

  it('Gaussian with fixed σ includes −log σ − ½ log 2π per pixel', () => {
    const sigma = 0.1;
    const x = tensor([0.2, 0.4, 0.9, 0.1], [2, 2]);
    const m = tensor([0.2, 0.5, 0.7, 0.1], [2, 2]);
    const ll = gaussianLogLikelihood(x, m, sigma);
    const c = -Math.log(sigma) - 0.5 * Math.log(2 * Math.PI);
    const f32 = (v: number): number => Math.fround(v);
    const r = (a: number, b: number): number => -0.5 * ((f32(a) - f32(b)) / sigma) ** 2 + c;
    expect(ll[0]).toBeCloseTo(r(0.2, 0.2) + r(0.4, 0.5), 10);
    expect(ll[1]).toBeCloseTo(r(0.9, 0.7) + r(0.1, 0.1), 10);
    expect(ll[0]).toBeCloseTo(2 * c - 0.5, 5);
    expect(logLikelihood('gaussian', x, m, sigma)).toEqual(ll);
    expect(logLikelihood('bernoulli', x, m, sigma)).toEqual(bernoulliLogLikelihood(x, m));
  });

  it('validates shapes, values and sigma, naming the argument', () => {
    const x = tensor([0, 1], [1, 2]);
    expect(() => bernoulliLogLikelihood(x, tensor([0, 1, 2], [1, 3]))).toThrow(
      /^logits: expected shape \[1, 2\], got \[1, 3\]/,
    );
    expect(() => bernoulliLogLikelihood(tensor([0, 1], [2]), x)).toThrow(
      /^x: expected shape \[batch, batch\], got \[2\]/,
    );
    expect(() => bernoulliLogLikelihood(x, tensor([0, Number.NaN], [1, 2]))).toThrow(
      /^logits: expected finite values, got NaN at flat index 1/,
    );
    expect(() => bernoulliLogLikelihood(tensor([0, 1.5], [1, 2]), x)).toThrow(
      /^x: expected values in \[0, 1\], got 1.5/,
    );
    expect(() => gaussianLogLikelihood(x, x, 0)).toThrow(/^sigma: expected a finite number/);
    expect(() => gaussianLogLikelihood(x, x, Number.NaN)).toThrow(/^sigma:/);
    expect(() => logLikelihood('poisson' as 'bernoulli', x, x, 1)).toThrow(
      /^likelihood: expected one of bernoulli\|gaussian, got "poisson"/,
    );
    expect(() => bernoulliLogLikelihood({ data: new Float32Array(3), shape: [1, 2] }, x)).toThrow(
      /^x: expected 2 values/,
    );
    expect(() => bernoulliLogLikelihood([0, 1] as unknown as Tensor, x)).toThrow(/^x: expected a tensor/);
  });
});

describe('KL divergences', () => {
  it('klStandardNormal matches ½ Σ (μ² + σ² − 1 − log σ²), is ≥ 0 and 0 at the prior', () => {
    const mu = tensor([0, 0, 1, -2], [2, 2]);
    const lv = tensor([0, 0, Math.log(0.5), 1], [2, 2]);
    const kl = klStandardNormal(mu, lv);
    expect(kl[0]).toBe(0);
    const f = (m: number, v: number): number => 0.5 * (m * m + Math.exp(v) - 1 - v);
    expect(kl[1]).toBeCloseTo(f(1, Math.fround(Math.log(0.5))) + f(-2, 1), 12);
    const rng = new Rng(4);
    const kls = klStandardNormal(randomTensor(rng, [200, 5], 3), randomTensor(rng, [200, 5], 5));
    for (const v of kls) expect(v).toBeGreaterThanOrEqual(0);
  });

  it('clamps logvar in the KL (finite for huge/tiny logvar)', () => {
    const mu = tensor([0, 0], [2, 1]);
    const kl = klStandardNormal(mu, tensor([-1000, 1000], [2, 1]));
    expect(kl[0]).toBeCloseTo(0.5 * (Math.exp(-30) - 1 + 30), 12);
    expect(kl[1]).toBeCloseTo(0.5 * (Math.exp(20) - 1 - 20), 6);
  });

  it('closed form agrees with a Monte Carlo estimate E_q[log q − log p]', () => {
    const mu = tensor([0.7, -1.2, 0.3], [1, 3]);
    const lv = tensor([-0.8, 0.4, -2], [1, 3]);
    const closed = klStandardNormal(mu, lv)[0]!;
    const rng = new Rng(123);
    const n = 200_000;
    let s = 0;
    let s2 = 0;
    for (let i = 0; i < n; i++) {
      let d = 0;
      for (let j = 0; j < 3; j++) {
        const e = rng.normal();
        const v = Math.fround(lv.data[j]!);
        const z = mu.data[j]! + Math.exp(0.5 * v) * e;
        d += -0.5 * e * e - 0.5 * v + 0.5 * z * z;
      }
      s += d;
      s2 += d * d;
    }
    const m = s / n;
    const se = Math.sqrt((s2 / n - m * m) / n);
    expect(Math.abs(m - closed)).toBeLessThan(4 * se);
    expect(se).toBeLessThan(0.01);
  });

  it('klDiagonalGaussians: 0 for equal Gaussians, equals klStandardNormal against N(0, I), matches Monte Carlo', () => {
    const rng = new Rng(6);
    const mu = randomTensor(rng, [3, 4], 2);
    const lv = randomTensor(rng, [3, 4], 1.5);
    const zero = tensor(new Float32Array(12), [3, 4]);
    const same = klDiagonalGaussians(mu, lv, mu, lv);
    for (const v of same) expect(Math.abs(v)).toBeLessThan(1e-12);
    const a = klDiagonalGaussians(mu, lv, zero, zero);
    const b = klStandardNormal(mu, lv);
    for (let i = 0; i < 3; i++) expect(a[i]).toBeCloseTo(b[i]!, 12);
    const mu2 = randomTensor(rng, [3, 4], 1);
    const lv2 = randomTensor(rng, [3, 4], 1);
    const kl = klDiagonalGaussians(mu, lv, mu2, lv2);
    const n = 100_000;
    const r = 1;
    let s = 0;
    let s2 = 0;
    for (let k = 0; k < n; k++) {
      let d = 0;
      for (let j = 0; j < 4; j++) {
        const i = r * 4 + j;
        const e = rng.normal();
        const z = mu.data[i]! + Math.exp(0.5 * lv.data[i]!) * e;
        const e2 = (z - mu2.data[i]!) / Math.exp(0.5 * lv2.data[i]!);
        d += -0.5 * e * e - 0.5 * lv.data[i]! + 0.5 * e2 * e2 + 0.5 * lv2.data[i]!;
      }
      s += d;
      s2 += d * d;
    }
    const m = s / n;
    const se = Math.sqrt((s2 / n - m * m) / n);
    expect(Math.abs(m - kl[r]!)).toBeLessThan(4 * se);
    expect(() => klDiagonalGaussians(mu, lv, tensor([0], [1, 1]), lv)).toThrow(
      /^mu2: expected shape \[3, 4\], got \[1, 1\]/,
    );
  });

  it('validates its inputs', () => {
    const mu = tensor([0, 0], [1, 2]);
    expect(() => klStandardNormal(mu, tensor([0, 0, 0], [1, 3]))).toThrow(
      /^logvar: expected shape \[1, 2\], got \[1, 3\]/,
    );
    expect(() => klStandardNormal(mu, tensor([0, Infinity], [1, 2]))).toThrow(
      /^logvar: expected finite values, got Infinity/,
    );
    expect(() => klStandardNormal(tensor([Number.NaN, 0], [1, 2]), mu)).toThrow(/^mu: expected finite values, got NaN/);
  });
});

describe('ELBO and β objective', () => {
  it('elbo = log p(x|z) − KL per example and betaObjective = mean −(ll − β·KL)', () => {
    const x = tensor([1, 0, 0, 1], [2, 2]);
    const decoded = tensor([0, 0, 1, -1], [2, 2]);
    const mu = tensor([0.5, 0, 0, -1], [2, 2]);
    const logvar = tensor([0, -1, 0.5, 0], [2, 2]);
    const t = elbo({ x, mu, logvar, decoded, likelihood: 'bernoulli', sigma: 1 });
    const ll = bernoulliLogLikelihood(x, decoded);
    const kl = klStandardNormal(mu, logvar);
    for (let i = 0; i < 2; i++) {
      expect(t.logLikelihood[i]).toBe(ll[i]);
      expect(t.kl[i]).toBe(kl[i]);
      expect(t.elbo[i]).toBe(ll[i]! - kl[i]!);
      expect(t.elbo[i]).toBeLessThanOrEqual(t.logLikelihood[i]!);
    }
    expect(ll[0]).toBeCloseTo(-2 * LOG2, 12);
    expect(betaObjective(t, 1)).toBeCloseTo(-mean(t.elbo), 12);
    expect(betaObjective(t, 4)).toBeCloseTo(mean(ll.map((v, i) => -(v - 4 * kl[i]!))), 12);
    expect(betaObjective({ logLikelihood: [-10, -20], kl: [1, 3] }, 2)).toBe((12 + 26) / 2);
    expect(() => betaObjective({ logLikelihood: [1], kl: [1, 2] }, 1)).toThrow(/^terms.kl: expected 1 values/);
    expect(() => betaObjective({ logLikelihood: [1], kl: [1] }, -1)).toThrow(
      /^beta: expected a finite number in \[0, Infinity\], got -1/,
    );
    expect(() =>
      elbo({
        x,
        mu: tensor([0, 0], [1, 2]),
        logvar: tensor([0, 0], [1, 2]),
        decoded,
        likelihood: 'bernoulli',
        sigma: 1,
      }),
    ).toThrow(/^mu: expected 2 rows/);
  });
});

describe('autoencoder regularizers', () => {
  it('l1Sparsity = Σ_j |h_j| per example', () => {
    expect(Array.from(l1Sparsity(tensor([1, -2, 0.5, 0, 0, -0.25], [2, 3])))).toEqual([3.5, 0.25]);
  });

  it('klSparsity uses ρ̂ per hidden unit over the batch', () => {
    const code = tensor([0.1, 0.5, 0.3, 0.7], [2, 2]);
    const rho = 0.05;
    const kl = (p: number, q: number): number => p * Math.log(p / q) + (1 - p) * Math.log((1 - p) / (1 - q));
    const rhoHat = [Math.fround(0.1) / 2 + Math.fround(0.3) / 2, Math.fround(0.5) / 2 + Math.fround(0.7) / 2];
    const expected = kl(rho, rhoHat[0]!) + kl(rho, rhoHat[1]!);
    expect(klSparsity(code, rho)).toBeCloseTo(expected, 12);
    // Hand value: KL(0.05‖0.2) + KL(0.05‖0.6) = 0.09394 + 0.69750 (pooling ρ̂ over units would give 2·KL(0.05‖0.4) = 0.66517).
    expect(klSparsity(code, rho)).toBeCloseTo(0.79145, 4);
    expect(klSparsity(code, rho)).not.toBeCloseTo(2 * kl(rho, 0.4), 2);
    expect(klSparsity(tensor([0.05, 0.05], [2, 1]), 0.05)).toBeCloseTo(0, 7);
    expect(Number.isFinite(klSparsity(tensor([0, 1, 0, 1], [2, 2]), 0.05))).toBe(true);
    expect(() => klSparsity(code, 1)).toThrow(/^rho: expected a number in \(0, 1\), got 1/);
    expect(() => klSparsity(tensor([2, 0], [1, 2]), 0.1)).toThrow(/^code: expected values in \[0, 1\], got 2/);
  });

  it('contractivePenalty equals ‖∂h/∂x‖²_F from a finite-difference Jacobian of h = sigmoid(xW + b)', () => {
    const rng = new Rng(21);
    const d = 5;
    const h = 3;
    const W = randomTensor(rng, [d, h], 1.5);
    const b = Array.from({ length: h }, () => rng.uniform() - 0.5);
    const xs = Array.from({ length: 2 }, () => Array.from({ length: d }, () => rng.uniform()));
    const forward = (x: number[]): number[] =>
      Array.from({ length: h }, (_, j) => {
        let a = b[j]!;
        for (let i = 0; i < d; i++) a += x[i]! * W.data[i * h + j]!;
        return 1 / (1 + Math.exp(-a));
      });
    const code = tensor(xs.flatMap(forward), [2, h]);
    const penalty = contractivePenalty(code, W);
    for (let r = 0; r < 2; r++) {
      const eps = 1e-6;
      let fro = 0;
      for (let i = 0; i < d; i++) {
        const xp = [...xs[r]!];
        const xm = [...xs[r]!];
        xp[i]! += eps;
        xm[i]! -= eps;
        const hp = forward(xp);
        const hm = forward(xm);
        for (let j = 0; j < h; j++) fro += ((hp[j]! - hm[j]!) / (2 * eps)) ** 2;
      }
      // code is stored in float32, so agreement is to float32 precision of h.
      expect(Math.abs(penalty[r]! - fro) / fro).toBeLessThan(1e-5);
    }
    expect(() => contractivePenalty(code, tensor(new Float32Array(d * 2), [d, 2]))).toThrow(
      /^kernel: expected shape \[batch, 3\], got \[5, 2\]/,
    );
  });
});

describe('klPerDimension', () => {
  it('averages each dimension over the batch and sums to the mean KL per example', () => {
    const mu = { data: Float32Array.from([0, 1, 0.5, -2, 0, 0]), shape: [3, 2] };
    const logvar = { data: Float32Array.from([0, -1, 0.3, 0, 0, 0]), shape: [3, 2] };
    const per = klPerDimension(mu, logvar);
    const term = (m: number, lv: number): number => 0.5 * (m * m + Math.exp(lv) - 1 - lv);
    expect(per[0]).toBeCloseTo((term(0, 0) + term(0.5, 0.3) + term(0, 0)) / 3, 6);
    expect(per[1]).toBeCloseTo((term(1, -1) + term(-2, 0) + term(0, 0)) / 3, 6);
    const total = klStandardNormal(mu, logvar);
    expect(per[0]! + per[1]!).toBeCloseTo((total[0]! + total[1]! + total[2]!) / 3, 6);
    expect(() => klPerDimension(mu, { data: new Float32Array(4), shape: [2, 2] })).toThrow(/logvar/);
  });
});
