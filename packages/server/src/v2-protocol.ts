import { sizeOf, type Tensor } from '@vae/core';
import { badRequest } from './http-error.js';
import { describe, storeFloat32 } from './json-tensors.js';

/**
 * Types and validation of the Open Inference Protocol (KServe V2) REST/JSON messages.
 * See https://kserve.github.io/website/latest/modelserving/data_plane/v2_protocol/.
 */

/** Tensor datatypes this server accepts in requests (converted to float32). Outputs are FP32. */
export const ACCEPTED_DATATYPES = Object.freeze({ FP32: 'FP32', FP64: 'FP64' });
/** An accepted datatype name. */
export type AcceptedDatatype = keyof typeof ACCEPTED_DATATYPES;

/** `$metadata_model_tensor`: shape uses -1 for the dynamic batch dimension. */
export interface V2TensorMetadata {
  readonly name: string;
  readonly datatype: 'FP32';
  readonly shape: readonly number[];
}

/**
 * `parameters` of a model's metadata (the protocol's `$parameters`: scalar values): where the model
 * runs and its golden check at load (`GET /api/model` has every output's error).
 */
export interface V2ModelParameters {
  /** Execution device, e.g. `cpu`, `cuda`. */
  readonly device: string;
  /** Backend (runtime) that runs it, e.g. `onnxruntime-node`. */
  readonly backend: string;
  /** `passed`, `failed` (loaded with verify 'warn') or `skipped`. */
  readonly verification: 'passed' | 'failed' | 'skipped';
  /** Largest |Δ| of this graph's golden outputs (absent when skipped). */
  readonly verification_max_abs_error?: number;
  /** Why the check was skipped or failed. */
  readonly verification_reason?: string;
}

/** `$metadata_model_response`. */
export interface V2ModelMetadata {
  readonly name: string;
  readonly versions: readonly string[];
  readonly platform: string;
  readonly inputs: readonly V2TensorMetadata[];
  readonly outputs: readonly V2TensorMetadata[];
  readonly parameters?: V2ModelParameters;
}

/** One `$response_output`. */
export interface V2OutputTensor {
  readonly name: string;
  readonly datatype: 'FP32';
  readonly shape: readonly number[];
  readonly data: number[];
}

/** `$inference_response`. */
export interface V2InferResponse {
  readonly model_name: string;
  readonly model_version?: string;
  readonly id?: string;
  readonly outputs: readonly (V2OutputTensor | V2BinaryOutputTensor)[];
}

/** A validated `$inference_request`. */
export interface ParsedInferRequest {
  readonly id?: string;
  /** Inputs by name, float32, shapes checked against the model metadata. */
  readonly inputs: Readonly<Record<string, Tensor>>;
  /** Output names to return, in the order requested (all outputs when the request names none). */
  readonly outputs: readonly string[];
  /** Outputs to return as binary data (binary tensor data extension). */
  readonly binaryOutputs: ReadonlySet<string>;
  /** Batch size (rows) shared by every input. */
  readonly rows: number;
}

/** Bytes per element of the accepted datatypes in binary tensor data. */
const BINARY_ELEMENT_BYTES: Readonly<Record<AcceptedDatatype, number>> = Object.freeze({ FP32: 4, FP64: 8 });

function isObject(v: unknown): v is Record<string, unknown> {
  return v !== null && typeof v === 'object' && !Array.isArray(v);
}

/**
 * Flattens `data` (flat, or nested to match `shape` as the protocol allows) into `out`, checking
 * that every element is a number that is finite as float32. Returns the count written.
 */
