/**
 * Golden tensor files of `vae parity --onnx`: `--save-outputs` writes one, `--load-outputs` compares
 * against one (on another machine, another day), `--load-inputs` feeds one's inputs. JSON with
 * base64 little-endian float32 ({@link EncodedTensor}): exact bits, no dependency, readable in any
 * language (`np.frombuffer(base64.b64decode(t["data"]), "<f4").reshape(t["shape"])`), and the same
 * encoding the browser page speaks. A file carries the inputs its outputs were computed from, so it
 * alone reproduces a run.
 */
import { readFile } from 'node:fs/promises';
import type { Tensor } from '@vae/core';
import { writeFileAtomic } from '@vae/data/node';
import { decodeTensors, encodeTensors, type EncodedTensor } from './tensor-codec.js';

/** Identifies a golden tensor file. */
export const TENSOR_FILE_FORMAT = 'vae-everywhere/tensors';
/** Current golden tensor file version. */
export const TENSOR_FILE_VERSION = 1;

/** What a golden tensor file holds, decoded. */
export interface TensorFileContents {
  /** The graph the tensors belong to (file name and SHA-256), when known. */
  readonly model?: { readonly file: string; readonly sha256: string };
  /** Runtime that computed `outputs`, e.g. `ort-node-cpu`. */
  readonly runtime?: string;
  /** Graph inputs by name. */
  readonly inputs: Readonly<Record<string, Tensor>>;
  /** Graph outputs by name (absent in an inputs-only file). */
  readonly outputs?: Readonly<Record<string, Tensor>>;
}

/** The JSON of a golden tensor file. */
interface TensorFileJson {
  readonly format: typeof TENSOR_FILE_FORMAT;
  readonly version: number;
  readonly model?: { readonly file: string; readonly sha256: string };
  readonly runtime?: string;
  readonly inputs: Record<string, EncodedTensor>;
  readonly outputs?: Record<string, EncodedTensor>;
}

/** Writes `contents` to `path` atomically (see {@link TENSOR_FILE_FORMAT}). */
export async function writeTensorFile(path: string, contents: TensorFileContents): Promise<void> {
  const json: TensorFileJson = {
    format: TENSOR_FILE_FORMAT,
    version: TENSOR_FILE_VERSION,
    ...(contents.model ? { model: contents.model } : {}),
    ...(contents.runtime ? { runtime: contents.runtime } : {}),
    inputs: encodeTensors(contents.inputs),
    ...(contents.outputs ? { outputs: encodeTensors(contents.outputs) } : {}),
  };
  await writeFileAtomic(path, `${JSON.stringify(json)}\n`);
}

/** Reads a golden tensor file; errors name `option` (e.g. `--load-outputs`), the file, expected and actual. */
export async function readTensorFile(path: string, option: string): Promise<TensorFileContents> {
  let json: Partial<TensorFileJson>;
  try {
    json = JSON.parse(await readFile(path, 'utf8')) as Partial<TensorFileJson>;
  } catch (err) {
    throw new Error(`${option}: expected a readable JSON tensor file, got ${path} (${(err as Error).message})`, {
      cause: err,
    });
  }
  if (json?.format !== TENSOR_FILE_FORMAT || json.version !== TENSOR_FILE_VERSION)
    throw new RangeError(
      `${option}: expected a ${TENSOR_FILE_FORMAT} file version ${TENSOR_FILE_VERSION}, got format ${JSON.stringify(json?.format)} version ${JSON.stringify(json?.version)} in ${path}`,
    );
  return {
    ...(json.model ? { model: json.model } : {}),
    ...(json.runtime ? { runtime: json.runtime } : {}),
    inputs: decodeTensors(json.inputs ?? {}, `${option} ${path}: inputs`),
    ...(json.outputs ? { outputs: decodeTensors(json.outputs, `${option} ${path}: outputs`) } : {}),
  };
}
