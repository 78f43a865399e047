// biome-ignore-all lint/correctness/noPrecisionLoss: fdlibm's constants, kept digit for digit as published (they round to the intended doubles)
/**
 * Portable elementary functions built only from IEEE-754 basic operations (+ − × ÷ and sqrt are
 * correctly rounded everywhere), so random streams that use them are bit-identical in every
 * JavaScript engine. `Math.log` is not specified to be correctly rounded and may differ between
 * engines, so the RNG uses {@link portableLog} instead.
 */

const LN2_HI = 6.9314718036912381649e-1;
const LN2_LO = 1.90821492927058770002e-10;
const TWO54 = 1.8014398509481984e16;
// Minimax coefficients of R(z) ≈ 2z/3 + 2z²/5 + … on |s| ≤ 0.1716 (fdlibm e_log.c).
const LG1 = 6.66666666666673513e-1;
const LG2 = 3.999999999940941908e-1;
const LG3 = 2.857142874366239149e-1;
const LG4 = 2.222219843214978396e-1;
const LG5 = 1.818357216161805012e-1;
const LG6 = 1.531383769920937332e-1;
const LG7 = 1.479819860511658591e-1;
// The two 32-bit words of one double, aliased (a DataView costs ~7× more per call in V8).
const f64 = new Float64Array(1);
const u32 = new Int32Array(f64.buffer);
const HI = new Uint8Array(new Uint16Array([1]).buffer)[0] === 1 ? 1 : 0;

/**
 * Natural logarithm of a positive double, error below 1 ulp, engine-independent: a transcription of
 * fdlibm's `__ieee754_log` (the algorithm behind V8's `Math.log`) using only basic operations.
 * Returns −∞ for 0, +∞ for +∞ and NaN for negative or NaN input.
 */
export function portableLog(x: number): number {
  if (!(x > 0) || !Number.isFinite(x)) {
    if (x === 0) return -Infinity;
    if (x === Infinity) return Infinity;
    return NaN;
  }
  f64[0] = x;
  let hx = u32[HI]!;
  let k = 0;
  if (hx < 0x00100000) {
    // Subnormal: scale up by 2^54.
    k -= 54;
    f64[0] = x * TWO54;
    hx = u32[HI]!;
  }
  k += (hx >>> 20) - 1023;
  hx &= 0x000fffff;
  // Normalize the mantissa m to [√2/2, √2): i selects m or m/2.
  const i = (hx + 0x95f64) & 0x100000;
  u32[HI] = hx | (i ^ 0x3ff00000);
  k += i >>> 20;
  const f = f64[0]! - 1;
  const dk = k;
  if ((0x000fffff & (2 + hx)) < 3) {
    // |f| < 2^-20.
    if (f === 0) return k === 0 ? 0 : dk * LN2_HI + dk * LN2_LO;
    const r = f * f * (0.5 - 0.33333333333333333 * f);
    return k === 0 ? f - r : dk * LN2_HI - (r - dk * LN2_LO - f);
  }
  const s = f / (2 + f);
  const z = s * s;
  const w = z * z;
  const t1 = w * (LG2 + w * (LG4 + w * LG6));
  const t2 = z * (LG1 + w * (LG3 + w * (LG5 + w * LG7)));
  const r = t2 + t1;
  if (((hx - 0x6147a) | (0x6b851 - hx)) > 0) {
    // m far from 1 (fdlibm's i|j > 0): the hfsq form.
    const hfsq = 0.5 * f * f;
    return k === 0 ? f - (hfsq - s * (hfsq + r)) : dk * LN2_HI - (hfsq - (s * (hfsq + r) + dk * LN2_LO) - f);
  }
  return k === 0 ? f - s * (f - r) : dk * LN2_HI - (s * (f - r) - dk * LN2_LO - f);
}
