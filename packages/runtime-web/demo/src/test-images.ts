import { tensor, type Tensor } from '@vae/core';

/** The demo's test images (see `scripts/extract-test-images.ts`). */
export interface TestImages {
  /** `[n, H·W·C]`, grey levels scaled by the model's normalization. */
  readonly x: Tensor;
  readonly labels: readonly number[];
  readonly imageShape: readonly [number, number, number];
  readonly source: string;
}

interface Asset {
  readonly source: string;
  readonly count: number;
  readonly imageShape: [number, number, number];
  readonly labels: number[];
  readonly pixels: string;
}

/** Fetches the test-image asset at `url` and scales pixels by `scale` (the manifest's `x = pixel · scale`). */
export async function loadTestImages(url: string, scale: number): Promise<TestImages> {
  const response = await fetch(url);
  if (!response.ok) throw new Error(`${url}: expected HTTP 200, got ${response.status}`);
  const asset = (await response.json()) as Asset;
  const bytes = Uint8Array.from(atob(asset.pixels), (c) => c.charCodeAt(0));
  const [h, w, c] = asset.imageShape;
  const data = new Float32Array(bytes.length);
  for (let i = 0; i < bytes.length; i++) data[i] = bytes[i]! * scale;
  return {
    x: tensor(data, [asset.count, h * w * c], 'test images'),
    labels: asset.labels,
    imageShape: asset.imageShape,
    source: asset.source,
  };
}
