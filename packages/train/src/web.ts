/**
 * The browser-safe part of `@vae/train` (`@vae/train/web`): the ort engine's step runner on
 * onnxruntime-web, the batches (same random draws as Node for the same seed), and `@vae/data`'s
 * IDX parser and splits re-exported for the browser trainer.
 * Nothing here imports a Node built-in or onnxruntime-node.
 */
export { ADAM_DEFAULTS } from './engines/adam-defaults.js';
export { AdamArena, type AdamArenaOptions, type ArenaTensor } from './engines/ort/adam-arena.js';
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
} from './engines/ort/ort-step-runner.js';
export type { OrtModule, OrtPlatform } from './engines/ort/ort-platform.js';
export { parseTrainDevice, webOrtPlatform, type WebTrainDevice } from './engines/ort/web-platform.js';
export { makeBatch, type BatchOptions } from './batches/batches.js';
/** Re-exported from `@vae/data` (the browser trainer page imports them from here). */
export {
  firstExamples,
  idxHeaderBytes,
  parseIdx,
  parseIdxHeader,
  pixelsToUnit,
  splitValidation,
  type IdxArray,
  type IdxHeader,
  type ImageSplit,
} from '@vae/data';
export type { TrainBatch } from './engines/engine.js';
export type { Binarization } from './config.js';
export {
  validate,
  VALIDATION_SEED_OFFSET,
  type ValidationEngine,
  type ValidationResult,
} from './trainer/validation.js';
export { DEFAULT_TRAIN_CONFIG, type TrainConfig } from './config.js';
