/**
 * The browser-safe part of `@vae/train` (`@vae/train/web`): the ort engine's step runner on
 * onnxruntime-web, the batches (same random draws as Node for the same seed) and the IDX parser.
 * Nothing here imports a Node built-in or onnxruntime-node.
 */
export { ADAM_DEFAULTS } from './adam-defaults.js';
export { AdamArena, type AdamArenaOptions, type ArenaTensor } from './ort/adam-arena.js';
export {
  OrtStepRunner,
  type OrtAdamState,
  type OrtBatch,
  type OrtFallback,
  type OrtForwardTerms,
  type OrtRunnerInit,
  type OrtStepResult,
  type OrtStepTerms,
  withElbo,
} from './ort/ort-step-runner.js';
export type { OrtModule, OrtPlatform } from './ort/ort-platform.js';
export { WEB_TRAIN_DEVICES, parseWebDevice, webOrtPlatform, type WebTrainDevice } from './ort/web-platform.js';
export { makeBatch, type BatchOptions } from './batches.js';
export { pixelsToUnit } from './unit-pixels.js';
export { firstExamples, splitValidation, type ImageSplit } from './image-split.js';
export { idxHeaderBytes, parseIdx, parseIdxHeader, type IdxArray, type IdxHeader } from './idx-impl.js';
export type { TrainBatch } from './engine.js';
export type { Binarization } from './config.js';
export { validate, VALIDATION_SEED_OFFSET, type ValidationEngine, type ValidationResult } from './validation.js';
export { DEFAULT_TRAIN_CONFIG, type TrainConfig } from './config.js';
