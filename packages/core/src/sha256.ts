/**
 * Lower-case hex SHA-256 of `bytes` through Web Crypto (`globalThis.crypto.subtle`), available in
 * browsers (secure contexts) and Node ≥ 19. Throws naming the missing API elsewhere.
 */
export async function sha256Hex(bytes: Uint8Array): Promise<string> {
  if (!(bytes instanceof Uint8Array)) {
    throw new TypeError(`bytes: expected a Uint8Array, got ${bytes === null ? 'null' : typeof bytes}`);
  }
  const subtle = globalThis.crypto?.subtle;
  if (!subtle) throw new Error('sha256Hex: expected globalThis.crypto.subtle (Web Crypto), got undefined (insecure browser context?)');
  const view = bytes.byteOffset === 0 && bytes.byteLength === bytes.buffer.byteLength && bytes.buffer instanceof ArrayBuffer ? bytes : bytes.slice();
  const digest = new Uint8Array(await subtle.digest('SHA-256', view as Uint8Array<ArrayBuffer>));
  let hex = '';
  for (const b of digest) hex += b.toString(16).padStart(2, '0');
  return hex;
}
