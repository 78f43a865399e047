import onnxProto from 'onnx-proto';
import type { onnx as OnnxTypes } from 'onnx-proto';
import LongImpl from 'long';
import protobuf from 'protobufjs';

// protobufjs 6 finds `long` with a hidden `require` that bundlers (Vite, esbuild) cannot see, so in a
// browser bundle `util.Long` is null and int64 fields fail; give it `long` 5 (the same API, with types).
if (!protobuf.util.Long) {
  protobuf.util.Long = LongImpl as unknown as typeof protobuf.util.Long;
  protobuf.configure();
}

/**
 * The generated ONNX protobuf classes (`onnx-proto` 8.0.1, from ONNX 1.10, IR version 8).
 * `onnx-proto` is CommonJS, so it is imported once here and re-exported; {@link OnnxTypes} holds
 * its message interfaces (`OnnxTypes.IModelProto`, …).
 */
export const onnx = onnxProto.onnx;
export type { OnnxTypes };

/** protobufjs's 64-bit integer (int64 fields of decoded messages are instances of it). */
export type Long = protobuf.Long;

/** The static side of protobufjs's `Long` class (the `long` package, bundled with protobufjs 6). */
export interface LongStatic {
  fromNumber(value: number, unsigned?: boolean): Long;
  fromString(value: string, unsigned?: boolean): Long;
  isLong(value: unknown): value is Long;
}

/** protobufjs's `Long` class. */
export const Long = protobuf.util.Long as unknown as LongStatic;

/** An int64 proto field value from a safe integer or a bigint. */
export function toLong(value: number | bigint): Long {
  if (typeof value === 'bigint') return Long.fromString(value.toString());
  if (!Number.isSafeInteger(value))
    throw new RangeError(`value: expected a safe integer for an int64 field, got ${value}`);
  return Long.fromNumber(value);
}

/** A decoded int64 field (`Long` or number) as a JavaScript number. */
export function fromLong(value: Long | number | null | undefined): number {
  if (value === null || value === undefined) return 0;
  return typeof value === 'number' ? value : Number(value.toString());
}

/** ONNX IR version written by the graph builder by default. */
export const IR_VERSION = 8;
/** Default-domain opset written by the graph builder by default. */
export const OPSET_VERSION = 17;
