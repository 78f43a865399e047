import { describe, expect, it } from 'vitest';
import {
  listModelKinds,
  modelKindInfo,
  Rng,
  createModelSpec,
  initParameters,
  listParameters,
  validateModelSpec,
  validateParameters,
  type ModelSpec,
} from '../src/index.js';

const shapes = (spec: ModelSpec): Record<string, readonly number[]> =>
  Object.fromEntries(listParameters(spec).map((p) => [p.name, p.shape]));

describe('listParameters', () => {
  it('mlp vae 784-400-20: canonical names, shapes and order', () => {
    const spec = createModelSpec();
    expect(listParameters(spec).map((p) => `${p.name}:${p.shape.join('x')}`)).toEqual([
      'encoder.0.kernel:784x400',
      'encoder.0.bias:400',
      'encoder.mu.kernel:400x20',
      'encoder.mu.bias:20',
      'encoder.logvar.kernel:400x20',
      'encoder.logvar.bias:20',
      'decoder.0.kernel:20x400',
      'decoder.0.bias:400',
      'decoder.1.kernel:400x784',
      'decoder.1.bias:784',
    ]);
  });

  it('mlp preset of every kind', () => {
    for (const kind of listModelKinds()) {
      const spec = createModelSpec({ kind, hidden: [64, 32], latentDim: 8 });
      const p = shapes(spec);
      const k = modelKindInfo(kind).conditional ? 10 : 0;
      const heads = modelKindInfo(kind).variational ? ['mu', 'logvar'] : ['code'];
      for (const h of heads) expect(p[`encoder.${h}.kernel`]).toEqual(kind === 'contractive-ae' ? [784, 8] : [32, 8]);
      if (kind === 'contractive-ae') {
        // One sigmoid layer x → h and a linear decoder h → x.
        expect(Object.keys(p)).toEqual([
          'encoder.code.kernel',
          'encoder.code.bias',
          'decoder.0.kernel',
          'decoder.0.bias',
        ]);
        expect(p['decoder.0.kernel']).toEqual([8, 784]);
        expect(spec.codeActivation).toBe('sigmoid');
        continue;
      }
      expect(p['encoder.0.kernel']).toEqual([784 + k, 64]);
      expect(p['encoder.1.kernel']).toEqual([64, 32]);
      expect(p['decoder.0.kernel']).toEqual([8 + k, 32]);
      expect(p['decoder.1.kernel']).toEqual([32, 64]);
      expect(p['decoder.2.kernel']).toEqual([64, 784]);
      expect(p['decoder.2.bias']).toEqual([784]);
      expect(Object.keys(p)).toHaveLength(2 * (2 + heads.length + 3));
    }
  });

  it('conv preset of every kind that supports it (TF kernel layouts)', () => {
    for (const kind of listModelKinds()) {
      if (kind === 'contractive-ae') {
        expect(() => createModelSpec({ kind, architecture: 'conv' })).toThrow(
          /^architecture: expected 'mlp' for contractive-ae/,
        );
        continue;
      }
      const spec = createModelSpec({ kind, architecture: 'conv', latentDim: 16 });
      const p = shapes(spec);
      const k = modelKindInfo(kind).conditional ? 10 : 0;
      expect(p['encoder.1.kernel']).toEqual([4, 4, 1, 32]);
      expect(p['encoder.2.kernel']).toEqual([4, 4, 32, 64]);
      expect(p['encoder.4.kernel']).toEqual([7 * 7 * 64 + k, 256]);
      const heads = modelKindInfo(kind).variational ? ['mu', 'logvar'] : ['code'];
      for (const h of heads) expect(p[`encoder.${h}.kernel`]).toEqual([256, 16]);
      expect(p['decoder.0.kernel']).toEqual([16 + k, 256]);
      expect(p['decoder.1.kernel']).toEqual([256, 3136]);
      expect(p['decoder.3.kernel']).toEqual([4, 4, 32, 64]);
      expect(p['decoder.3.bias']).toEqual([32]);
      expect(p['decoder.4.kernel']).toEqual([4, 4, 1, 32]);
      expect(p['decoder.4.bias']).toEqual([1]);
      expect(Object.keys(p)).toHaveLength(2 * (3 + heads.length + 4));
    }
  });

  it('reports Glorot fan-in/fan-out, conv fans including the kernel area', () => {
    const byName = Object.fromEntries(
      listParameters(createModelSpec({ architecture: 'conv' })).map((p) => [p.name, p]),
    );
    expect(byName['encoder.1.kernel']).toMatchObject({ init: 'glorot-uniform', fanIn: 16, fanOut: 512 });
    expect(byName['encoder.1.bias']).toMatchObject({ init: 'zeros' });
    expect(byName['decoder.3.kernel']).toMatchObject({ fanIn: 16 * 32, fanOut: 16 * 64 });
  });
});

