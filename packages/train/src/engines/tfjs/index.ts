/**
 * The TensorFlow.js engine room: the only modules of `@vae/train` that import `@tensorflow/*`.
 * Nothing outside this folder imports it statically; the trainer, parity and the CLI reach it through
 * `loadTfjs` (`../load-tfjs.ts`), which says which packages to install when TensorFlow.js is missing.
 * Published as `@vae/train/tfjs` for callers that want the tfjs API directly.
 */
import type { TfjsRoom } from '../tfjs-contract.js';
import { selectBackend } from './backends.js';
import { tf } from './tf.js';
import { createTfjsModel } from './tfjs-model.js';
import { TfjsEngine } from './tfjs-engine.js';

export { tf };
export {
  selectBackend,
  listTfjsBackends,
  registerTfjsBackend,
  type BackendLoader,
  type BackendSelection,
  type SelectBackendOptions,
} from './backends.js';
export { getTfLayer, registerTfLayer, type TfLayerBuilder, type TfLayerContext } from './tfjs-layers.js';
export { createTfjsModel, type TfjsModel, type TfjsEncoding } from './tfjs-model.js';
export { TfjsEngine };

/** This room as `loadTfjs` hands it out (see `TfjsRoom`). */
export const TFJS_ROOM: TfjsRoom = Object.freeze({
  version: tf.version.tfjs,
  activeBackend: () => tf.getBackend(),
  selectBackend,
  createTfjsModel,
  createEngine: () => new TfjsEngine(),
});
