import { tensor, type Tensor } from '@vae/core';
import { fitImages, type HwcShape } from './image-fit.js';

/** Test images (see `scripts/extract-test-images.ts` and `build/mnist-sample.ts`). */
export interface TestImages {
  /** `[n, H·W·C]`, grey levels scaled by the model's normalization. */
  readonly x: Tensor;
  readonly labels: readonly number[];
  readonly imageShape: readonly [number, number, number];
  readonly source: string;
  /** How the images were fitted to the model's shape, or null when they had it already. */
  readonly fitted: string | null;
}

interface Asset {
  readonly source: string;
  readonly count: number;
  readonly imageShape: [number, number, number];
  readonly labels: number[];
  readonly pixels: string;
}

/** Parses a test-image asset (JSON bytes) and scales pixels by `scale` (the manifest's `x = pixel · scale`). */
export function parseTestImages(json: Uint8Array | string, scale: number): TestImages {
  const asset = JSON.parse(typeof json === 'string' ? json : new TextDecoder().decode(json)) as Asset;
  const bytes = Uint8Array.from(atob(asset.pixels), (c) => c.charCodeAt(0));
  const [h, w, c] = asset.imageShape;
  const data = new Float32Array(bytes.length);
  for (let i = 0; i < bytes.length; i++) data[i] = bytes[i]! * scale;
  return {
    x: tensor(data, [asset.count, h * w * c], 'test images'),
    labels: asset.labels,
    imageShape: asset.imageShape,
    source: asset.source,
    fitted: null,
  };
}

/**
 * `images` as images of the model's `imageShape` (see {@link fitImages}: short side resized,
 * centre-cropped, grey repeated over 3 channels or colour to luminance), with a note saying so;
 * unchanged when the shapes agree. Lets every panel draw a model of any shape from the site's MNIST sample.
 */
export function fitTestImages(images: TestImages, imageShape: HwcShape): TestImages {
  const [h, w, c] = images.imageShape;
  if (h === imageShape[0] && w === imageShape[1] && c === imageShape[2]) return images;
  const channels =
    c === imageShape[2] ? '' : imageShape[2] === 3 ? ', grey repeated over 3 channels' : ', as luminance';
  return {
    ...images,
    x: fitImages(images.x, images.imageShape, imageShape),
    imageShape: [...imageShape],
    fitted: `${images.source}, resized from ${h}×${w}×${c} to the model's ${imageShape.join('×')} (short side, centre crop${channels})`,
  };
}

/** Fetches the test-image asset at `url` and parses it with {@link parseTestImages}. */
export async function loadTestImages(url: string | URL, scale: number): Promise<TestImages> {
  const response = await fetch(url);
  if (!response.ok) throw new Error(`${String(url)}: expected HTTP 200, got ${response.status}`);
  return parseTestImages(await response.text(), scale);
}
