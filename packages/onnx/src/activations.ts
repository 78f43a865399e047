import type { GraphBuilder } from './graph-builder.js';

/** Emits an activation on `input` and returns the output name (`linear` returns `input`). */
export type ActivationConverter = (g: GraphBuilder, input: string) => string;

const registry = new Map<string, ActivationConverter>([
  ['linear', (_g, x) => x],
  ['relu', (g, x) => g.op('Relu', [x])],
  ['tanh', (g, x) => g.op('Tanh', [x])],
  ['sigmoid', (g, x) => g.op('Sigmoid', [x])],
]);

/** Registers (or replaces) the converter of activation `name`. */
export function registerActivation(name: string, fn: ActivationConverter): void {
  if (typeof name !== 'string' || name.length === 0) throw new TypeError(`name: expected a non-empty string, got ${JSON.stringify(name)}`);
  registry.set(name, fn);
}

/** Names of the registered activations. */
export function listActivations(): string[] {
  return [...registry.keys()];
}

/**
 * Emits activation `name` for the layer at `layerPath`; an unknown activation throws a `RangeError`
 * naming the layer, the known activations and the actual value.
 */
export function applyActivation(g: GraphBuilder, name: string, input: string, layerPath: string): string {
  const fn = registry.get(name);
  if (!fn) throw new RangeError(`${layerPath}: unsupported activation ${JSON.stringify(name)}; expected one of ${listActivations().join('|')}`);
  return fn(g, input);
}
