/**
 * `@vae/data/node`: the file readers of `@vae/data` (Node only). Importing it registers the file
 * datasets (`mnist`, `fashion-mnist`, `idx`, `images`) beside the generated ones, so `listDatasets`
 * and `loadDataset` of `@vae/data` see all of them. Also the file plumbing the other Node packages
 * share: atomic writes, fault points, worker threads started from sources or builds.
 */
import './datasets.js';

/** The registry (the same as `@vae/data`'s), named here so that importing it from the Node entry registers the file datasets. */
export { datasetInfo, datasetNames, listDatasets, loadDataset, registerDataset } from '../registry.js';

export {
  MAX_IDX_BYTES,
  FASHION_MNIST_DIR,
  labelsBeside,
  loadIdxDirectory,
  readIdxFile,
  readIdxImages,
  type IdxDirectoryOptions,
  type IdxImagesOptions,
  type IdxLimits,
} from './idx-files.js';
export { DEFLATE_MAX_RATIO, isGzip, readFileBounded, type LengthFromHeader } from './bounded-read.js';
export { decodeAndFit, decodeImage, type DecodedImage } from './decode.js';
export {
  MAX_IMAGE_FILE_BYTES,
  decodeFileInto,
  readImageFile,
  type DecodeTarget,
  type DecodedRow,
} from './decode-file.js';
export { MAX_CLASSES, scanImageFolder, type FolderScan, type ScanOptions } from './folder-scan.js';
export {
  CACHE_DIR_ENV,
  CACHE_FILES,
  CACHE_FORMAT,
  defaultCacheDir,
  ensureImageCache,
  type CacheIndex,
  type ImageCache,
  type ImageCacheOptions,
} from './pixel-cache.js';
export {
  BLOCK_BYTES,
  DEFAULT_MEMORY_BYTES,
  loadImageFolder,
  type ImageFolderOptions,
} from './image-folder.js';
export {
  parseTempPath,
  removeStaleTemps,
  syncDir,
  tempPathFor,
  writeFileAtomic,
  writeFileDurable,
} from './atomic-write.js';
export { cleanupOnExit } from './exit-cleanup.js';
export { FAULT_POINT_ENV, FAULT_SIGNAL_ENV, faultPoint } from './fault-points.js';
export { workerStart, type WorkerStart } from './worker-start.js';
export { WorkerRequests, type WithoutId } from './worker-requests.js';
export { answerRequests, type WorkerFailure } from './worker-replies.js';
