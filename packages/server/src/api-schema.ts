import type { VaeModel } from '@vae/core';

/**
 * The request fields of the `/api` routes, described once: the route handlers validate bodies with
 * these descriptions (`numberField`, `parseRows`) and the OpenAPI document
 * turns the same descriptions into JSON Schema, so the two cannot drift apart.
 */

/** An integer field in `[min, max]`. */
export interface IntegerSpec {
  readonly type: 'integer';
  readonly min: number;
  readonly max: number;
  readonly default?: number;
  readonly description: string;
}

/** A finite number field in `[min, max]`. */
export interface NumberSpec {
  readonly type: 'number';
  readonly min: number;
  readonly max: number;
  readonly default?: number;
  readonly description: string;
}

/** Rows of finite numbers: `number[][]`, or one row `number[]`; the width comes from the model. */
export interface RowsSpec {
  readonly type: 'rows';
  /** `input`: D = H·W·C image values (HWC); `classes`: one-hot labels; `latent`: L values. */
  readonly width: 'input' | 'classes' | 'latent';
  readonly maxRows: number;
  readonly description: string;
}

/** One described field. */
export type FieldSpec = IntegerSpec | NumberSpec | RowsSpec;

/** The JSON body of one `/api` route: its fields, which are required, and which are alternatives. */
export interface BodySpec {
  readonly fields: Readonly<Record<string, FieldSpec>>;
  readonly required: readonly string[];
  /** Exactly one of these fields must be given (search). */
  readonly oneOf?: readonly string[];
}

/** Limits that bound the described fields (the server's options). */
export interface ApiLimits {
  readonly maxRows: number;
  readonly maxSamples: number;
  readonly maxSampleImages: number;
  readonly maxSearchK: number;
}

const SEED_MAX = 0xffffffff;

/** The body of every `/api` route under the server's `limits`. */
export function apiBodies(limits: ApiLimits) {
  const x: RowsSpec = {
    type: 'rows',
    width: 'input',
    maxRows: limits.maxRows,
    description: 'Image rows in model input scale, each H·W·C values in HWC order (or one row as a flat array).',
  };
  const y: RowsSpec = {
    type: 'rows',
    width: 'classes',
    maxRows: limits.maxRows,
    description: 'One-hot labels, one row per input; only for conditional kinds (e.g. cvae).',
  };
  const seed: IntegerSpec = {
    type: 'integer',
    min: 0,
    max: SEED_MAX,
    description: 'Seed of the random draws (required, so answers are reproducible).',
  };
  return {
    '/api/embed': { fields: { x, y }, required: ['x'] },
    '/api/reconstruct': { fields: { x, y }, required: ['x'] },
    '/api/sample': {
      fields: {
        n: { type: 'integer', min: 1, max: limits.maxSampleImages, default: 1, description: 'Images to draw.' },
        seed,
        temperature: {
          type: 'number',
          min: 0,
          max: 10,
          default: 1,
          description: 'Scale of the prior draws z ~ N(0, temperature²).',
        },
        y: { ...y, description: 'One-hot labels, one row per image; only for conditional kinds.' },
      },
      required: ['seed'],
    },
    '/api/elbo': { fields: { x, y, seed }, required: ['x', 'seed'] },
    '/api/log-likelihood': {
      fields: {
        x,
        y,
        seed,
        samples: {
          type: 'integer',
          min: 1,
          max: limits.maxSamples,
          default: 100,
          description: 'Importance samples K per row.',
        },
        chunkSize: {
          type: 'integer',
          min: 1,
          max: limits.maxSamples,
          description:
            "Samples decoded at once; rows × chunkSize is bounded by the evaluation chunk limit, or by the model's activation budget for a large decoder.",
        },
      },
      required: ['x', 'seed'],
    },
    '/api/search': {
      fields: {
        id: { type: 'integer', min: 0, max: 0x7fffffff, description: 'A stored item to search around.' },
        vector: { type: 'rows', width: 'latent', maxRows: 1, description: 'A latent vector of L numbers.' },
        x: { ...x, maxRows: 1, description: 'One image row, encoded first.' },
        k: { type: 'integer', min: 1, max: limits.maxSearchK, default: 10, description: 'Neighbours to return.' },
      },
      required: [],
      oneOf: ['id', 'vector', 'x'],
    },
  } satisfies Record<string, BodySpec>;
}

/** The `/api` bodies keyed by route. */
export type ApiBodies = ReturnType<typeof apiBodies>;

/** The width of a rows field for `model` (undefined when no model is loaded). */
export function rowsWidth(spec: RowsSpec, model: VaeModel | undefined): number | undefined {
  if (!model) return undefined;
  return spec.width === 'input' ? model.inputSize : spec.width === 'classes' ? model.numClasses : model.latentDim;
}

/** JSON Schema (2020-12, as OpenAPI 3.1 uses) of one field. */
export function fieldSchema(spec: FieldSpec, model?: VaeModel): Record<string, unknown> {
  if (spec.type !== 'rows') {
    return {
      type: spec.type,
      minimum: spec.min,
      maximum: spec.max,
      ...(spec.default === undefined ? {} : { default: spec.default }),
      description: spec.description,
    };
  }
  const width = rowsWidth(spec, model);
  const row = {
    type: 'array',
    items: { type: 'number' },
    ...(width === undefined ? {} : { minItems: width, maxItems: width }),
  };
  if (spec.width === 'latent') return { ...row, description: spec.description };
  return {
    description: spec.description,
    oneOf: [{ type: 'array', items: row, minItems: 1, maxItems: spec.maxRows }, row],
  };
}

/** JSON Schema of a whole body (unknown keys are refused by the server: `additionalProperties: false`). */
export function bodySchema(spec: BodySpec, model?: VaeModel): Record<string, unknown> {
  const properties = Object.fromEntries(Object.entries(spec.fields).map(([k, f]) => [k, fieldSchema(f, model)]));
  return {
    type: 'object',
    properties,
    additionalProperties: false,
    ...(spec.required.length > 0 ? { required: [...spec.required] } : {}),
    ...(spec.oneOf ? { oneOf: spec.oneOf.map((k) => ({ required: [k] })) } : {}),
  };
}
