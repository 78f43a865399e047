import { describe, expect, it } from 'vitest';
import {
  listModelKinds,
  createModelSpec,
  modelObjective,
  tensor,
  type ModelKind,
  type ModelSpec,
  type Tensor,
} from '../src/index.js';

/** Tiny batch: 2 examples × 4 pixels (2×2×1 images), latent 2. */
const IMAGE: [number, number, number] = [2, 2, 1];
const x = tensor([0, 1, 0.5, 1, 0.25, 0, 1, 0.75], [2, 4]);
const logits = tensor([-1, 2, 0.5, 3, 0, -2, 1.5, 0.25], [2, 4]);
const mu = tensor([0.5, -1, 0.25, 0], [2, 2]);
const logvar = tensor([-0.5, 0.25, 0, -1], [2, 2]);
const code = tensor([0.2, 0.9, 0.6, 0.1], [2, 2]);
const kernel = tensor([0.5, -1, 0.25, 2, -0.75, 0.1, 1.5, -0.3], [4, 2]);

const f = (t: Tensor): number[] => Array.from(t.data);

/** Naive per-example formulas, written independently of the library. */
function naiveBernoulli(xs: number[], ls: number[]): number[] {
  return [0, 1].map((r) => {
    let s = 0;
    for (let i = 0; i < 4; i++) {
      const p = 1 / (1 + Math.exp(-ls[r * 4 + i]!));
      const v = xs[r * 4 + i]!;
      s += v * Math.log(p) + (1 - v) * Math.log(1 - p);
    }
    return s;
  });
}
function naiveGaussian(xs: number[], ms: number[], sigma: number): number[] {
  return [0, 1].map((r) => {
    let s = 0;
    for (let i = 0; i < 4; i++)
      s += Math.log(
        Math.exp(-0.5 * ((xs[r * 4 + i]! - ms[r * 4 + i]!) / sigma) ** 2) / (sigma * Math.sqrt(2 * Math.PI)),
      );
    return s;
  });
}
function naiveKl(m: number[], v: number[]): number[] {
  return [0, 1].map((r) => {
    let s = 0;
    for (let j = 0; j < 2; j++) s += 0.5 * (m[r * 2 + j]! ** 2 + Math.exp(v[r * 2 + j]!) - 1 - v[r * 2 + j]!);
    return s;
  });
}
const avg = (a: number[]): number => (a[0]! + a[1]!) / 2;

function spec(kind: ModelKind, extra: Partial<Parameters<typeof createModelSpec>[0]> = {}): ModelSpec {
  return createModelSpec({
    kind,
    imageShape: IMAGE,
    hidden: [3],
    latentDim: 2,
    ...(kind === 'cvae' ? { numClasses: 3 } : {}),
    ...extra,
  });
}

describe('modelObjective, variational kinds', () => {
  for (const [kind, beta] of [
    ['vae', 1],
    ['beta-vae', 4],
    ['cvae', 1],
  ] as const) {
    it(`${kind}: loss = mean −(log p(x|z) − β·KL) with β = ${beta}`, () => {
      const s = spec(kind);
      expect(s.beta).toBe(beta);
      const t = modelObjective(s, { x, decoded: logits, mu, logvar });
      const ll = naiveBernoulli(f(x), f(logits));
      const kl = naiveKl(f(mu), f(logvar));
      expect(t.reconstruction).toBeCloseTo(-avg(ll), 10);
      expect(t.kl).toBeCloseTo(avg(kl), 10);
      expect(t.regularizer).toBeCloseTo(beta * avg(kl), 10);
      expect(t.elbo).toBeCloseTo(avg(ll) - avg(kl), 10);
      expect(t.loss).toBeCloseTo(avg(ll.map((v, i) => -(v - beta * kl[i]!))), 10);
    });
  }

  it('vae with a Gaussian likelihood uses spec.gaussianSigma and its constant', () => {
    const s = spec('vae', { likelihood: 'gaussian', gaussianSigma: 0.3 });
    const t = modelObjective(s, { x, decoded: logits, mu, logvar });
    const ll = naiveGaussian(f(x), f(logits), 0.3);
    expect(t.reconstruction).toBeCloseTo(-avg(ll), 9);
    expect(t.loss).toBeCloseTo(-avg(ll) + avg(naiveKl(f(mu), f(logvar))), 9);
  });

  it('hand value: zero logits and the prior posterior give loss = 4·log 2 exactly', () => {
    const zeros2 = tensor(new Float32Array(4), [2, 2]);
    const t = modelObjective(spec('vae'), {
      x,
      decoded: tensor(new Float32Array(8), [2, 4]),
      mu: zeros2,
      logvar: zeros2,
    });
    expect(t.loss).toBeCloseTo(4 * Math.LN2, 14);
    expect(t.kl).toBe(0);
  });
});

