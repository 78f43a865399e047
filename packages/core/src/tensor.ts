/**
 * A minimal, browser-safe tensor: row-major `Float32Array` data plus a shape.
 * Every public function of `@vae/core` validates tensors at its boundary with the helpers below.
 */
export interface Tensor {
  /** Row-major values; `data.length` equals the product of `shape`. */
  readonly data: Float32Array;
  /** Dimensions, outermost first (batch first where there is one). */
  readonly shape: readonly number[];
  /**
   * `true` when the producer guarantees every value is finite (e.g. values converted from 8-bit
   * pixels): `VaeModel` then skips its NaN/±Infinity scan of this input. The producer is
   * responsible; leave it unset for anything that comes from outside (requests, files of floats).
   */
  readonly finite?: boolean;
}

/** A dimension that may be any non-negative integer (e.g. the batch). */
export type DimSpec = number | null;

/** Product of the dimensions of `shape` (1 for a scalar). */
export function sizeOf(shape: readonly number[]): number {
  let n = 1;
  for (const d of shape) n *= d;
  return n;
}

function describeShape(shape: readonly DimSpec[]): string {
  return `[${shape.map((d) => (d === null ? 'batch' : String(d))).join(', ')}]`;
}

/**
 * Builds a tensor after checking that `shape` holds non-negative integers and that
 * `data.length` matches it. Throws a `RangeError` naming `name`, the expected and the actual value.
 */
export function tensor(data: Float32Array | readonly number[], shape: readonly number[], name = 'tensor'): Tensor {
  for (const d of shape) {
    if (!Number.isInteger(d) || d < 0) {
      throw new RangeError(`${name}: shape must hold non-negative integers, got ${describeShape(shape)}`);
    }
  }
  const values = data instanceof Float32Array ? data : Float32Array.from(data);
  const expected = sizeOf(shape);
  if (values.length !== expected) {
    throw new RangeError(
      `${name}: expected ${expected} values for shape ${describeShape(shape)}, got ${values.length}`,
    );
  }
  return { data: values, shape: [...shape] };
}

/** A tensor of zeros. */
export function zeros(shape: readonly number[]): Tensor {
  return tensor(new Float32Array(sizeOf(shape)), shape);
}

/** Throws a `TypeError` unless `value` looks like a {@link Tensor}. */
export function assertTensor(value: unknown, name: string): asserts value is Tensor {
  const t = value as Partial<Tensor> | null;
  if (t === null || typeof t !== 'object' || !(t.data instanceof Float32Array) || !Array.isArray(t.shape)) {
    throw new TypeError(`${name}: expected a tensor { data: Float32Array, shape: number[] }, got ${typeName(value)}`);
  }
  if (t.data.length !== sizeOf(t.shape)) {
    throw new RangeError(
      `${name}: expected ${sizeOf(t.shape)} values for shape ${describeShape(t.shape)}, got ${t.data.length}`,
    );
  }
}

/**
 * Checks `t` against `expected` (use `null` for a free dimension such as the batch).
 * Throws a `RangeError` naming the argument, the expected and the actual shape.
 */
export function assertShape(t: Tensor, expected: readonly DimSpec[], name: string): void {
  assertTensor(t, name);
  const ok = t.shape.length === expected.length && expected.every((d, i) => d === null || d === t.shape[i]);
  if (!ok) {
    throw new RangeError(`${name}: expected shape ${describeShape(expected)}, got ${describeShape(t.shape)}`);
  }
}

/** Throws a `RangeError` naming the first non-finite value of `t` (NaN or ±Infinity). */
export function assertFinite(t: Tensor, name: string): void {
  const { data } = t;
  for (let i = 0; i < data.length; i++) {
    const v = data[i]!;
    if (!Number.isFinite(v)) {
      throw new RangeError(`${name}: expected finite values, got ${v} at flat index ${i}`);
    }
  }
}

/** Throws a `RangeError` unless `value` is an integer in `[min, max]`. */
export function assertInteger(value: unknown, name: string, min = 0, max = Number.MAX_SAFE_INTEGER): number {
  if (typeof value !== 'number' || !Number.isInteger(value) || value < min || value > max) {
    throw new RangeError(`${name}: expected an integer in [${min}, ${max}], got ${String(value)}`);
  }
  return value;
}

/** Throws a `RangeError` unless `value` is a finite number in `[min, max]`. */
export function assertNumber(value: unknown, name: string, min = -Infinity, max = Infinity): number {
  if (typeof value !== 'number' || !Number.isFinite(value) || value < min || value > max) {
    throw new RangeError(`${name}: expected a finite number in [${min}, ${max}], got ${String(value)}`);
  }
  return value;
}

/** Rows `[start, end)` of a batch-first tensor, as a view without copying. */
export function sliceRows(t: Tensor, start: number, end: number): Tensor {
  const row = sizeOf(t.shape.slice(1));
  return { data: t.data.subarray(start * row, end * row), shape: [end - start, ...t.shape.slice(1)] };
}

/** Rows `rows[i]` of a batch-first tensor `[n, W]`, gathered into a new tensor. */
export function gatherRows(t: Tensor, rows: ArrayLike<number>): Tensor {
  const width = t.shape[1]!;
  const out = new Float32Array(rows.length * width);
  for (let i = 0; i < rows.length; i++) {
    const r = rows[i]!;
    out.set(t.data.subarray(r * width, (r + 1) * width), i * width);
  }
  return { data: out, shape: [rows.length, width] };
}

/** Concatenates batch-first tensors with equal trailing dimensions along the batch. */
export function concatRows(parts: readonly Tensor[], name = 'parts'): Tensor {
  if (parts.length === 0) throw new RangeError(`${name}: expected at least one tensor, got 0`);
  const tail = parts[0]!.shape.slice(1);
  let rows = 0;
  for (const [i, p] of parts.entries()) {
    assertShape(p, [null, ...tail], `${name}[${i}]`);
    rows += p.shape[0]!;
  }
  const out = new Float32Array(rows * sizeOf(tail));
  let offset = 0;
  for (const p of parts) {
    out.set(p.data, offset);
    offset += p.data.length;
  }
  return { data: out, shape: [rows, ...tail] };
}

function typeName(value: unknown): string {
  if (value === null) return 'null';
  if (Array.isArray(value)) return 'an array';
  if (ArrayBuffer.isView(value)) return value.constructor.name;
  return typeof value;
}
