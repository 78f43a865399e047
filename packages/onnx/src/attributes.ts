import type { GraphTensor } from './tensor-types.js';

/** An explicitly typed attribute value (plain numbers are ints; use these for floats and tensors). */
export type TypedAttribute =
  | { readonly kind: 'float'; readonly value: number }
  | { readonly kind: 'floats'; readonly value: readonly number[] }
  | { readonly kind: 'int'; readonly value: number | bigint }
  | { readonly kind: 'ints'; readonly value: readonly (number | bigint)[] }
  | { readonly kind: 'string'; readonly value: string }
  | { readonly kind: 'strings'; readonly value: readonly string[] }
  | { readonly kind: 'tensor'; readonly value: GraphTensor };

/**
 * A node attribute. Plain `number`/`bigint` → INT (must be an integer), `number[]` → INTS,
 * `string` → STRING, `string[]` → STRINGS; use {@link attr} for FLOAT, FLOATS and TENSOR.
 */
export type AttributeValue = number | bigint | readonly number[] | string | readonly string[] | TypedAttribute;

/** Attributes of one node, by name. */
export type Attributes = Readonly<Record<string, AttributeValue>>;

/** Constructors for explicitly typed attributes. */
export const attr = Object.freeze({
  float: (value: number): TypedAttribute => ({ kind: 'float', value }),
  floats: (value: readonly number[]): TypedAttribute => ({ kind: 'floats', value }),
  int: (value: number | bigint): TypedAttribute => ({ kind: 'int', value }),
  ints: (value: readonly (number | bigint)[]): TypedAttribute => ({ kind: 'ints', value }),
  string: (value: string): TypedAttribute => ({ kind: 'string', value }),
  strings: (value: readonly string[]): TypedAttribute => ({ kind: 'strings', value }),
  tensor: (value: GraphTensor): TypedAttribute => ({ kind: 'tensor', value }),
});

function isTyped(v: AttributeValue): v is TypedAttribute {
  return typeof v === 'object' && v !== null && !Array.isArray(v) && 'kind' in v;
}

/** Normalizes an attribute value to its typed form; throws naming `path` for non-integer ints. */
export function toTypedAttribute(value: AttributeValue, path: string): TypedAttribute {
  if (isTyped(value)) return value;
  if (typeof value === 'bigint') return { kind: 'int', value };
  if (typeof value === 'number') {
    if (!Number.isInteger(value))
      throw new RangeError(`${path}: expected an integer (use attr.float for floats), got ${value}`);
    return { kind: 'int', value };
  }
  if (typeof value === 'string') return { kind: 'string', value };
  if (Array.isArray(value)) {
    if (value.every((v) => typeof v === 'string')) return { kind: 'strings', value: value as readonly string[] };
    if (value.every((v) => typeof v === 'number' && Number.isInteger(v)))
      return { kind: 'ints', value: value as readonly number[] };
    throw new RangeError(
      `${path}: expected integers or strings (use attr.floats for floats), got ${JSON.stringify(value)}`,
    );
  }
  throw new TypeError(`${path}: expected an attribute value, got ${typeof value}`);
}