describe('modelObjective, autoencoders', () => {
  it('ae and denoising-ae: loss = mean −log p(x|decoded) against the clean x, no regularizer', () => {
    for (const kind of ['ae', 'denoising-ae'] as const) {
      const t = modelObjective(spec(kind), { x, decoded: logits, code });
      expect(t.reconstruction).toBeCloseTo(-avg(naiveBernoulli(f(x), f(logits))), 10);
      expect(t.loss).toBe(t.reconstruction);
      expect(t.regularizer).toBe(0);
      expect(t.kl).toBeNull();
      expect(t.elbo).toBeNull();
    }
  });

  it('hand value: Gaussian ae, σ = 0.25, one pixel off by 0.25', () => {
    const s = spec('ae', { likelihood: 'gaussian', gaussianSigma: 0.25 });
    const xs = tensor([0.5, 0.5, 0.5, 0.5, 0.5, 0.5, 0.5, 0.5], [2, 4]);
    const means = tensor([0.75, 0.5, 0.5, 0.5, 0.5, 0.5, 0.5, 0.5], [2, 4]);
    // per pixel −log σ − ½ log 2π = 0.4673558279…; row 1 loses ½ for the off pixel.
    expect(modelObjective(s, { x: xs, decoded: means, code }).reconstruction).toBeCloseTo(-1.6194233118, 9);
  });

  it('sparse-ae (l1): + weight·mean Σ|h|', () => {
    const s = spec('sparse-ae', { sparsity: { type: 'l1', weight: 0.5 } });
    const t = modelObjective(s, { x, decoded: logits, code });
    const l1 = avg([0, 1].map((r) => Math.abs(code.data[r * 2]!) + Math.abs(code.data[r * 2 + 1]!)));
    expect(t.regularizer).toBeCloseTo(0.5 * l1, 7);
    expect(t.regularizer).toBeCloseTo(0.45, 6);
    expect(t.loss).toBeCloseTo(-avg(naiveBernoulli(f(x), f(logits))) + 0.45, 6);
  });

  it('sparse-ae (kl): + weight·Σ_j KL(ρ ‖ ρ̂_j), ρ̂ per unit over the batch', () => {
    const s = spec('sparse-ae', { sparsity: { type: 'kl', rho: 0.1, weight: 2 } });
    const t = modelObjective(s, { x, decoded: logits, code });
    const kl = (p: number, q: number): number => p * Math.log(p / q) + (1 - p) * Math.log((1 - p) / (1 - q));
    const rhoHat = [(Math.fround(0.2) + Math.fround(0.6)) / 2, (Math.fround(0.9) + Math.fround(0.1)) / 2];
    expect(t.regularizer).toBeCloseTo(2 * (kl(0.1, rhoHat[0]!) + kl(0.1, rhoHat[1]!)), 10);
    expect(t.loss).toBeCloseTo(t.reconstruction + t.regularizer, 12);
  });

  it('contractive-ae: + λ·mean Σ_j (h_j(1−h_j))² Σ_i W_ij²', () => {
    const s = spec('contractive-ae', { contractiveWeight: 0.1 });
    const t = modelObjective(s, { x, decoded: logits, code, codeKernel: kernel });
    const col = [0, 1].map((j) => [0, 1, 2, 3].reduce((acc, i) => acc + kernel.data[i * 2 + j]! ** 2, 0));
    const pen = [0, 1].map((r) =>
      [0, 1].reduce((acc, j) => acc + (code.data[r * 2 + j]! * (1 - code.data[r * 2 + j]!)) ** 2 * col[j]!, 0),
    );
    expect(t.regularizer).toBeCloseTo(0.1 * avg(pen), 10);
    expect(t.loss).toBeCloseTo(t.reconstruction + t.regularizer, 12);
  });

  it('covers every model kind', () => {
    const eps = tensor([0.3, -1.2, 0.8, 0.1], [2, 2]);
    const inputs = { x, decoded: logits, mu, logvar, code, codeKernel: kernel, eps };
    for (const kind of listModelKinds()) {
      const t = modelObjective(spec(kind), inputs);
      expect(Number.isFinite(t.loss)).toBe(true);
      expect(t.loss).toBeCloseTo(t.reconstruction + t.regularizer, 12);
    }
  });
});

describe('modelObjective validation', () => {
  it('names the missing or malformed argument', () => {
    expect(() => modelObjective(spec('vae'), { x, decoded: logits, logvar })).toThrow(
      /^mu: expected a tensor for kind vae, got undefined/,
    );
    expect(() => modelObjective(spec('vae'), { x, decoded: logits, mu, logvar: tensor([0, 0, 0], [1, 3]) })).toThrow(
      /^logvar: expected shape \[2, 2\], got \[1, 3\]/,
    );
    expect(() => modelObjective(spec('ae'), { x, decoded: tensor([0, 0, 0, 0], [1, 4]) })).toThrow(
      /^decoded: expected shape \[2, 4\], got \[1, 4\]/,
    );
    expect(() => modelObjective(spec('ae'), { x: tensor([0, 0, 0], [1, 3]), decoded: logits })).toThrow(
      /^x: expected shape \[batch, 4\], got \[1, 3\]/,
    );
    expect(() => modelObjective(spec('sparse-ae'), { x, decoded: logits })).toThrow(
      /^code: expected a tensor for kind sparse-ae/,
    );
    expect(() => modelObjective(spec('contractive-ae'), { x, decoded: logits, code })).toThrow(
      /^encoder.code.kernel: expected a tensor for kind contractive-ae/,
    );
    expect(() =>
      modelObjective(spec('contractive-ae'), {
        x,
        decoded: logits,
        code,
        codeKernel: tensor(new Float32Array(6), [3, 2]),
      }),
    ).toThrow(/^encoder.code.kernel: expected shape \[4, 2\], got \[3, 2\]/);
    expect(() => modelObjective(spec('ae'), { x, decoded: tensor([0, 0, 0, Number.NaN, 0, 0, 0, 0], [2, 4]) })).toThrow(
      /^decoded: expected finite values, got NaN at flat index 3/,
    );
    expect(() => modelObjective({ ...spec('vae'), beta: -1 }, { x, decoded: logits, mu, logvar })).toThrow(
      /^spec.beta:/,
    );
  });
});
