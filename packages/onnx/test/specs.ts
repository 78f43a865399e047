import {
  createModelSpec,
  listModelKinds,
  oneHot,
  Rng,
  withBatchNorm,
  type LayerSpec,
  type ModelKind,
  type ModelSpec,
  type Tensor,
} from '@vae/core';

/** Small specs of every kind and both architectures (8×8 images), fast enough for unit tests. */
export function smallSpecs(): { label: string; spec: ModelSpec }[] {
  const out: { label: string; spec: ModelSpec }[] = [];
  for (const kind of listModelKinds() as readonly ModelKind[]) {
    for (const architecture of ['mlp', 'conv'] as const) {
      if (kind === 'contractive-ae' && architecture === 'conv') continue;
      const spec = createModelSpec({
        kind,
        architecture,
        imageShape: [8, 8, 1],
        hidden: [16, 12],
        latentDim: 3,
        numClasses: 4,
      });
      out.push({ label: `${kind}/${architecture}`, spec });
    }
  }
  out.push({
    label: 'gaussian-vae/mlp',
    spec: createModelSpec({
      kind: 'vae',
      likelihood: 'gaussian',
      imageShape: [8, 8, 1],
      hidden: [16],
      latentDim: 3,
      activation: 'tanh',
    }),
  });
  return out;
}

/**
 * Odd convolutional specs that exercise TF padding corner cases: 'same' with an odd pad total
 * (TF pads more at the end), transposed convs with k < s and k > s, 'valid' convs, label
 * concatenation after convolutions and at the heads.
 */
export function oddConvSpecs(): { label: string; spec: ModelSpec }[] {
  const base = { specVersion: 1 as const, gaussianSigma: 0.2, beta: 1, codeActivation: 'linear' as const };
  const decoder = [
    { type: 'dense', units: 8, activation: 'relu' },
    { type: 'reshape', shape: [2, 2, 2] },
    { type: 'conv2d-transpose', filters: 3, kernelSize: 1, strides: 2, padding: 'same', activation: 'tanh' },
    { type: 'conv2d-transpose', filters: 3, kernelSize: 3, strides: 2, padding: 'same', activation: 'relu' },
    { type: 'conv2d', filters: 2, kernelSize: 2, strides: 1, padding: 'valid', activation: 'linear' },
    { type: 'flatten' },
  ] as const;
  const cvae: ModelSpec = {
    ...base,
    kind: 'cvae',
    imageShape: [7, 7, 2],
    latentDim: 3,
    numClasses: 3,
    likelihood: 'gaussian',
    encoder: [
      { type: 'reshape', shape: [7, 7, 2] },
      { type: 'conv2d', filters: 3, kernelSize: 4, strides: 2, padding: 'same', activation: 'relu' },
      { type: 'conv2d', filters: 4, kernelSize: 3, strides: 2, padding: 'same', activation: 'sigmoid' },
      { type: 'flatten' },
      { type: 'dense', units: 5, activation: 'tanh' },
    ],
    decoder: decoder as unknown as ModelSpec['decoder'],
  };
  const headsOnly: ModelSpec = {
    ...cvae,
    likelihood: 'bernoulli',
    encoder: [
      { type: 'reshape', shape: [7, 7, 2] },
      { type: 'conv2d', filters: 2, kernelSize: 3, strides: 3, padding: 'valid', activation: 'relu' },
      { type: 'conv2d-transpose', filters: 2, kernelSize: 2, strides: 3, padding: 'valid', activation: 'relu' },
      { type: 'flatten' },
    ],
  };
  return [
    { label: 'odd-cvae/conv', spec: cvae },
    { label: 'odd-cvae-heads/conv', spec: headsOnly },
    { label: 'colour-vanilla-mini/conv', spec: vanillaMiniSpec() },
  ];
}

/**
 * PyTorch-VAE's VanillaVAE layout (the `vanilla-32`/`vanilla-64` presets) in miniature on 8×8×3
 * colour images: conv k3 s2 + batch norm + LeakyReLU stages down to 2×2, a linear `decoder_input`,
 * mirrored transposed convs and a final conv to 3 channels; Gaussian likelihood.
 */
export function vanillaMiniSpec(): ModelSpec {
  const layer = (type: 'conv2d' | 'conv2d-transpose', filters: number, strides: number, linear = false) =>
    ({
      type,
      filters,
      kernelSize: 3,
      strides,
      padding: 'same',
      activation: linear ? 'linear' : 'leaky-relu',
    }) as LayerSpec;
  const base = createModelSpec({ kind: 'vae', imageShape: [8, 8, 3], latentDim: 3, likelihood: 'gaussian' });
  return {
    ...base,
    encoder: withBatchNorm(
      [{ type: 'reshape', shape: [8, 8, 3] }, layer('conv2d', 4, 2), layer('conv2d', 6, 2), { type: 'flatten' }],
      false,
    ),
    decoder: withBatchNorm(
      [
        { type: 'dense', units: 2 * 2 * 6, activation: 'linear' },
        { type: 'reshape', shape: [2, 2, 6] },
        layer('conv2d-transpose', 4, 2),
        layer('conv2d-transpose', 4, 2),
        layer('conv2d', 3, 1, true),
        { type: 'flatten' },
      ],
      true,
    ),
  };
}

/** Seeded inputs of `spec` for a batch of `n`: `x` uniform in [0, 1], `y` one-hot, `z` standard normal. */
export function seededInputs(spec: ModelSpec, n: number, seed: number): { x: Tensor; y: Tensor | null; z: Tensor } {
  const rng = new Rng(seed);
  const [h, w, c] = spec.imageShape;
  const d = h * w * c;
  const x: Tensor = { data: Float32Array.from({ length: n * d }, () => rng.uniform()), shape: [n, d] };
  const y =
    spec.numClasses > 0
      ? oneHot(
          Array.from({ length: n }, () => rng.int(spec.numClasses)),
          spec.numClasses,
        )
      : null;
  const z: Tensor = { data: rng.normals(n * spec.latentDim), shape: [n, spec.latentDim] };
  return { x, y, z };
}
