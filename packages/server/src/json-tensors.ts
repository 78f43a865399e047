import type { Tensor } from '@vae/core';
import { badRequest } from './http-error.js';

/**
 * Parses a JSON matrix for the convenience routes: rows `number[][]` (or one row `number[]`) of
 * `width` finite numbers, at most `maxRows` rows. Throws 400 errors naming `path`.
 */
export function parseRows(value: unknown, width: number, path: string, maxRows: number): Tensor {
  if (!Array.isArray(value) || value.length === 0) throw badRequest(`${path}: expected a non-empty array of rows of ${width} numbers, got ${describe(value)}`);
  const rows: unknown[] = Array.isArray(value[0]) ? value : [value];
  if (rows.length > maxRows) throw badRequest(`${path}: expected at most ${maxRows} rows, got ${rows.length}`);
  const out = new Float32Array(rows.length * width);
  rows.forEach((row, i) => {
    if (!Array.isArray(row) || row.length !== width) throw badRequest(`${path}[${i}]: expected a row of ${width} numbers, got ${describe(row)}`);
    for (let j = 0; j < width; j++) {
      const v = row[j];
      if (typeof v !== 'number' || !Number.isFinite(v)) throw badRequest(`${path}[${i}][${j}]: expected a finite number, got ${describe(v)}`);
      out[i * width + j] = v;
    }
  });
  return { data: out, shape: [rows.length, width] };
}

/** Rows of a `[n, W]` tensor as nested arrays. */
export function toRows(t: Tensor): number[][] {
  const width = t.shape[1] ?? 0;
  const out: number[][] = [];
  for (let i = 0; i < t.shape[0]!; i++) out.push(Array.from(t.data.subarray(i * width, (i + 1) * width)));
  return out;
}

/** Reads an integer field of a JSON body, or throws 400. */
export function intField(body: Record<string, unknown>, key: string, min: number, max: number, fallback?: number): number {
  const v = body[key] ?? fallback;
  if (typeof v !== 'number' || !Number.isInteger(v) || v < min || v > max) {
    throw badRequest(`${key}: expected an integer in [${min}, ${max}], got ${describe(v)}`);
  }
  return v;
}

/** Reads a finite number field of a JSON body, or throws 400. */
export function numberField(body: Record<string, unknown>, key: string, min: number, max: number, fallback: number): number {
  const v = body[key] ?? fallback;
  if (typeof v !== 'number' || !Number.isFinite(v) || v < min || v > max) {
    throw badRequest(`${key}: expected a number in [${min}, ${max}], got ${describe(v)}`);
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
