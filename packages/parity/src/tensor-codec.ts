/**
 * Float32 tensors as JSON-safe values (browser-safe): little-endian float32 bytes in base64, with
 * the shape. Used by the golden tensor files (`--save-outputs`/`--load-outputs`/`--load-inputs`)
 * and by the browser page's raw-graph calls, so values cross both boundaries bit for bit.
 */
import { sizeOf, tensor, type Tensor } from '@vae/core';

/** A float32 tensor as JSON: `data` is its little-endian IEEE-754 bytes in base64. */
export interface EncodedTensor {
  readonly dtype: 'float32';
  readonly shape: readonly number[];
  readonly data: string;
}

/** Bytes per `String.fromCharCode` call (keeps the argument list under engines' limits). */
const CHUNK = 0x8000;

/** `bytes` in base64. */
export function toBase64(bytes: Uint8Array): string {
  let binary = '';
  for (let i = 0; i < bytes.length; i += CHUNK) binary += String.fromCharCode(...bytes.subarray(i, i + CHUNK));
  return btoa(binary);
}

/** The bytes of base64 `text`; throws naming `what` when it is not base64. */
export function fromBase64(text: string, what: string): Uint8Array {
  let binary: string;
  try {
    binary = atob(text);
  } catch {
    throw new RangeError(`${what}: expected base64 data, got ${JSON.stringify(text.slice(0, 40))}…`);
  }
  const out = new Uint8Array(binary.length);
  for (let i = 0; i < binary.length; i++) out[i] = binary.charCodeAt(i);
  return out;
}

/** `t` as an {@link EncodedTensor} (exact: the float32 bits themselves). */
export function encodeTensor(t: Tensor): EncodedTensor {
  const bytes = new Uint8Array(t.data.buffer, t.data.byteOffset, t.data.byteLength);
  return { dtype: 'float32', shape: [...t.shape], data: toBase64(bytes) };
}

/** The tensor of an {@link EncodedTensor}; throws naming `what`, the expected and the actual value. */
export function decodeTensor(value: unknown, what: string): Tensor {
  const e = value as Partial<EncodedTensor> | null;
  if (
    e === null ||
    typeof e !== 'object' ||
    e.dtype !== 'float32' ||
    !Array.isArray(e.shape) ||
    typeof e.data !== 'string'
  )
    throw new TypeError(
      `${what}: expected { dtype: "float32", shape: number[], data: base64 }, got ${JSON.stringify(value)?.slice(0, 120)}`,
    );
  const bytes = fromBase64(e.data, what);
  const n = sizeOf(e.shape);
  if (bytes.length !== n * 4)
    throw new RangeError(`${what}: expected ${n * 4} bytes for shape [${e.shape.join(', ')}], got ${bytes.length}`);
  return tensor(new Float32Array(bytes.buffer, bytes.byteOffset, n), e.shape, what);
}

/** Every tensor of `record` encoded. */
export function encodeTensors(record: Readonly<Record<string, Tensor>>): Record<string, EncodedTensor> {
  return Object.fromEntries(Object.entries(record).map(([k, t]) => [k, encodeTensor(t)]));
}

/** Every tensor of `record` decoded; errors name `what.<key>`. */
export function decodeTensors(record: unknown, what: string): Record<string, Tensor> {
  if (record === null || typeof record !== 'object' || Array.isArray(record))
    throw new TypeError(`${what}: expected an object of tensors keyed by name, got ${JSON.stringify(record)}`);
  return Object.fromEntries(Object.entries(record).map(([k, v]) => [k, decodeTensor(v, `${what}.${k}`)]));
}
