/**
 * The engines room as the trainer sees it: the engine contract and registry, `auto`'s choice, and
 * the registrations: `ort` (imported here) and `tfjs` (a lazy factory, see `load-tfjs.ts`).
 */
import './ort/ort-engine.js';

export {
  createEngine,
  listEngines,
  registerEngine,
  type Engine,
  type EngineFactory,
  type ForwardTerms,
  type StepOutputs,
  type TrainBatch,
} from './engine.js';
export { chooseEngine, type EngineChoice } from './engine-choice.js';
export { TFJS_PACKAGES, loadTfjs } from './load-tfjs.js';
export type { BackendSelection, SelectBackendOptions, TfjsEncoding, TfjsModel, TfjsRoom } from './tfjs-contract.js';
