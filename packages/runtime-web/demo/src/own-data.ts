import { parseIdx, type ImageSplit } from '@vae/train/web';
import { gunzip, isGzip } from './gunzip.js';
import type { OwnData } from './train-protocol.js';

/** Decoded user data: a name for the manifest's provenance and the images (labels zero when none were given). */
export interface OwnSplit extends ImageSplit {
  readonly name: string;
}

/** IDX rank of an image file (`[n, h, w]`) and of a label file (`[n]`). */
const IMAGES_RANK = 3;
const LABELS_RANK = 1;

const fileName = (f: File): string => f.webkitRelativePath || f.name;

async function idxArray(file: File) {
  const raw = new Uint8Array(await file.arrayBuffer());
  const bytes = isGzip(raw) ? await gunzip(raw) : raw;
  const rank = bytes.length >= 4 && bytes[3] === LABELS_RANK ? LABELS_RANK : IMAGES_RANK;
  return { name: fileName(file), rank, ...parseIdx(bytes, fileName(file), rank) };
}

/** One IDX image file (rank 3, `[n, h, w]`) and at most one label file (rank 1), raw or gzipped, in any order. */
async function decodeIdx(files: readonly File[], [h, w]: readonly number[]): Promise<OwnSplit> {
  const arrays = await Promise.all(files.map(idxArray));
  const images = arrays.filter((a) => a.rank === IMAGES_RANK);
  const labels = arrays.filter((a) => a.rank === LABELS_RANK);
  if (images.length !== 1)
    throw new Error(
      `IDX files: expected one image file (rank 3) and at most one label file (rank 1), got ${images.length} image files among ${arrays.map((a) => a.name).join(', ')}`,
    );
  if (labels.length > 1)
    throw new Error(`IDX files: expected at most one label file, got ${labels.map((a) => a.name).join(', ')}`);
  const img = images[0]!;
  const [count, ih, iw] = img.dims as [number, number, number];
  if (ih !== h || iw !== w) throw new Error(`${img.name}: expected ${h}×${w} images, got ${ih}×${iw}`);
  const lab = labels[0];
  if (lab && lab.dims[0] !== count)
    throw new Error(`${lab.name}: expected ${count} labels (one per image of ${img.name}), got ${lab.dims[0]}`);
  return { name: img.name, images: img.data, labels: lab?.data ?? new Uint8Array(count), count };
}

/** PNG files, each `h`×`w`, as grey levels (luminance over black, so transparency reads as 0), ordered by path. */
async function decodePng(files: readonly File[], [h, w]: readonly number[]): Promise<OwnSplit> {
  const sorted = [...files].sort((a, b) => (fileName(a) < fileName(b) ? -1 : 1));
  const images = new Uint8Array(sorted.length * h! * w!);
  const canvas = new OffscreenCanvas(w!, h!);
  const g = canvas.getContext('2d', { willReadFrequently: true })!;
  for (const [i, file] of sorted.entries()) {
    const name = fileName(file);
    if (!/\.png$/i.test(name)) throw new Error(`${name}: expected a PNG file (*.png), got another kind of file`);
    const bitmap = await createImageBitmap(file).catch((err: unknown) => {
      throw new Error(`${name}: expected a PNG image, got one the browser cannot decode (${String(err)})`);
    });
    try {
      if (bitmap.width !== w || bitmap.height !== h)
        throw new Error(`${name}: expected a ${w}×${h} PNG, got ${bitmap.width}×${bitmap.height}`);
      g.clearRect(0, 0, w!, h!);
      g.drawImage(bitmap, 0, 0);
    } finally {
      bitmap.close();
    }
    const rgba = g.getImageData(0, 0, w!, h!).data;
    for (let p = 0; p < h! * w!; p++) {
      const [r, gr, b, a] = [rgba[4 * p]!, rgba[4 * p + 1]!, rgba[4 * p + 2]!, rgba[4 * p + 3]!];
      images[i * h! * w! + p] = Math.round(((0.299 * r + 0.587 * gr + 0.114 * b) * a) / 255);
    }
  }
  const first = sorted[0] ? fileName(sorted[0]) : '';
  const folder = first.includes('/') ? first.slice(0, first.lastIndexOf('/')) : 'PNG files';
  return {
    name: `${folder} (${sorted.length} PNGs)`,
    images,
    labels: new Uint8Array(sorted.length),
    count: sorted.length,
  };
}

/**
 * The images of `data` for a model whose images are `imageShape` `[h, w, 1]`; throws naming the
 * file, the expected and the actual value for a file that is not such an image set.
 */
export async function decodeOwnData(data: OwnData, imageShape: readonly number[]): Promise<OwnSplit> {
  if (imageShape[2] !== 1) throw new Error(`model: expected grey images (1 channel), got ${imageShape[2]} channels`);
  if (data.files.length === 0) throw new Error(`${data.kind} files: expected at least one file, got none`);
  return data.kind === 'idx' ? decodeIdx(data.files, imageShape) : decodePng(data.files, imageShape);
}
