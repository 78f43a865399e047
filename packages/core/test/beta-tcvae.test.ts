import { describe, expect, it } from 'vitest';
import { createModelSpec, modelObjective, tensor, type ModelSpec, type Tensor } from '../src/index.js';

/** 3 examples × 4 pixels, latent 2. */
const x = tensor([0, 1, 0.5, 1, 0.25, 0, 1, 0.75, 1, 1, 0, 0], [3, 4]);
const decoded = tensor([-1, 2, 0.5, 3, 0, -2, 1.5, 0.25, 1, -1, 0.5, 2], [3, 4]);
const mu = tensor([0.5, -1, 0.25, 0, -0.75, 0.6], [3, 2]);
const logvar = tensor([-0.5, 0.25, 0, -1, 0.3, -0.2], [3, 2]);
const eps = tensor([0.3, -1.2, 0.8, 0.1, -0.4, 1.5], [3, 2]);

function spec(alpha: number, beta: number, gamma: number, datasetSize = 1000): ModelSpec {
  return createModelSpec({
    kind: 'beta-tcvae',
    imageShape: [2, 2, 1],
    hidden: [3],
    latentDim: 2,
    beta,
    tcvae: { alpha, gamma, datasetSize },
  });
}

const v = (t: Tensor, i: number): number => t.data[i]!;
const logN = (z: number, m: number, lv: number): number =>
  -0.5 * (Math.log(2 * Math.PI) + lv + (z - m) ** 2 / Math.exp(lv));
const lse = (a: number[]): number => {
  const m = Math.max(...a);
  return m + Math.log(a.reduce((s, u) => s + Math.exp(u - m), 0));
};

/** MI, TC and dimension-wise KL by the minibatch-weighted sampling formulas, written with loops. */
function naive(n: number): { mi: number; tc: number; dimKl: number; kl: number } {
  const B = 3;
  const L = 2;
  const z = Array.from({ length: B * L }, (_, i) => v(mu, i) + Math.exp(0.5 * v(logvar, i)) * v(eps, i));
  const c = Math.log(B * n);
  let mi = 0;
  let tc = 0;
  let dimKl = 0;
  let kl = 0;
  for (let i = 0; i < B; i++) {
    let logQzx = 0;
    let logPz = 0;
    let logProd = 0;
    const joint: number[] = [];
    for (let k = 0; k < L; k++) {
      const zi = z[i * L + k]!;
      logQzx += logN(zi, v(mu, i * L + k), v(logvar, i * L + k));
      logPz += logN(zi, 0, 0);
      logProd += lse([0, 1, 2].map((j) => logN(zi, v(mu, j * L + k), v(logvar, j * L + k)))) - c;
      kl += (0.5 * (v(mu, i * L + k) ** 2 + Math.exp(v(logvar, i * L + k)) - 1 - v(logvar, i * L + k))) / B;
    }
    for (let j = 0; j < B; j++) {
      let s = 0;
      for (let k = 0; k < L; k++) s += logN(z[i * L + k]!, v(mu, j * L + k), v(logvar, j * L + k));
      joint.push(s);
    }
    const logQz = lse(joint) - c;
    mi += (logQzx - logQz) / B;
    tc += (logQz - logProd) / B;
    dimKl += (logProd - logPz) / B;
  }
  return { mi, tc, dimKl, kl };
}

describe('beta-tcvae objective (Chen et al. 2018, minibatch-weighted sampling)', () => {
  it('loss = reconstruction + α·MI + β·TC + γ·dimKL, each term as the loop formulas give', () => {
    const t = modelObjective(spec(2, 3, 0.5), { x, decoded, mu, logvar, eps });
    const n = naive(1000);
    expect(t.regularizer).toBeCloseTo(2 * n.mi + 3 * n.tc + 0.5 * n.dimKl, 5);
    expect(t.loss).toBeCloseTo(t.reconstruction + t.regularizer, 10);
    expect(t.kl).toBeCloseTo(n.kl, 6);
    const vae = modelObjective(createModelSpec({ kind: 'vae', imageShape: [2, 2, 1], hidden: [3], latentDim: 2 }), {
      x,
      decoded,
      mu,
      logvar,
    });
    expect(t.reconstruction).toBeCloseTo(vae.reconstruction, 10);
  });

  it('with α = β = γ = 1 the three terms add up to mean(log q(z|x) − log p(z)), a one-sample KL estimate', () => {
    const n = naive(1000);
    const t = modelObjective(spec(1, 1, 1), { x, decoded, mu, logvar, eps });
    expect(t.regularizer).toBeCloseTo(n.mi + n.tc + n.dimKl, 5);
    expect(Math.abs(n.mi)).toBeGreaterThan(1e-3);
    expect(Math.abs(n.tc)).toBeGreaterThan(1e-3);
  });

  it('N only offsets the terms by (α + β(L−1) − γL)·log(N₂/N₁)', () => {
    const a = modelObjective(spec(2, 3, 0.5, 1000), { x, decoded, mu, logvar, eps });
    const b = modelObjective(spec(2, 3, 0.5, 50000), { x, decoded, mu, logvar, eps });
    expect(b.loss - a.loss).toBeCloseTo((2 + 3 * 1 - 0.5 * 2) * Math.log(50), 5);
  });

  it('defaults to β = 6, α = γ = 1 and names bad fields and a missing ε', () => {
    const d = createModelSpec({ kind: 'beta-tcvae' });
    expect(d.beta).toBe(6);
    expect(d.tcvae).toEqual({ alpha: 1, gamma: 1, datasetSize: 60000 });
    expect(() => spec(-1, 1, 1)).toThrow(/^spec.tcvae.alpha: expected a finite number ≥ 0, got -1/);
    expect(() => spec(1, 1, 1, 0.5)).toThrow(/^spec.tcvae.datasetSize: expected an integer ≥ 1, got 0.5/);
    expect(() => modelObjective(spec(1, 1, 1), { x, decoded, mu, logvar })).toThrow(
      /^eps: expected a tensor for kind beta-tcvae/,
    );
  });
});
