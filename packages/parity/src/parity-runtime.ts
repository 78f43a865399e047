import type { DeviceArithmetic, ExecutionDevice, ModelManifest, Precision, Runtime, Tensor } from '@vae/core';
import type { EncoderDecoder } from '@vae/core';
import type { GraphEngine, GraphEngineOptions } from './graph-engine.js';

/** What a runtime opener receives. */
export interface ParityRuntimeContext {
  /** Model directory (manifest + encoder/decoder ONNX graphs). */
  readonly modelDir: string;
  /** Its validated manifest. */
  readonly manifest: ModelManifest;
  /** Training run folder whose checkpoint the TensorFlow.js runtimes load, or null. */
  readonly runDir: string | null;
  /** Intra-op threads for CPU/WASM sessions (default: the backend's choice). */
  readonly threads?: number;
}

/** A runtime ready to compute: encoder, decoder and the variational scores. */
export interface OpenedRuntime extends EncoderDecoder {
  /** What actually runs, e.g. `onnxruntime-node cpu`, `tfjs 4.22.0 cpu`, `Chromium 131 (SwiftShader)`. */
  readonly detail: string;
  /** Precision of the weights this runtime executes (TensorFlow.js runs the fp32 checkpoint). */
  readonly weights: Precision;
  /** Single-sample ELBO per example (the `VaeModel.elbo` code path). */
  elbo(x: Tensor, o: { readonly seed: number; readonly y?: Tensor }): Promise<Float64Array>;
  /** Importance-sampled log p(x) per example (the `VaeModel.logLikelihood` code path). */
  logLikelihood(
    x: Tensor,
    o: { readonly samples: number; readonly seed: number; readonly chunkSize?: number; readonly y?: Tensor },
  ): Promise<Float64Array>;
  /** Frees sessions, tensors, browsers. */
  release(): Promise<void>;
}

/** A runtime of `vae parity`, registered under an open name. */
export interface ParityRuntime {
  /** e.g. `ort-node-cpu`, `ort-web-wasm@firefox`, `tfjs-cpu`. */
  readonly name: string;
  readonly description: string;
  /** The execution device it computes on. */
  readonly device: ExecutionDevice;
  /** How that device does float32 arithmetic (selects the default tolerance row). */
  readonly arithmetic: DeviceArithmetic;
  /** Opens the runtime on the context's model; rejects with the reason it cannot run here. */
  open(ctx: ParityRuntimeContext): Promise<OpenedRuntime>;
  /**
   * Opens an engine for raw ONNX graphs (`--bisect`, `--onnx`); absent when this runtime cannot run
   * them (TensorFlow.js runs the training checkpoint; hosts without `openGraphs`).
   */
  openGraphs?(o: GraphEngineOptions): Promise<GraphEngine>;
}

/**
 * A place `vae parity` launches registered runtimes in: this Node process, a Deno or Bun child
 * process, a browser page, a Workers isolate. Registered under an open name (`registerParityHost`);
 * a runtime lists the hosts it runs under (`Runtime.parity.hosts`).
 */
export interface ParityHost {
  /** e.g. `Deno (npm deno, --allow-read --allow-env --allow-ffi)`. */
  readonly description: string;
  /** Opens `runtime` on `device` in this host; rejects with the reason it cannot run here. */
  open(ctx: ParityRuntimeContext, runtime: Runtime, device: ExecutionDevice): Promise<OpenedRuntime>;
  /** Opens `runtime` on `device` for raw ONNX graphs; absent when this host cannot run them. */
  openGraphs?(runtime: Runtime, device: ExecutionDevice, o: GraphEngineOptions): Promise<GraphEngine>;
}
