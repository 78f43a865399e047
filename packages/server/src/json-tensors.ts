import { sizeText, type Tensor } from '@vae/core';
import type { BodySpec, IntegerSpec, NumberSpec } from './api-schema.js';
import { badRequest } from './http-error.js';

/**
 * Throws 400 naming the first key of `body` that `spec` does not describe: a misspelt optional field
 * (`sample` for `samples`, `temprature`) would otherwise silently take its default.
 */
export function refuseUnknownFields(body: Readonly<Record<string, unknown>>, spec: BodySpec): void {
  const unknown = Object.keys(body).find((key) => !Object.hasOwn(spec.fields, key));
  if (unknown !== undefined)
    throw badRequest(
      `body: expected only the fields ${Object.keys(spec.fields).join(', ')}, got an unknown field ${JSON.stringify(unknown)}`,
    );
}

/**
 * Parses a JSON matrix for the convenience routes: rows `number[][]` (or one row `number[]`) of
 * `width` finite numbers, at most `maxRows` rows. Throws 400 errors naming `path` (and, for image
 * rows, the `imageShape` `[H, W, C]` a row flattens in HWC order).
 */
export function parseRows(
  value: unknown,
  width: number,
  path: string,
  maxRows: number,
  imageShape?: readonly [number, number, number],
): Tensor {
  const what = imageShape ? `${width} numbers (one ${sizeText(...imageShape)} image, HWC)` : `${width} numbers`;
  if (!Array.isArray(value) || value.length === 0)
    throw badRequest(`${path}: expected a non-empty array of rows of ${what}, got ${describe(value)}`);
  const rows: unknown[] = Array.isArray(value[0]) ? value : [value];
  if (rows.length > maxRows) throw badRequest(`${path}: expected at most ${maxRows} rows, got ${rows.length}`);
  const out = new Float32Array(rows.length * width);
  rows.forEach((row, i) => {
    if (!Array.isArray(row) || row.length !== width)
      throw badRequest(`${path}[${i}]: expected a row of ${what}, got ${describe(row)}`);
    for (let j = 0; j < width; j++) storeFloat32(out, i * width + j, row[j], `${path}[${i}][${j}]`);
  });
  return { data: out, shape: [rows.length, width] };
}

/** Largest finite float32 (larger magnitudes overflow to ±Infinity when converted). */
export const FLOAT32_MAX = 3.4028234663852886e38;

/**
 * Stores `v` at `out[i]` as the model's float32, or throws 400 naming `where`: `v` must be a
 * finite number that stays finite after the conversion (JSON `1e39` or FP64 `1e300` overflow).
 */
export function storeFloat32(out: Float32Array, i: number, v: unknown, where: string): void {
  if (typeof v !== 'number' || !Number.isFinite(v))
    throw badRequest(`${where}: expected a finite number, got ${describe(v)}`);
  out[i] = v;
  if (!Number.isFinite(out[i]!))
    throw badRequest(`${where}: expected a number within float32 range (|v| ≤ ${FLOAT32_MAX}), got ${v}`);
}

/** Rows of a `[n, W]` tensor as nested arrays. */
export function toRows(t: Tensor): number[][] {
  const width = t.shape[1] ?? 0;
  const out: number[][] = [];
  for (let i = 0; i < t.shape[0]!; i++) out.push(Array.from(t.data.subarray(i * width, (i + 1) * width)));
  return out;
}

/**
 * Reads a number field of a JSON body as its {@link IntegerSpec} or {@link NumberSpec} describes it
 * (range, default), or throws 400 naming the field, the range and the value.
 */
export function numberField(body: Record<string, unknown>, key: string, spec: IntegerSpec | NumberSpec): number {
  const v = body[key] ?? spec.default;
  const integer = spec.type === 'integer';
  if (typeof v !== 'number' || !(integer ? Number.isInteger(v) : Number.isFinite(v)) || v < spec.min || v > spec.max) {
    throw badRequest(
      `${key}: expected ${integer ? 'an integer' : 'a number'} in [${spec.min}, ${spec.max}], got ${describe(v)}`,
    );
  }
  return v;
}

/** Short description of a JSON value for error messages. */
export function describe(v: unknown): string {
  if (typeof v === 'string') return JSON.stringify(v.length > 40 ? `${v.slice(0, 40)}…` : v);
  if (Array.isArray(v)) return `an array of length ${v.length}`;
  if (v === null) return 'null';
  if (typeof v === 'object') return 'an object';
  return String(v);
}