function flattenData(data: unknown, shape: readonly number[], out: Float32Array, path: string): number {
  if (!Array.isArray(data)) throw badRequest(`${path}: expected an array of numbers, got ${describe(data)}`);
  const total = out.length;
  const nested = data.length > 0 && Array.isArray(data[0]);
  if (!nested) {
    if (data.length !== total)
      throw badRequest(`${path}: expected ${total} values for shape [${shape.join(', ')}], got ${data.length}`);
    for (let i = 0; i < total; i++) storeFloat32(out, i, data[i], `${path}[${i}]`);
    return total;
  }
  let offset = 0;
  const walk = (node: unknown, dim: number, where: string): void => {
    if (dim === shape.length) {
      storeFloat32(out, offset++, node, where);
      return;
    }
    if (!Array.isArray(node) || node.length !== shape[dim]) {
      throw badRequest(
        `${where}: expected an array of length ${shape[dim]} (shape [${shape.join(', ')}]), got ${describe(node)}`,
      );
    }
    for (let i = 0; i < node.length; i++) walk(node[i], dim + 1, `${where}[${i}]`);
  };
  walk(data, 0, path);
  return offset;
}

/**
 * Validates an `$inference_request` body against `model`: known input names, accepted datatype,
 * shape `[batch, …]` matching the metadata, data length and finiteness after conversion to float32
 * (so a request that passes can never fail a merged batch on its values), one batch size for all
 * inputs, known requested outputs. Throws 400 {@link HttpError}s naming the field.
 */
export function parseInferRequest(
  body: unknown,
  model: V2ModelMetadata,
  maxRows: number,
  binary?: Uint8Array,
): ParsedInferRequest {
  if (!isObject(body)) throw badRequest(`body: expected a JSON object {"inputs": [...]}, got ${describe(body)}`);
  const { id, inputs, outputs, parameters: requestParameters } = body;
  let binaryOffset = 0;
  if (id !== undefined && typeof id !== 'string') throw badRequest(`id: expected a string, got ${describe(id)}`);
  if (!Array.isArray(inputs) || inputs.length === 0)
    throw badRequest(`inputs: expected a non-empty array of tensors, got ${describe(inputs)}`);
  const parsed: Record<string, Tensor> = {};
  let rows = -1;
  inputs.forEach((input: unknown, i) => {
    const path = `inputs[${i}]`;
    if (!isObject(input))
      throw badRequest(`${path}: expected a tensor object {name, shape, datatype, data}, got ${describe(input)}`);
    const { name, shape, datatype, data, parameters } = input;
    const meta = model.inputs.find((m) => m.name === name);
    if (typeof name !== 'string' || !meta) {
      throw badRequest(
        `${path}.name: expected one of ${model.inputs.map((m) => m.name).join('|')}, got ${describe(name)}`,
      );
    }
    if (parsed[name]) throw badRequest(`${path}.name: expected each input once, got ${JSON.stringify(name)} twice`);
    if (typeof datatype !== 'string' || !(datatype in ACCEPTED_DATATYPES)) {
      throw badRequest(
        `${path}.datatype: expected ${Object.keys(ACCEPTED_DATATYPES).join('|')}, got ${describe(datatype)}`,
      );
    }
    if (!Array.isArray(shape) || !shape.every((d) => typeof d === 'number' && Number.isInteger(d) && d >= 0)) {
      throw badRequest(`${path}.shape: expected an array of non-negative integers, got ${JSON.stringify(shape)}`);
    }
    const expected = meta.shape;
    const ok = shape.length === expected.length && expected.every((d, j) => d === -1 || d === shape[j]);
    if (!ok)
      throw badRequest(
        `${path}.shape: expected [${expected.map((d) => (d === -1 ? 'batch' : d)).join(', ')}] for input ${name}, got [${shape.join(', ')}]`,
      );
    const n = shape[0] as number;
    if (n < 1 || n > maxRows) throw badRequest(`${path}.shape[0]: expected a batch size in [1, ${maxRows}], got ${n}`);
    if (rows !== -1 && n !== rows)
      throw badRequest(`${path}.shape[0]: expected the batch size of the other inputs (${rows}), got ${n}`);
    rows = n;
    const values = new Float32Array(sizeOf(shape as number[]));
    const binarySize = isObject(parameters) ? parameters.binary_data_size : undefined;
    if (binarySize === undefined) {
      flattenData(data, shape as number[], values, `${path}.data`);
    } else {
      const bytes = values.length * BINARY_ELEMENT_BYTES[datatype as AcceptedDatatype];
      if (binarySize !== bytes)
        throw badRequest(
          `${path}.parameters.binary_data_size: expected ${bytes} (${values.length} × ${datatype}), got ${describe(binarySize)}`,
        );
      if (data !== undefined)
        throw badRequest(`${path}.data: expected no JSON data for a binary input, got ${describe(data)}`);
      if (!binary || binaryOffset + bytes > binary.length) {
        throw badRequest(
          `${path}.parameters.binary_data_size: expected ${bytes} bytes of binary data after the JSON header, got ${binary ? binary.length - binaryOffset : 0}`,
        );
      }
      readBinary(binary, binaryOffset, datatype as AcceptedDatatype, values, path);
      binaryOffset += bytes;
    }
    parsed[name] = { data: values, shape: [...(shape as number[])] };
  });
  const missing = model.inputs.filter((m) => !parsed[m.name]).map((m) => m.name);
  if (missing.length > 0)
    throw badRequest(
      `inputs: expected tensors named ${model.inputs.map((m) => m.name).join(', ')}, got no ${missing.join(', ')}`,
    );
  if (binary && binaryOffset !== binary.length) {
    throw badRequest(
      `body: expected ${binaryOffset} bytes of binary tensor data after the JSON header, got ${binary.length}`,
    );
  }
  const allBinary = isObject(requestParameters) && requestParameters.binary_data_output === true;
  const binaryOutputs = new Set<string>();
  let names: string[] = model.outputs.map((o) => o.name);
  if (outputs !== undefined) {
    if (!Array.isArray(outputs)) throw badRequest(`outputs: expected an array of {name}, got ${describe(outputs)}`);
    names = outputs.map((o: unknown, i) => {
      const name = isObject(o) ? o.name : undefined;
      if (typeof name !== 'string' || !model.outputs.some((m) => m.name === name)) {
        throw badRequest(
          `outputs[${i}].name: expected one of ${model.outputs.map((m) => m.name).join('|')}, got ${describe(name)}`,
        );
      }
      const p = (o as Record<string, unknown>).parameters;
      const flag = isObject(p) ? p.binary_data : undefined;
      if (flag !== undefined && typeof flag !== 'boolean')
        throw badRequest(`outputs[${i}].parameters.binary_data: expected a boolean, got ${describe(flag)}`);
      if (flag ?? allBinary) binaryOutputs.add(name);
      return name;
    });
  } else if (allBinary) {
    for (const name of names) binaryOutputs.add(name);
  }
  return { ...(id === undefined ? {} : { id }), inputs: parsed, outputs: names, binaryOutputs, rows };
}

