import type { LogLevel, ParameterSet } from '@vae/core';
import type {
  OrtAdamState,
  OrtBatch,
  OrtFallback,
  OrtForwardTerms,
  OrtRunnerInit,
  OrtStepResult,
  OrtStepTerms,
} from './ort-step-runner.js';
import type { OrtTrainDevice } from './ort-devices.js';
import type { OrtNodeBinding } from '@vae/device-node';

/** Calls the engine makes on the worker, with their argument and result types. */
export interface OrtWorkerMethods {
  init: {
    args: { runner: OrtRunnerInit<OrtTrainDevice>; logLevel: LogLevel; binding: OrtNodeBinding };
    result: {
      device: OrtTrainDevice;
      fallbacks: readonly OrtFallback<OrtTrainDevice>[];
      nodes: number;
      /** Whether the runner's thread frees onnxruntime-node's output copies at once (`output-copies.ts`). */
      freesOutputCopies: boolean;
      /** How the training session calls onnxruntime, and why (`bindingSummary`). */
      binding: string;
    };
  };
  step: { args: OrtBatch; result: OrtStepResult };
  stepTerms: { args: OrtBatch; result: OrtStepTerms };
  forward: { args: OrtBatch; result: OrtStepResult };
  forwardTerms: { args: OrtBatch; result: OrtForwardTerms };
  getParams: { args: null; result: ParameterSet };
  getOptimizerState: { args: null; result: OrtAdamState };
  setOptimizerState: { args: OrtAdamState; result: null };
  release: { args: null; result: null };
}
/** A worker method name. */
export type OrtWorkerMethod = keyof OrtWorkerMethods;

/** Engine → worker message. */
export interface OrtWorkerRequest {
  readonly id: number;
  readonly method: OrtWorkerMethod;
  readonly args: unknown;
}

/** Worker → engine message: a result, or an error's name and message. */
export type OrtWorkerResponse =
  | { readonly id: number; readonly ok: true; readonly result: unknown }
  | { readonly id: number; readonly ok: false; readonly error: { readonly name: string; readonly message: string } };

/** Buffers of a step result that can be transferred instead of copied (they are not kept by the sender). */
export function transferables(r: OrtStepResult): ArrayBuffer[] {
  const out: ArrayBuffer[] = [];
  for (const t of [r.decoded, r.mu, r.logvar, r.code, ...Object.values(r.objectiveParams ?? {})]) {
    if (
      t &&
      t.data.buffer instanceof ArrayBuffer &&
      t.data.byteOffset === 0 &&
      t.data.byteLength === t.data.buffer.byteLength &&
      !out.includes(t.data.buffer)
    )
      out.push(t.data.buffer);
  }
  return out;
}
