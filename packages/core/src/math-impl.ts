/**
 * Portable elementary functions built only from IEEE-754 basic operations (+ − × ÷ and sqrt are
 * correctly rounded everywhere), so random streams that use them are bit-identical in every
 * JavaScript engine. `Math.log` is not specified to be correctly rounded and may differ between
 * engines, so the RNG uses {@link portableLog} instead.
 */

const LN2_HI = 6.93147180369123816490e-1;
const LN2_LO = 1.90821492927058770002e-10;
const view = new DataView(new ArrayBuffer(8));

/** Natural logarithm of a positive finite double, accurate to about 1 ulp, engine-independent. */
export function portableLog(x: number): number {
  if (!(x > 0) || !Number.isFinite(x)) {
    if (x === 0) return -Infinity;
    if (x === Infinity) return Infinity;
    return NaN;
  }
  view.setFloat64(0, x);
  let hi = view.getUint32(0);
  let k = ((hi >>> 20) & 0x7ff) - 1023;
  if (k === -1023) {
    // Subnormal: scale up by 2^54 and retry.
    view.setFloat64(0, x * 18014398509481984);
    hi = view.getUint32(0);
    k = ((hi >>> 20) & 0x7ff) - 1023 - 54;
  }
  // Mantissa m in [1, 2).
  view.setUint32(0, (hi & 0x000fffff) | 0x3ff00000);
  let m = view.getFloat64(0);
  if (m > Math.SQRT2) {
    m /= 2;
    k += 1;
  }
  // ln(m) = 2·atanh(s), s = (m − 1)/(m + 1), |s| ≤ 0.1716.
  const s = (m - 1) / (m + 1);
  const s2 = s * s;
  let term = s;
  let sum = 0;
  for (let n = 1; n <= 41; n += 2) {
    sum += term / n;
    term *= s2;
  }
  return k * LN2_HI + (2 * sum + k * LN2_LO);
}
