import type { DeviceArithmetic } from './runtime-contract.js';
import { sizeOf, type Tensor } from './tensor.js';

/** Identifies a golden file of this product. */
export const GOLDEN_SCHEMA = 'vae-everywhere/golden';
/** Current golden file schema version. */
export const GOLDEN_VERSION = 1;
/** File name of the golden set inside a model directory. */
export const GOLDEN_FILE = 'golden.json';
/** The graphs a golden set can hold rows for. */
export const GOLDEN_GRAPHS = Object.freeze(['encoder', 'decoder', 'scorer'] as const);
/** A graph with golden rows. */
export type GoldenGraph = (typeof GOLDEN_GRAPHS)[number];

/** An `allclose` tolerance: a value passes when `|actual − golden| ≤ abs + rel·|golden|`. */
export interface GoldenTolerance {
  readonly abs: number;
  readonly rel: number;
}

/**
 * A tensor stored in a golden file: little-endian bytes in base64. `float32` values as they are;
 * `uint8` values are pixels, the tensor being `Math.fround(byte · scale)` (the model's input scale).
 * `stride` (outputs only) keeps every `stride`-th value of the flat tensor, starting at 0.
 */
export interface GoldenTensor {
  readonly shape: readonly number[];
  readonly dtype: 'float32' | 'uint8';
  readonly scale?: number;
  readonly stride?: number;
  readonly base64: string;
}

/** Golden rows of one graph: its feeds and the reference outputs (possibly strided). */
export interface GoldenCase {
  readonly inputs: Readonly<Record<string, GoldenTensor>>;
  readonly outputs: Readonly<Record<string, GoldenTensor>>;
}

/** `golden.json`: reference rows computed at export, with tolerances per device arithmetic and output. */
export interface GoldenFile {
  readonly schema: typeof GOLDEN_SCHEMA;
  readonly schemaVersion: typeof GOLDEN_VERSION;
  /** Where the reference outputs were computed (e.g. `onnxruntime-node`, `cpu`). */
  readonly reference: { readonly backend: string; readonly device: string };
  /** Output name → tolerance, per device arithmetic (`exact`: cpu/wasm, `reassociated`: GPUs). */
  readonly tolerances: Readonly<Record<DeviceArithmetic, Readonly<Record<string, GoldenTolerance>>>>;
  /** Why the tolerances are what they are (free text, for people reading the file). */
  readonly toleranceSource: string;
  readonly cases: Readonly<Partial<Record<GoldenGraph, GoldenCase>>>;
}

/** A malformed golden file; `field` is the path of the offending field, e.g. `golden.cases.decoder`. */
export class GoldenFileError extends Error {
  override readonly name = 'GoldenFileError';
  constructor(
    readonly field: string,
    expected: string,
    actual: unknown,
  ) {
    super(`${field}: expected ${expected}, got ${JSON.stringify(actual)?.slice(0, 120) ?? 'nothing (missing)'}`);
  }
}

function bytesToBase64(bytes: Uint8Array): string {
  let s = '';
  for (let i = 0; i < bytes.length; i += 0x8000) s += String.fromCharCode(...bytes.subarray(i, i + 0x8000));
  return btoa(s);
}

function base64ToBytes(text: string, field: string): Uint8Array {
  let s: string;
  try {
    s = atob(text);
  } catch {
    throw new GoldenFileError(field, 'base64 text', `${text.slice(0, 20)}…`);
  }
  return Uint8Array.from(s, (c) => c.charCodeAt(0));
}

/** Values of `t` kept for a golden output: every `stride`-th value (all when `stride` is 1). */
export function strideValues(data: Float32Array, stride: number): Float32Array {
  if (stride === 1) return data;
  const out = new Float32Array(Math.ceil(data.length / stride));
  for (let i = 0; i < out.length; i++) out[i] = data[i * stride]!;
  return out;
}

/** Encodes float32 `t` (optionally strided) as a {@link GoldenTensor}. */
export function encodeGoldenFloats(t: Tensor, stride = 1): GoldenTensor {
  const kept = strideValues(t.data, stride);
  const bytes = new Uint8Array(kept.buffer, kept.byteOffset, kept.byteLength);
  return { shape: [...t.shape], dtype: 'float32', ...(stride > 1 ? { stride } : {}), base64: bytesToBase64(bytes) };
}

/** Encodes pixel bytes `[rows, D]` as a `uint8` {@link GoldenTensor} read back as `byte · scale`. */
export function encodeGoldenPixels(pixels: Uint8Array, shape: readonly number[], scale: number): GoldenTensor {
  return { shape: [...shape], dtype: 'uint8', scale, base64: bytesToBase64(pixels) };
}