describe('initParameters', () => {
  it('is deterministic per seed, zero biases, kernels within the Glorot limit, canonical order', () => {
    const spec = createModelSpec({ hidden: [16], latentDim: 4, imageShape: [4, 4, 1] });
    const a = initParameters(spec, new Rng(1));
    const b = initParameters(spec, new Rng(1));
    const c = initParameters(spec, new Rng(2));
    expect(Object.keys(a)).toEqual(listParameters(spec).map((p) => p.name));
    for (const p of listParameters(spec)) {
      expect(Array.from(a[p.name]!.data)).toEqual(Array.from(b[p.name]!.data));
      expect(a[p.name]!.shape).toEqual(p.shape);
      if (p.init === 'zeros') {
        expect(a[p.name]!.data.every((v) => v === 0)).toBe(true);
      } else {
        const limit = Math.sqrt(6 / (p.fanIn + p.fanOut));
        expect(a[p.name]!.data.every((v) => Math.abs(v) <= limit)).toBe(true);
        expect(Array.from(a[p.name]!.data)).not.toEqual(Array.from(c[p.name]!.data));
      }
    }
    // Pinned: the first weight follows from the first uniform of Rng(1).
    const first = new Rng(1).uniform();
    expect(a['encoder.0.kernel']!.data[0]).toBe(Math.fround((2 * first - 1) * Math.sqrt(6 / (16 + 16))));
    validateParameters(spec, a);
  });

  it('validateParameters names missing, unexpected and mis-shaped parameters', () => {
    const spec = createModelSpec({ hidden: [16], latentDim: 4, imageShape: [4, 4, 1] });
    const params = initParameters(spec, new Rng(1));
    const { ['decoder.1.bias']: _dropped, ...missing } = params;
    expect(() => validateParameters(spec, missing)).toThrow(
      /^params: missing parameter "decoder.1.bias" of shape \[16\]/,
    );
    expect(() => validateParameters(spec, { ...params, extra: params['decoder.1.bias']! })).toThrow(
      /^params: unexpected parameter "extra"/,
    );
    expect(() =>
      validateParameters(spec, { ...params, 'encoder.0.bias': { data: new Float32Array(3), shape: [3] } }),
    ).toThrow(/^params.encoder.0.bias: expected shape \[16\], got \[3\]/);
  });
});

