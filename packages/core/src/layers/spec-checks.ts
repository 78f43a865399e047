import { ACTIVATIONS } from '../model-spec.js';

/** Throws a `RangeError` naming the field at `path`, the expected and the actual value. */
export function specFail(path: string, expected: string, actual: unknown): never {
  throw new RangeError(`${path}: expected ${expected}, got ${JSON.stringify(actual)}`);
}

/** Checks that `v` is a positive integer. */
export function positiveInt(v: unknown, path: string): void {
  if (typeof v !== 'number' || !Number.isInteger(v) || v <= 0) specFail(path, 'a positive integer', v);
}

/** Checks that `v` names an activation. */
export function checkActivation(v: unknown, path: string): void {
  if (typeof v !== 'string' || !(v in ACTIVATIONS)) specFail(path, Object.keys(ACTIVATIONS).join('|'), v);
}

/** Checks the optional `useBias` flag of a layer. */
export function checkUseBias(v: unknown, path: string): void {
  if (v !== undefined && typeof v !== 'boolean') specFail(path, 'true|false', v);
}

/** The layer's bias state entry, unless it has `useBias: false`. */
export function biasState<T>(layer: { readonly useBias?: boolean }, entry: T): T[] {
  return layer.useBias === false ? [] : [entry];
}
