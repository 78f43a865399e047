import { describe, expect, it } from 'vitest';
import { sha256Hex } from '../src/index.js';

describe('sha256Hex', () => {
  it('matches the FIPS 180-2 test vectors, also for views into larger buffers', async () => {
    expect(await sha256Hex(new Uint8Array())).toBe('e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855');
    expect(await sha256Hex(new TextEncoder().encode('abc'))).toBe(
      'ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad',
    );
    const big = new TextEncoder().encode('xxabcyy');
    expect(await sha256Hex(big.subarray(2, 5))).toBe(
      'ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad',
    );
  });

  it('rejects non-bytes', async () => {
    await expect(sha256Hex('abc' as never)).rejects.toThrow(/bytes: expected a Uint8Array, got string/);
  });
});