describe('validateModelSpec errors name the field, the expected and the actual value', () => {
  const base = createModelSpec({ hidden: [8], latentDim: 2, imageShape: [4, 4, 1] });
  const cases: [string, Partial<Record<keyof ModelSpec, unknown>>, RegExp][] = [
    ['specVersion', { specVersion: 2 }, /^spec.specVersion: expected 1, got 2/],
    ['kind', { kind: 'gan' }, /^kind: expected one of ae\|sparse-ae.*got "gan"/],
    ['imageShape rank', { imageShape: [4, 4] }, /^spec.imageShape: expected \[H, W, C\], got \[4,4\]/],
    ['imageShape value', { imageShape: [4, 0, 1] }, /^spec.imageShape\[1\]: expected a positive integer, got 0/],
    ['latentDim', { latentDim: 0 }, /^spec.latentDim: expected a positive integer, got 0/],
    ['likelihood', { likelihood: 'poisson' }, /^spec.likelihood: expected bernoulli\|gaussian, got "poisson"/],
    ['gaussianSigma', { gaussianSigma: 0 }, /^spec.gaussianSigma: expected a positive number, got 0/],
    ['numClasses', { numClasses: 3 }, /^spec.numClasses: expected 0 for kind vae, got 3/],
    ['beta', { beta: -1 }, /^spec.beta: expected a finite number ≥ 0, got -1/],
    [
      'codeActivation',
      { codeActivation: 'gelu' },
      /^spec.codeActivation: expected linear\|relu\|leaky-relu\|tanh\|sigmoid, got "gelu"/,
    ],
    [
      'dense units',
      { encoder: [{ type: 'dense', units: 0, activation: 'relu' }] },
      /^encoder\[0\].units: expected a positive integer, got 0/,
    ],
    [
      'layer type',
      { encoder: [{ type: 'lstm' }] },
      /^encoder\[0\].type: expected one of dense\|conv2d\|conv2d-transpose\|reshape\|flatten\|batch-norm, got "lstm"/,
    ],
    [
      'conv without reshape',
      { encoder: [{ type: 'conv2d', filters: 2, kernelSize: 3, strides: 1, padding: 'same', activation: 'relu' }] },
      /^encoder\[0\]: expected an HWC input of rank 3/,
    ],
    ['reshape size', { encoder: [{ type: 'reshape', shape: [4, 5, 1] }] }, /^encoder\[0\].shape: expected 16 elements/],
    [
      'decoder output size',
      { decoder: [{ type: 'dense', units: 15, activation: 'linear' }] },
      /^spec.decoder: expected a last layer with 16 outputs \(4 high × 4 wide × 1 channel\), got \[15\]/,
    ],
    [
      'decoder activation',
      { decoder: [{ type: 'dense', units: 16, activation: 'sigmoid' }] },
      /^decoder\[0\].activation: expected 'linear'.*got "sigmoid"/,
    ],
    ['empty decoder', { decoder: [] }, /^spec.decoder: expected at least one layer/],
  ];
  for (const [label, patch, message] of cases) {
    it(label, () => {
      expect(() => validateModelSpec({ ...base, ...patch } as ModelSpec)).toThrow(message);
    });
  }

  it('kind-specific fields', () => {
    const sparse = createModelSpec({ kind: 'sparse-ae', hidden: [8], latentDim: 2, imageShape: [4, 4, 1] });
    expect(() => validateModelSpec({ ...sparse, sparsity: { type: 'kl', rho: 1.5, weight: 1 } })).toThrow(
      /^spec.sparsity.rho: expected a number in \(0, 1\), got 1.5/,
    );
    expect(() => validateModelSpec({ ...sparse, codeActivation: 'linear' })).toThrow(
      /^spec.codeActivation: expected 'sigmoid' for KL-sparsity/,
    );
    expect(() => validateModelSpec({ ...sparse, sparsity: undefined })).toThrow(/^spec.sparsity: expected/);
    const dae = createModelSpec({ kind: 'denoising-ae', hidden: [8], latentDim: 2, imageShape: [4, 4, 1] });
    expect(() => validateModelSpec({ ...dae, noise: { type: 'mask', fraction: 2 } })).toThrow(
      /^spec.noise.fraction: expected a number in \[0, 1\], got 2/,
    );
    expect(() => validateModelSpec({ ...dae, noise: { type: 'blur' } as unknown as ModelSpec['noise'] })).toThrow(
      /^spec.noise.type: expected mask\|gaussian\|salt-pepper, got "blur"/,
    );
    const cae = createModelSpec({ kind: 'contractive-ae', latentDim: 2, imageShape: [4, 4, 1] });
    expect(() => validateModelSpec({ ...cae, encoder: [{ type: 'dense', units: 4, activation: 'relu' }] })).toThrow(
      /^spec.encoder: expected \[\] for contractive-ae/,
    );
    expect(() => validateModelSpec({ ...cae, contractiveWeight: -1 })).toThrow(
      /^spec.contractiveWeight: expected a number ≥ 0, got -1/,
    );
    const cvae = createModelSpec({ kind: 'cvae', hidden: [8], latentDim: 2, imageShape: [4, 4, 1] });
    expect(() => validateModelSpec({ ...cvae, numClasses: 0 })).toThrow(
      /^spec.numClasses: expected a positive integer, got 0/,
    );
    expect(() => createModelSpec({ architecture: 'conv', imageShape: [6, 6, 1] })).toThrow(
      /^imageShape: expected 32 high × 32 wide, 64 high × 64 wide \(PyTorch-VAE's VanillaVAE\) or a height and width divisible by 4 \(the small conv network\) for the conv architecture, got 6 high × 6 wide × 1 channel/,
    );
  });

  it('returns layer shapes with the label folded into the first dense layer', () => {
    const layout = validateModelSpec(
      createModelSpec({ kind: 'cvae', hidden: [8], latentDim: 2, imageShape: [4, 4, 1], numClasses: 3 }),
    );
    expect(layout.encoder[0]!.inputShape).toEqual([19]);
    expect(layout.headInput).toBe(8);
    expect(layout.decoder[0]!.inputShape).toEqual([5]);
    expect(layout.decoder.at(-1)!.outputShape).toEqual([16]);
  });
});