/** Reads little-endian FP32/FP64 binary tensor data into `out`, checking finiteness as float32. */
function readBinary(
  binary: Uint8Array,
  offset: number,
  datatype: AcceptedDatatype,
  out: Float32Array,
  path: string,
): void {
  const view = new DataView(binary.buffer, binary.byteOffset + offset, out.length * BINARY_ELEMENT_BYTES[datatype]);
  for (let i = 0; i < out.length; i++) {
    storeFloat32(
      out,
      i,
      datatype === 'FP32' ? view.getFloat32(i * 4, true) : view.getFloat64(i * 8, true),
      `${path}.data (binary)[${i}]`,
    );
  }
}

/** An FP32 `$response_output` for `t`. */
export function outputTensor(name: string, t: Tensor): V2OutputTensor {
  return { name, datatype: 'FP32', shape: [...t.shape], data: Array.from(t.data) };
}

/** A `$response_output` whose data follows the JSON header as little-endian FP32 bytes. */
export interface V2BinaryOutputTensor {
  readonly name: string;
  readonly datatype: 'FP32';
  readonly shape: readonly number[];
  readonly parameters: { readonly binary_data_size: number };
}

/** Little-endian FP32 bytes of `t` (binary tensor data extension). */
export function float32Bytes(t: Tensor): Uint8Array {
  const out = new Uint8Array(t.data.length * 4);
  const view = new DataView(out.buffer);
  for (let i = 0; i < t.data.length; i++) view.setFloat32(i * 4, t.data[i]!, true);
  return out;
}
