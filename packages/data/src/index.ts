/**
 * `@vae/data`: the browser-safe part of the datasets (no Node built-ins): the dataset registry, the
 * generated sets (`shapes`, `color-shapes`, registered on import), image headers, resizing and
 * channel conversion, IDX parsing, splits and the shuffled block reader, pixel conversion. The file
 * readers (IDX files, PNG/JPEG decoding, image folders and their pixel cache) are in `@vae/data/node`.
 */
import './generated.js';

export {
  datasetInfo,
  datasetNames,
  listDatasets,
  loadDataset,
  registerDataset,
} from './registry.js';
export {
  inMemory,
  isStoredSplit,
  type DatasetCapabilities,
  type DatasetInfo,
  type DatasetLoadOptions,
  type DatasetLoader,
  type FactorSet,
  type ImageDataset,
  type StoredSplit,
  type TrainSplit,
} from './dataset.js';
export { firstExamples, sliceSplit, splitValidation, type FactorLabels, type ImageSplit } from './image-split.js';
export {
  BlockShuffler,
  SHUFFLE_BUFFER_BYTES,
  firstRows,
  holdOutValidation,
  readRows,
  sliceStored,
  type BlockShufflerOptions,
  type EpochPlan,
} from './stored-split.js';
export { idxHeaderBytes, parseIdx, parseIdxHeader, type IdxArray, type IdxHeader } from './idx.js';
export {
  MAX_IMAGE_PIXELS,
  checkImageHeader,
  maxInflatedBytes,
  pngImageData,
  readPngHeader,
  type ImageLimits,
  type PngHeader,
} from './png-header.js';
export { isJpeg, readJpegHeader, type JpegHeader } from './jpeg-header.js';
export {
  IMAGE_FORMATS,
  isImageFileName,
  readImageHeader,
  type ImageFormat,
  type ImageHeader,
} from './image-header.js';
export {
  colourChannels,
  convertChannels,
  coverWindow,
  fitImage,
  resizeCover,
  sizeOfTarget,
  type FitOptions,
  type RawImage,
  type TargetSize,
} from './resize.js';
export { pixelsToUnit } from './unit-pixels.js';
export {
  SHAPES_FACTORS,
  SHAPES_FACTOR_SET,
  SHAPES_GRID_SIZE,
  SHAPES_SIZE,
  SHAPE_NAMES,
  generateShapes,
  renderShape,
  renderShapes,
  sampleShapesFactors,
  shapesFactorsAt,
  type ShapesOptions,
} from './shapes.js';
export {
  COLOR_SHAPES_FACTORS,
  COLOR_SHAPES_FACTOR_SET,
  COLOR_SHAPES_GRID_SIZE,
  COLOR_SHAPES_HUES,
  generateColorShapes,
  hsvToRgb,
  renderColorShapes,
  type ColorShapesOptions,
} from './color-shapes.js';
export { gridFactorsAt, gridSplit, sampleGridFactors, type GridDraw } from './factor-grid.js';
