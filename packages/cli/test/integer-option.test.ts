import { describe, expect, it } from 'vitest';
import { integerOption } from '../src/commands/integer-option.js';

describe('integerOption', () => {
  it('takes the last value of a repeated option and keeps the range bounds', () => {
    expect(integerOption('batch', 1)(['3', '7'])).toBe(7);
    expect(integerOption('port', 0, 65535)('0')).toBe(0);
    expect(integerOption('port', 0, 65535)('65535')).toBe(65535);
  });

  it('names the option, what it expected and the text it got', () => {
    expect(() => integerOption('batch', 1)('0')).toThrow('--batch: expected an integer ≥ 1, got "0"');
    expect(() => integerOption('image-size', 1, 4096)('4097')).toThrow(
      '--image-size: expected an integer in [1, 4096], got "4097"',
    );
    expect(() => integerOption('samples', 1, Number.POSITIVE_INFINITY, 'a positive integer')('1.5')).toThrow(
      '--samples: expected a positive integer, got "1.5"',
    );
  });

  it('refuses an empty value where 0 is allowed instead of reading it as 0', () => {
    expect(() => integerOption('seed', 0)('')).toThrow('--seed: expected an integer ≥ 0, got ""');
    expect(() => integerOption('seed', 0)(' ')).toThrow(RangeError);
  });
});
