export { codesChecked, type GroundTruthCodes } from './ground-truth.js';
export {
  MIG_DEFAULTS,
  discreteMutualInformation,
  histogramDiscretize,
  migFromCodes,
  mutualInformationGap,
  type MigResult,
} from './mig.js';
export {
  FACTOR_VAE_DEFAULTS,
  factorVaeScore,
  type FactorVaeOptions,
  type FactorVaeResult,
} from './factor-vae.js';
export {
  evaluateDisentanglement,
  factorGroundTruth,
  type DisentanglementOptions,
  type DisentanglementResult,
} from './evaluate-disentanglement.js';
