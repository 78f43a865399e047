import { listParameters, type ParameterSet } from './model-shapes.js';
import type { ModelSpec } from './model-spec.js';

/**
 * Lower-case hex SHA-256 of `bytes` through Web Crypto (`globalThis.crypto.subtle`), available in
 * browsers (secure contexts) and Node ≥ 19. Throws naming the missing API elsewhere.
 */
export async function sha256Hex(bytes: Uint8Array): Promise<string> {
  if (!(bytes instanceof Uint8Array)) {
    throw new TypeError(`bytes: expected a Uint8Array, got ${bytes === null ? 'null' : typeof bytes}`);
  }
  const subtle = globalThis.crypto?.subtle;
  if (!subtle)
    throw new Error(
      'sha256Hex: expected globalThis.crypto.subtle (Web Crypto), got undefined (insecure browser context?)',
    );
  const view =
    bytes.byteOffset === 0 && bytes.byteLength === bytes.buffer.byteLength && bytes.buffer instanceof ArrayBuffer
      ? bytes
      : bytes.slice();
  const digest = new Uint8Array(await subtle.digest('SHA-256', view as Uint8Array<ArrayBuffer>));
  let hex = '';
  for (const b of digest) hex += b.toString(16).padStart(2, '0');
  return hex;
}

/**
 * Fingerprint of a model's weights: SHA-256 of every parameter's float32 values (little-endian), in
 * `listParameters(spec)` order. Recorded as `provenance.paramsSha256` at export, so a checkpoint
 * can be matched to the model exported from it.
 */
export async function parametersSha256(spec: ModelSpec, params: ParameterSet): Promise<string> {
  const names = listParameters(spec).map((p) => p.name);
  const total = names.reduce((n, name) => n + params[name]!.data.length, 0);
  const all = new Float32Array(total);
  let at = 0;
  for (const name of names) {
    all.set(params[name]!.data, at);
    at += params[name]!.data.length;
  }
  return sha256Hex(new Uint8Array(all.buffer));
}
