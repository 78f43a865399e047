import { logSumExp } from './losses-impl.js';
import type { ObjectiveOps } from './objective-ops.js';

/** A dense float64 array of any rank (row-major), the value type of {@link float64ObjectiveOps}. */
export interface F64 {
  readonly shape: readonly number[];
  readonly data: Float64Array;
}

function size(shape: readonly number[]): number {
  return shape.reduce((a, b) => a * b, 1);
}

function strides(shape: readonly number[]): number[] {
  const out = new Array<number>(shape.length).fill(1);
  for (let i = shape.length - 2; i >= 0; i--) out[i] = out[i + 1]! * shape[i + 1]!;
  return out;
}

function broadcast(a: F64, b: F64, f: (u: number, v: number) => number): F64 {
  const rank = Math.max(a.shape.length, b.shape.length);
  const pad = (s: readonly number[]) => [...new Array<number>(rank - s.length).fill(1), ...s];
  const sa = pad(a.shape);
  const sb = pad(b.shape);
  const shape = sa.map((d, i) => {
    const e = sb[i]!;
    if (d !== e && d !== 1 && e !== 1) throw new RangeError(`shapes [${a.shape}] and [${b.shape}] do not broadcast`);
    return d === 1 ? e : d;
  });
  const [ta, tb, to] = [strides(sa), strides(sb), strides(shape)];
  const data = new Float64Array(size(shape));
  for (let i = 0; i < data.length; i++) {
    let ia = 0;
    let ib = 0;
    for (let k = 0; k < rank; k++) {
      const c = Math.floor(i / to[k]!) % shape[k]!;
      if (sa[k] !== 1) ia += c * ta[k]!;
      if (sb[k] !== 1) ib += c * tb[k]!;
    }
    data[i] = f(a.data[ia]!, b.data[ib]!);
  }
  return { shape, data };
}

function map(a: F64, f: (u: number) => number): F64 {
  return { shape: a.shape, data: a.data.map(f) };
}

/** Applies `f` to each line along `axis` (values gathered into an array), removing the axis. */
function reduce(a: F64, axis: number, f: (line: Float64Array) => number): F64 {
  const outer = size(a.shape.slice(0, axis));
  const n = a.shape[axis]!;
  const inner = size(a.shape.slice(axis + 1));
  const data = new Float64Array(outer * inner);
  const line = new Float64Array(n);
  for (let o = 0; o < outer; o++)
    for (let i = 0; i < inner; i++) {
      for (let k = 0; k < n; k++) line[k] = a.data[(o * n + k) * inner + i]!;
      data[o * inner + i] = f(line);
    }
  return { shape: a.shape.filter((_, i) => i !== axis), data };
}

/** Per-row `−log p(target|decoded)` for a likelihood, on float64 rows. */
export type F64NegLogLikelihood = (decoded: F64, target: F64) => F64;

/**
 * {@link ObjectiveOps} in float64 on the CPU: core's reference evaluator of every kind's objective
 * (`modelObjective`). No gradients; `negLogLikelihood` is supplied by the caller (the spec's likelihood).
 */
export function float64ObjectiveOps(negLogLikelihood: F64NegLogLikelihood): ObjectiveOps<F64> {
  return {
    scalar: (v) => ({ shape: [], data: Float64Array.of(v) }),
    add: (a, b) => broadcast(a, b, (u, v) => u + v),
    sub: (a, b) => broadcast(a, b, (u, v) => u - v),
    mul: (a, b) => broadcast(a, b, (u, v) => u * v),
    div: (a, b) => broadcast(a, b, (u, v) => u / v),
    exp: (a) => map(a, Math.exp),
    log: (a) => map(a, Math.log),
    abs: (a) => map(a, Math.abs),
    clip: (a, lo, hi) => map(a, (u) => Math.min(Math.max(u, lo), hi)),
    sum: (a, axis) => reduce(a, axis, (l) => l.reduce((s, v) => s + v, 0)),
    mean: (a, axis) => reduce(a, axis, (l) => l.reduce((s, v) => s + v, 0) / l.length),
    logSumExp: (a, axis) => reduce(a, axis, logSumExp),
    unsqueeze: (a, axis) => ({ shape: [...a.shape.slice(0, axis), 1, ...a.shape.slice(axis)], data: a.data }),
    repeatRows(a, times) {
      const row = size(a.shape.slice(1));
      const data = new Float64Array(a.data.length * times);
      for (let r = 0; r < a.shape[0]!; r++)
        for (let s = 0; s < times; s++) data.set(a.data.subarray(r * row, (r + 1) * row), (r * times + s) * row);
      return { shape: [a.shape[0]! * times, ...a.shape.slice(1)], data };
    },
    splitRows: (a, times) => ({ shape: [a.shape[0]! / times, times, ...a.shape.slice(1)], data: a.data }),
    rows: (a) => ({ shape: [], data: Float64Array.of(a.shape[0]!) }),
    negLogLikelihood,
  };
}