/** The stored values of `g` as float32 (strided outputs: the kept values only). */
export function decodeGoldenValues(g: GoldenTensor, field: string): Float32Array {
  const bytes = base64ToBytes(g.base64, `${field}.base64`);
  const stride = g.stride ?? 1;
  const count = Math.ceil(sizeOf(g.shape) / stride);
  const width = g.dtype === 'uint8' ? 1 : 4;
  if (bytes.length !== count * width)
    throw new GoldenFileError(
      `${field}.base64`,
      `${count * width} bytes for shape [${g.shape.join(', ')}]`,
      bytes.length,
    );
  if (g.dtype === 'uint8') return Float32Array.from(bytes, (b) => b * g.scale!);
  const out = new Float32Array(count);
  new Uint8Array(out.buffer).set(bytes);
  return out;
}

/** A golden input as a feed tensor. */
export function decodeGoldenInput(g: GoldenTensor, field: string): Tensor {
  if (g.stride !== undefined) throw new GoldenFileError(`${field}.stride`, 'no stride on an input', g.stride);
  return { data: decodeGoldenValues(g, field), shape: [...g.shape] };
}

function goldenTensor(v: unknown, field: string): void {
  const t = v as Partial<GoldenTensor> | null;
  if (t === null || typeof t !== 'object') throw new GoldenFileError(field, 'a tensor object', v);
  if (!Array.isArray(t.shape) || !t.shape.every((d) => Number.isInteger(d) && d >= 1))
    throw new GoldenFileError(`${field}.shape`, 'positive integer sizes', t.shape);
  if (t.dtype !== 'float32' && t.dtype !== 'uint8')
    throw new GoldenFileError(`${field}.dtype`, 'float32|uint8', t.dtype);
  if (t.dtype === 'uint8' && !(typeof t.scale === 'number' && t.scale > 0))
    throw new GoldenFileError(`${field}.scale`, 'a positive number for uint8', t.scale);
  if (t.stride !== undefined && !(Number.isInteger(t.stride) && t.stride >= 1))
    throw new GoldenFileError(`${field}.stride`, 'a positive integer', t.stride);
  if (typeof t.base64 !== 'string') throw new GoldenFileError(`${field}.base64`, 'a base64 string', t.base64);
}

function tensorMap(v: unknown, field: string): void {
  if (v === null || typeof v !== 'object' || Object.keys(v).length === 0)
    throw new GoldenFileError(field, 'a non-empty object of tensors', v);
  for (const [k, t] of Object.entries(v)) goldenTensor(t, `${field}.${k}`);
}

function tolerances(v: unknown, outputs: ReadonlySet<string>): void {
  for (const arithmetic of ['exact', 'reassociated'] as const) {
    const row = (v as Record<string, Record<string, GoldenTolerance>> | null)?.[arithmetic];
    for (const name of outputs) {
      const t = row?.[name];
      const field = `golden.tolerances.${arithmetic}.${name}`;
      if (!t || !(t.abs >= 0) || !(t.rel >= 0)) throw new GoldenFileError(field, '{ abs ≥ 0, rel ≥ 0 }', t);
    }
  }
}

/** Validates a parsed `golden.json` and returns it typed; throws a {@link GoldenFileError} naming the field. */
export function parseGoldenFile(json: unknown): GoldenFile {
  const g = json as Partial<GoldenFile> | null;
  if (g === null || typeof g !== 'object') throw new GoldenFileError('golden', 'an object', json);
  if (g.schema !== GOLDEN_SCHEMA) throw new GoldenFileError('golden.schema', JSON.stringify(GOLDEN_SCHEMA), g.schema);
  if (g.schemaVersion !== GOLDEN_VERSION)
    throw new GoldenFileError('golden.schemaVersion', String(GOLDEN_VERSION), g.schemaVersion);
  if (typeof g.reference?.backend !== 'string' || typeof g.reference.device !== 'string')
    throw new GoldenFileError('golden.reference', '{ backend, device }', g.reference);
  const cases = g.cases ?? {};
  const outputs = new Set<string>();
  for (const [graph, c] of Object.entries(cases)) {
    if (!(GOLDEN_GRAPHS as readonly string[]).includes(graph))
      throw new GoldenFileError(`golden.cases.${graph}`, `one of ${GOLDEN_GRAPHS.join('|')}`, graph);
    tensorMap(c?.inputs, `golden.cases.${graph}.inputs`);
    tensorMap(c?.outputs, `golden.cases.${graph}.outputs`);
    for (const name of Object.keys(c!.outputs)) outputs.add(name);
  }
  tolerances(g.tolerances, outputs);
  return g as GoldenFile;
}
