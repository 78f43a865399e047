import { validateModelSpec, type ModelSpec } from '@vae/core';
import { listEngines } from './engine.js';

/** Why `auto` chose an engine. */
export interface EngineChoice {
  readonly engine: string;
  readonly reason: string;
}

/**
 * Resolves an engine request for `spec`. `auto` picks `ort` (many times faster than tfjs-wasm on the
 * 784-400-20 VAE: see `bench/train-ort.ts`) when it is registered, its training graph supports every
 * layer of the spec (every registered layer: its training graph is emitted from the same layer
 * definitions as the exported graphs; the IWAE bound too) and the backend is not a TensorFlow.js-only
 * one (`tensorflow`, `wasm`); otherwise `tfjs`. Explicit names pass through.
 */
export function chooseEngine(request: string, spec: ModelSpec, o: { backend?: string } = {}): EngineChoice {
  if (request !== 'auto') return { engine: request, reason: 'requested' };
  if (!listEngines().includes('ort')) return { engine: 'tfjs', reason: 'the ort engine is not registered' };
  if (o.backend === 'tensorflow' || o.backend === 'wasm')
    return { engine: 'tfjs', reason: `backend ${o.backend} is a TensorFlow.js backend` };
  try {
    validateModelSpec(spec);
  } catch (err) {
    return { engine: 'tfjs', reason: err instanceof Error ? err.message : String(err) };
  }
  return { engine: 'ort', reason: 'the ort training graph supports this spec' };
}
