import { parseIdx, type ImageSplit } from '@vae/train/web';
import { gunzip, isGzip } from './gunzip.js';
import { centreCropBox } from './image-fit.js';
import type { OwnData, TrainSettings } from './train-protocol.js';

/** Decoded user data: a name for the manifest's provenance and the images (labels zero when none were given). */
export interface OwnSplit extends ImageSplit {
  readonly name: string;
  /** `[H, W, C]` of the decoded images (the model trained on them gets this shape). */
  readonly imageShape: readonly [number, number, number];
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

/**
 * One IDX image file (rank 3, `[n, h, w]`: grey images of its own size) and at most one label file
 * (rank 1), raw or gzipped, in any order.
 */
async function decodeIdx(files: readonly File[]): Promise<OwnSplit> {
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
  const lab = labels[0];
  if (lab && lab.dims[0] !== count)
    throw new Error(`${lab.name}: expected ${count} labels (one per image of ${img.name}), got ${lab.dims[0]}`);
  return {
    name: img.name,
    images: img.data,
    labels: lab?.data ?? new Uint8Array(count),
    count,
    imageShape: [ih, iw, 1],
  };
}

/** File names the page decodes as images. */
const IMAGE_FILE = /\.(png|jpe?g)$/i;

/**
 * PNG or JPEG files of any size as `size`×`size` images, ordered by path: each resized so that its
 * short side is `size`, then centre-cropped (the CLI's rule, {@link centreCropBox}), drawn over black
 * (transparency reads as 0). `channels` 3 keeps RGB, 1 takes luminance, `auto` is 3 when some pixel
 * of some image has colour (R, G, B not all equal), else 1.
 */
async function decodeImages(files: readonly File[], size: number, channels: 1 | 3 | 'auto'): Promise<OwnSplit> {
  const sorted = [...files].sort((a, b) => (fileName(a) < fileName(b) ? -1 : 1));
  const pixels = size * size;
  const rgb = new Uint8Array(sorted.length * pixels * 3);
  const canvas = new OffscreenCanvas(size, size);
  const g = canvas.getContext('2d', { willReadFrequently: true })!;
  g.imageSmoothingQuality = 'high';
  let colour = false;
  for (const [i, file] of sorted.entries()) {
    const name = fileName(file);
    if (!IMAGE_FILE.test(name))
      throw new Error(`${name}: expected a PNG or JPEG file (*.png, *.jpg), got another kind of file`);
    const bitmap = await createImageBitmap(file).catch((err: unknown) => {
      throw new Error(`${name}: expected a PNG or JPEG image, got one the browser cannot decode (${String(err)})`);
    });
    try {
      const box = centreCropBox(bitmap.width, bitmap.height, size, size);
      g.fillStyle = '#000';
      g.fillRect(0, 0, size, size);
      g.drawImage(bitmap, box.x, box.y, box.width, box.height, 0, 0, size, size);
    } finally {
      bitmap.close();
    }
    const rgba = g.getImageData(0, 0, size, size).data;
    for (let p = 0; p < pixels; p++) {
      const [r, gr, b] = [rgba[4 * p]!, rgba[4 * p + 1]!, rgba[4 * p + 2]!];
      rgb.set([r, gr, b], (i * pixels + p) * 3);
      colour ||= r !== gr || gr !== b;
    }
  }
  const c = channels === 'auto' ? (colour ? 3 : 1) : channels;
  const images = c === 3 ? rgb : new Uint8Array(sorted.length * pixels);
  if (c === 1)
    for (let q = 0; q < images.length; q++)
      images[q] = Math.round(0.299 * rgb[3 * q]! + 0.587 * rgb[3 * q + 1]! + 0.114 * rgb[3 * q + 2]!);
  const first = sorted[0] ? fileName(sorted[0]) : '';
  const folder = first.includes('/') ? first.slice(0, first.lastIndexOf('/')) : 'image files';
  return {
    name: `${folder} (${sorted.length} images, ${size}×${size}×${c})`,
    images,
    labels: new Uint8Array(sorted.length),
    count: sorted.length,
    imageShape: [size, size, c],
  };
}

/**
 * The images of `data`: IDX files as they are (grey, their own size); PNG/JPEG files resized to
 * `settings.imageSize` (short side, centre crop) with `settings.channels`. Throws naming the file,
 * the expected and the actual value for a file that is not such an image set.
 */
export async function decodeOwnData(
  data: OwnData,
  settings: Required<Pick<TrainSettings, 'imageSize' | 'channels'>>,
): Promise<OwnSplit> {
  if (data.files.length === 0) throw new Error(`${data.kind} files: expected at least one file, got none`);
  return data.kind === 'idx' ? decodeIdx(data.files) : decodeImages(data.files, settings.imageSize, settings.channels);
}
