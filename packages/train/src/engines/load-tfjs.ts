import { missingPackage, notInstalledMessage } from '@vae/core';
import { registerEngine } from './engine.js';
import type { TfjsRoom } from './tfjs-contract.js';

/**
 * TensorFlow.js packages `@vae/train` lists as optional peer dependencies, at the version it is
 * tested with: the core (`cpu` backend) and the backends `auto` prefers (`wasm`, `webgpu`). The native
 * `tensorflow` backend's `@tensorflow/tfjs-node` (or `-node-gpu`) is not declared at all: its install
 * downloads libtensorflow, so a user adds it deliberately.
 */
export const TFJS_PACKAGES: readonly string[] = Object.freeze([
  '@tensorflow/tfjs@4.22.0',
  '@tensorflow/tfjs-backend-wasm@4.22.0',
  '@tensorflow/tfjs-backend-webgpu@4.22.0',
]);

/** What {@link loadTfjs} throws when a TensorFlow.js package is not installed (`name` `TfjsMissingError`). */
function tfjsMissingError(neededBy: string, missing: string, cause?: unknown): Error {
  const err = new Error(notInstalledMessage(`${neededBy} needs TensorFlow.js, and ${missing}`, TFJS_PACKAGES), {
    cause,
  });
  err.name = 'TfjsMissingError';
  return err;
}

/**
 * Imports the TensorFlow.js engine room: the one place `@vae/train` loads `@tensorflow/*`, so an
 * install without TensorFlow.js trains on ort, exports, serves and runs parity. `neededBy` names what
 * asked for it (e.g. `--engine tfjs`, `parity --runtimes tfjs-cpu`); when a TensorFlow.js package is
 * missing the error names it, and the `npm i` line that installs them.
 */
export async function loadTfjs(neededBy: string): Promise<TfjsRoom> {
  try {
    return (await import('./tfjs/index.js')).TFJS_ROOM;
  } catch (err) {
    const missing = missingPackage(err);
    if (missing?.startsWith('@tensorflow/')) throw tfjsMissingError(neededBy, missing, err);
    throw err;
  }
}

registerEngine('tfjs', async () => (await loadTfjs('the tfjs engine (--engine tfjs)')).createEngine());
