import { randomBytes } from 'node:crypto';

/** Response header carrying the request id (also quoted in every 5xx message). */
export const REQUEST_ID_HEADER = 'x-request-id';

/**
 * Request ids `<process prefix>-<counter>`: unique within a process and unlikely to repeat across
 * restarts, cheap enough to give to shed requests too.
 */
export function createRequestIds(): () => string {
  const prefix = randomBytes(4).toString('hex');
  let n = 0;
  return () => `${prefix}-${(++n).toString(36)}`;
}
