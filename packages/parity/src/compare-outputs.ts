import { errorStats, violations, type Tolerance } from './metrics-impl.js';
import type { OutputComparison } from './parity-report.js';

/** Outputs of one runtime, flattened to numbers, keyed by output name. */
export type FlatOutputs = Record<string, ArrayLike<number>>;

/**
 * Compares every output of the reference with the same output of runtime `name`, with the
 * tolerance `toleranceOf(output)`; pushes one line per failing output onto `problems`.
 */
export function compareOutputs(
  name: string,
  got: FlatOutputs,
  ref: FlatOutputs,
  toleranceOf: (output: string) => Tolerance,
  problems: string[],
): OutputComparison[] {
  return Object.entries(ref).map(([output, refValues]) => {
    const values = got[output];
    if (!values) throw new Error(`${name}: expected output ${output} (computed by the reference), got none`);
    const stats = errorStats(values, refValues);
    const tolerance = toleranceOf(output);
    const v = violations(values, refValues, tolerance);
    const pass = v.count === 0 && stats.nonFinite === 0;
    if (!pass) {
      problems.push(
        `${name} ${output}: ${v.count} of ${stats.count} values outside |a−r| ≤ ${tolerance.abs} + ${tolerance.rel}·|r| (max abs ${stats.maxAbs.toExponential(2)}` +
          `${v.worst >= 0 ? `, worst at index ${v.worst}: ${values[v.worst]} vs ${refValues[v.worst]}` : ''})`,
      );
    }
    return { output, stats, tolerance, violations: v.count, worstIndex: v.worst, pass };
  });
}
