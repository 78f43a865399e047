import { badRequest } from './http-error.js';
import { parseJsonBody } from './json-body.js';

/**
 * Splits a binary-tensor-data request body into its JSON header (the first
 * `Inference-Header-Content-Length` bytes; the whole body when the header is absent) and the raw
 * tensor bytes that follow. Throws 400 errors naming the header.
 */
export function splitBinaryBody(
  body: Buffer,
  headerLength: string | string[] | undefined,
): { json: unknown; binary: Uint8Array } {
  const raw = Array.isArray(headerLength) ? headerLength[0] : headerLength;
  const length = raw === undefined ? body.length : Number(raw);
  if (!Number.isInteger(length) || length < 0 || length > body.length) {
    throw badRequest(
      `Inference-Header-Content-Length: expected an integer in [0, ${body.length}] (the body size), got ${JSON.stringify(raw)}`,
    );
  }
  const json = parseJsonBody(body.subarray(0, length).toString('utf8'), `body (JSON header of ${length} bytes)`);
  return { json, binary: new Uint8Array(body.buffer, body.byteOffset + length, body.length - length) };
}
