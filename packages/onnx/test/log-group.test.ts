import { describe, expect, it } from 'vitest';
import { logGroup } from '../src/log-group.js';

describe('logGroup', () => {
  it('is the largest divisor of d up to max', () => {
    expect(logGroup(784, 16)).toBe(16);
    expect(logGroup(784, 4)).toBe(4);
    expect(logGroup(12, 16)).toBe(12);
    expect(logGroup(3 * 11, 16)).toBe(11);
    expect(logGroup(17, 16)).toBe(1);
    expect(logGroup(3, 16)).toBe(3);
    expect(logGroup(1, 4)).toBe(1);
  });

  it('rejects a d that is not a positive integer, naming it', () => {
    expect(() => logGroup(0, 16)).toThrow(/d: expected a positive integer, got 0/);
    expect(() => logGroup(2.5, 16)).toThrow(/got 2.5/);
  });
});
