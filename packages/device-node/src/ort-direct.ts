import { existsSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { onnxruntimeNodeBinDir } from './execution-providers.js';

/**
 * The direct onnxruntime binding (`native/ort-direct.c`): a Node-API module over onnxruntime's C API,
 * with sessions that read and write the caller's Float32Arrays synchronously, and two array kernels
 * (the ort engine's Adam update, the API's NaN/±Infinity input check). Built by
 * `scripts/build-native.mjs` into `dist/native/`; optional everywhere (callers fall back and say so).
 */

const require = createRequire(import.meta.url);

/** Session options the native `createSession` takes (onnxruntime's own meanings). */
export interface DirectOptions {
  readonly intraOpThreads: number;
  readonly interOpThreads: number;
  readonly parallel: 0 | 1;
  /** 0: no memory pattern (`enableMemPattern: false`). */
  readonly memPattern: 0 | 1;
  readonly optimizationLevel: number;
  readonly logSeverity: number;
  /** Session config entries (`AddSessionConfigEntry`), e.g. `['session.intra_op.allow_spinning', '0']`. */
  readonly config: readonly (readonly [string, string])[];
}

/** An input or output of a session's graph (onnxruntime-node's metadata shape). */
export interface DirectValueInfo {
  readonly name: string;
  readonly isTensor: boolean;
  /** onnxruntime-common's element type name (`float32`, `int64`, …); tensors only. */
  readonly type?: string;
  /** Sizes, or the symbolic name of a dimension that has one; tensors only. */
  readonly shape?: readonly (number | string)[];
}

/** The native module's functions (the C source has their contracts). */
export interface DirectAddon {
  /** Loads onnxruntime's library once per process; its version. */
  load(library: string): string;
  createSession(model: Uint8Array, options: DirectOptions): object;
  /** One run: inputs and pre-allocated outputs are the caller's memory; other outputs come back as [data, dims]. */
  run(
    session: object,
    inputNames: readonly string[],
    inputs: readonly Float32Array[],
    inputShapes: readonly (readonly number[])[],
    outputNames: readonly string[],
    outputs: readonly (Float32Array | null)[],
    outputShapes: readonly (readonly number[])[],
  ): (readonly [Float32Array, number[]] | null)[];
  release(session: object): void;
  /** The graph's inputs and outputs in order, as onnxruntime-node's `inputMetadata`/`outputMetadata`. */
  signature(session: object): { inputs: DirectValueInfo[]; outputs: DirectValueInfo[] };
  /** The Adam update over four equally long arrays, in place (train's AdamArena kernel). */
  adam(
    p: Float32Array,
    g: Float32Array,
    m: Float32Array,
    v: Float32Array,
    b1: number,
    b2: number,
    k1: number,
    k2: number,
  ): void;
  /** Whether `x` holds a NaN or ±Infinity. */
  nonFinite(x: Float32Array): boolean;
}

/** Whether the binding loaded here, with onnxruntime's version, or why not. */
export type DirectBindingStatus =
  | { readonly available: true; readonly version: string }
  | { readonly available: false; readonly reason: string };

/** This package's root (the same from `src/` and `dist/`). */
const PACKAGE_ROOT = join(dirname(fileURLToPath(import.meta.url)), '..');

/** Where the build script puts the native module: `dist/native/` of this package. */
export function directAddonPath(): string {
  return join(PACKAGE_ROOT, 'dist', 'native', `ort-direct-${process.platform}-${process.arch}.node`);
}

/** The libonnxruntime shared library of the installed onnxruntime-node. */
function onnxruntimeLibrary(): string {
  const name = { linux: 'libonnxruntime.so.1', darwin: 'libonnxruntime.1.dylib', win32: 'onnxruntime.dll' }[
    process.platform as 'linux'
  ];
  return join(onnxruntimeNodeBinDir(), name ?? 'libonnxruntime.so.1');
}

let addon: DirectAddon | null = null;
let status: DirectBindingStatus | null = null;

/** Loads the native module and onnxruntime's library once per thread; never throws. */
export function directBindingStatus(): DirectBindingStatus {
  if (status) return status;
  const path = directAddonPath();
  if (!existsSync(path)) {
    status = {
      available: false,
      reason: `the native module ${path} is not built (\`node ${join(PACKAGE_ROOT, 'scripts', 'build-native.mjs')}\` builds it with a C compiler)`,
    };
    return status;
  }
  try {
    const loaded = require(path) as DirectAddon;
    status = { available: true, version: loaded.load(onnxruntimeLibrary()) };
    addon = loaded;
  } catch (err) {
    status = { available: false, reason: err instanceof Error ? err.message.split('\n')[0]! : String(err) };
  }
  return status;
}

/** The loaded native module, or null (then {@link directBindingStatus} says why). */
export function directAddon(): DirectAddon | null {
  directBindingStatus();
  return addon;
}
