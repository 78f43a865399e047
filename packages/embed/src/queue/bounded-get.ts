import type { Redis } from 'ioredis';

/**
 * One atomic step on the server: the value at KEYS[1] when its length is ARGV[1], else its actual
 * length (-1 when the key does not exist). A value of the wrong size never crosses the network.
 */
const GET_IF_LENGTH = `
if redis.call('EXISTS', KEYS[1]) == 0 then return -1 end
local n = redis.call('STRLEN', KEYS[1])
if n ~= tonumber(ARGV[1]) then return n end
return redis.call('GET', KEYS[1])`;

/** What {@link getExactly} found: the bytes, or why not (`missing`, or the stored value's length). */
export type BoundedValue =
  | { readonly ok: true; readonly bytes: Buffer }
  | { readonly ok: false; readonly missing: true }
  | { readonly ok: false; readonly missing: false; readonly length: number };

/**
 * Reads the binary value at `key` only if it is exactly `length` bytes long: the length is checked
 * by Redis before the value is sent, so a hostile or corrupted 400 MB value costs nothing here.
 */
export async function getExactly(client: Redis, key: string, length: number): Promise<BoundedValue> {
  const r = (await client.callBuffer('EVAL', GET_IF_LENGTH, 1, key, String(length))) as Buffer | number;
  if (Buffer.isBuffer(r)) return { ok: true, bytes: r };
  return r < 0 ? { ok: false, missing: true } : { ok: false, missing: false, length: r };
}
