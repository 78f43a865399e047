import type { ModelKind, ModelSpec } from './model-spec.js';
import type { KindObjective } from './objective-ops.js';

/** Kind-specific defaults a preset fills in (see `createModelSpec`). */
export interface KindDefaults {
  readonly beta?: number;
  /** The code head's activation must be sigmoid (closed-form contractive penalty, KL-sparsity's ρ̂ ∈ (0, 1)). */
  readonly sigmoidCode?: boolean;
  /** The encoder is the code layer alone and the decoder one dense layer (no architecture choice). */
  readonly singleLayer?: boolean;
  /** The kind's own spec fields and their defaults (options may override them). */
  readonly fields?: Readonly<Partial<Record<keyof ModelSpec, unknown>>>;
}

/**
 * A numeric command-line flag of a kind (`vae train --<flag>`): it sets `spec[field][key]`, the
 * other keys of that field keeping their defaults.
 */
export interface KindOption {
  readonly flag: string;
  readonly field: keyof ModelSpec;
  readonly key: string;
  readonly min: number;
  readonly describe: string;
}

/** Everything the product knows about one model kind, declared once in its file under `kinds/`. */
export interface ModelKindInfo {
  /** Encoder outputs μ and log σ² and the objective is an ELBO; needs ε `[batch, latentDim]`. */
  readonly variational: boolean;
  /** Takes a one-hot label `y` `[batch, numClasses]`. */
  readonly conditional: boolean;
  /** The encoder reads a corrupted copy of `x` (`spec.noise`); the target stays clean. */
  readonly corruptsInput: boolean;
  /** The encoder's dense heads (`encoder.<head>`): `mu` and `logvar`, or `code`. */
  readonly heads: readonly string[];
  /** The training objective, written once against `ObjectiveOps` (every engine and core's evaluator run it). */
  readonly objective: KindObjective;
  /** Parameters the objective reads besides the network's outputs (e.g. `encoder.code.kernel`). */
  readonly objectiveParams?: readonly string[];
  /** The objective needs ε even where an evaluator decoded its own sample (it uses z itself). */
  readonly needsEps?: boolean;
  /**
   * The objective couples a batch's examples (it is not a mean of per-example terms, e.g. a statistic
   * over the batch): a step on a batch split into parts is another step, so data-parallel training
   * keeps such kinds on one session.
   */
  readonly batchCoupled?: boolean;
  /** One-line description for `--help`. */
  readonly description: string;
  /** Validates the kind's own spec fields (errors name the field, the expected and the actual value). */
  readonly validate?: (spec: ModelSpec) => void;
  readonly defaults?: KindDefaults;
  /** Command-line flags of the kind's own fields. */
  readonly options?: readonly KindOption[];
}

const registry = new Map<ModelKind, ModelKindInfo>();

/**
 * Registers model kind `name` (a kind file calls this once, next to the `ModelKindMap` declaration
 * that adds the name to `ModelKind`). Re-registering a name replaces it.
 */
export function registerModelKind(name: ModelKind, info: ModelKindInfo): void {
  if (typeof name !== 'string' || !/^[a-z][a-z0-9-]*$/.test(name))
    throw new TypeError(`name: expected a kebab-case kind name, got ${JSON.stringify(name)}`);
  if (typeof info?.objective !== 'function')
    throw new TypeError(`info.objective: expected a function for kind ${name}, got ${typeof info?.objective}`);
  registry.set(name, Object.freeze({ ...info }));
}

/** The registered kind names, in registration order (for CLI choices). */
export function listModelKinds(): ModelKind[] {
  return [...registry.keys()];
}

/** Info for `kind`, or a `RangeError` listing the registered kinds. */
export function modelKindInfo(kind: string): ModelKindInfo {
  const info = typeof kind === 'string' ? registry.get(kind as ModelKind) : undefined;
  if (!info) throw new RangeError(`kind: expected one of ${listModelKinds().join('|')}, got ${JSON.stringify(kind)}`);
  return info;
}
