/**
 * A yargs `coerce` for an integer option in [`min`, `max`]: it reads the last value of a repeated
 * option and throws a `RangeError` naming `--option`, what it expected and the text it got (an empty
 * value is refused, not read as 0).
 */
export function integerOption(
  option: string,
  min: number,
  max = Number.POSITIVE_INFINITY,
  expected = max === Number.POSITIVE_INFINITY ? `an integer ≥ ${min}` : `an integer in [${min}, ${max}]`,
): (raw: unknown) => number {
  return (raw) => {
    const text = String(Array.isArray(raw) ? raw[raw.length - 1] : raw);
    const v = Number(text);
    if (text.trim() === '' || !Number.isInteger(v) || v < min || v > max)
      throw new RangeError(`--${option}: expected ${expected}, got ${JSON.stringify(text)}`);
    return v;
  };
}
