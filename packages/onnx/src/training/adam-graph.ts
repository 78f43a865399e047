import type { Tape, TapeValue } from './tape.js';

/** Adam hyper-parameters that are baked into a training graph (the learning rate is an input). */
export interface AdamOptions {
  readonly beta1: number;
  readonly beta2: number;
  readonly epsilon: number;
}

/** Kingma & Ba's defaults (the ones every engine of `@vae/train` uses). */
export const ADAM_GRAPH_DEFAULTS: AdamOptions = Object.freeze({ beta1: 0.9, beta2: 0.999, epsilon: 1e-8 });

/** Scalars shared by every parameter's update, computed once per step inside the graph. */
export interface AdamScalars {
  /** `(1 − β₁ᵗ)·√(1 − β₂) / (lr·(1 − β₁)·√(1 − β₂ᵗ))`. */
  readonly k1: TapeValue;
  /** `ε·(1 − β₁ᵗ) / (lr·(1 − β₁))`. */
  readonly k2: TapeValue;
}

/**
 * The graph keeps Adam's moments scaled, `m̃ = m/(1 − β₁)` and `ṽ = v/(1 − β₂)`, which saves two
 * element-wise passes per parameter (`m̃' = β₁m̃ + g`, `ṽ' = β₂ṽ + g²`). True moments are the graph's
 * times these factors (checkpoints store true moments, as the tfjs engine does).
 */
export function adamMomentScales(o: AdamOptions): { readonly m: number; readonly v: number } {
  return { m: 1 - o.beta1, v: 1 - o.beta2 };
}

/** Checks Adam options; errors name the field, the expected and the actual value. */
export function validateAdamOptions(o: AdamOptions): void {
  const check = (v: number, name: string, lo: number, hi: number) => {
    if (typeof v !== 'number' || !(v >= lo && v < hi))
      throw new RangeError(`adam.${name}: expected a number in [${lo}, ${hi}), got ${String(v)}`);
  };
  check(o.beta1, 'beta1', 0, 1);
  check(o.beta2, 'beta2', 0, 1);
  check(o.epsilon, 'epsilon', 0, Infinity);
}

/**
 * The per-step scalars from the `lr` and `step` (t ≥ 1, as a float) inputs. With them the
 * bias-corrected update `p − lr·m̂/(√v̂ + ε)` (m̂ = m/(1 − β₁ᵗ), v̂ = v/(1 − β₂ᵗ), as in TensorFlow.js
 * and PyTorch) becomes `p − m̃/(√ṽ·k1 + k2)` on the scaled moments: five element-wise ops.
 */
export function adamScalars(tape: Tape, o: AdamOptions, lr: TapeValue, step: TapeValue): AdamScalars {
  const one = tape.scalar(1);
  const bc1 = tape.sub(one, tape.op('Pow', [tape.scalar(o.beta1), step], {}, []));
  const bc2 = tape.sub(one, tape.op('Pow', [tape.scalar(o.beta2), step], {}, []));
  const lrScaled = tape.mul(lr, tape.scalar(1 - o.beta1));
  const k1 = tape.div(tape.mul(bc1, tape.scalar(Math.sqrt(1 - o.beta2))), tape.mul(lrScaled, tape.unary('Sqrt', bc2)));
  const k2 = tape.div(tape.mul(bc1, tape.scalar(o.epsilon)), lrScaled);
  return { k1, k2 };
}

/**
 * The same per-step scalars as {@link adamScalars}, as numbers, for an Adam update run outside a graph
 * (`lr` > 0, `step` = t ≥ 1): computed in double precision and rounded once to float32.
 */
export function adamStepScalars(
  o: AdamOptions,
  lr: number,
  step: number,
): { readonly k1: number; readonly k2: number } {
  if (!(lr > 0) || !Number.isFinite(lr)) throw new RangeError(`lr: expected a finite number > 0, got ${String(lr)}`);
  if (!Number.isInteger(step) || step < 1) throw new RangeError(`step: expected an integer ≥ 1, got ${String(step)}`);
  const bc1 = 1 - o.beta1 ** step;
  const bc2 = 1 - o.beta2 ** step;
  const lrScaled = lr * (1 - o.beta1);
  return {
    k1: Math.fround((bc1 * Math.sqrt(1 - o.beta2)) / (lrScaled * Math.sqrt(bc2))),
    k2: Math.fround((bc1 * o.epsilon) / lrScaled),
  };
}

/** Output names of one parameter's Adam update. */
export interface AdamUpdateNames {
  readonly param: string;
  readonly m: string;
  readonly v: string;
}

/**
 * Records one Adam update on scaled moments ({@link adamMomentScales}): `m̃' = β₁m̃ + g`,
 * `ṽ' = β₂ṽ + g²`, `p' = p − m̃'/(√ṽ'·k1 + k2)`; outputs get the given names.
 */
export function adamUpdate(
  tape: Tape,
  o: AdamOptions,
  s: AdamScalars,
  p: TapeValue,
  g: TapeValue,
  m: TapeValue,
  v: TapeValue,
  names: AdamUpdateNames,
): { param: TapeValue; m: TapeValue; v: TapeValue } {
  const m2 = tape.add(tape.mul(m, tape.scalar(o.beta1)), g, names.m);
  const v2 = tape.add(tape.mul(v, tape.scalar(o.beta2)), tape.mul(g, g), names.v);
  const denom = tape.add(tape.mul(tape.unary('Sqrt', v2), s.k1), s.k2);
  const p2 = tape.sub(p, tape.div(m2, denom), names.param);
  return { param: p2, m: m2, v: v2 };
}
