import { sessionValueInfos, type OrtValueMetadata, type SessionValueInfo } from './graph-signature.js';
import { getLogger } from './logger.js';
import { RunQueue } from './run-queue.js';
import type { BackendSession, ExecutionDevice } from './runtime-contract.js';
import { assertTensor, type Tensor } from './tensor.js';

const log = getLogger('core:session');

/** An onnxruntime tensor as onnxruntime-common defines it (both onnxruntime-node's and onnxruntime-web's fit). */
export interface OrtTensorLike {
  readonly type: string;
  readonly dims: readonly number[];
  getData(releaseData?: boolean): Promise<unknown>;
  dispose(): void;
}

/** An onnxruntime `InferenceSession` (structurally; core imports no onnxruntime package). */
export interface OrtInferenceSessionLike {
  readonly inputNames: readonly string[];
  readonly outputNames: readonly string[];
  readonly inputMetadata?: readonly OrtValueMetadata[];
  readonly outputMetadata?: readonly OrtValueMetadata[];
  run(feeds: Record<string, OrtTensorLike>): Promise<Record<string, OrtTensorLike>>;
  release(): Promise<void>;
}

/** Makes an onnxruntime float32 tensor (`new ort.Tensor('float32', data, dims)`). */
export type OrtTensorFactory = (data: Float32Array, dims: readonly number[]) => OrtTensorLike;

/**
 * The one {@link BackendSession} over an onnxruntime `InferenceSession`, shared by every runtime
 * (onnxruntime-node, onnxruntime-web). Feeds are checked by name before anything runs. Concurrent
 * `run()` calls on one onnxruntime session are unsafe (onnxruntime-web: "Session already started";
 * measured here, four concurrent WebGPU runs in Node never finished), so calls are queued and execute
 * one at a time in call order. Outputs are the fresh `Float32Array`s onnxruntime hands over (CPU
 * outputs copied out of native or WebAssembly memory, GPU outputs downloaded), so results never
 * alias runtime memory.
 */
export class OrtSession implements BackendSession {
  readonly inputNames: readonly string[];
  readonly outputNames: readonly string[];
  readonly inputMetadata: readonly SessionValueInfo[];
  readonly outputMetadata: readonly SessionValueInfo[];
  private readonly queue = new RunQueue();
  private released = false;

  constructor(
    private readonly session: OrtInferenceSessionLike,
    private readonly tensor: OrtTensorFactory,
    readonly device: ExecutionDevice,
  ) {
    this.inputNames = Object.freeze([...session.inputNames]);
    this.outputNames = Object.freeze([...session.outputNames]);
    this.inputMetadata = sessionValueInfos(this.inputNames, session.inputMetadata);
    this.outputMetadata = sessionValueInfos(this.outputNames, session.outputMetadata);
  }

  /** Calls queued or running on this session (for tests and diagnostics). */
  get queued(): number {
    return this.queue.size;
  }

  /** Runs the graph after every earlier call has finished; float32 in, float32 out. */
  run(feeds: Readonly<Record<string, Tensor>>): Promise<Record<string, Tensor>> {
    if (this.released) return Promise.reject(new Error('session: expected a live session, got a released one'));
    let inputs: Record<string, OrtTensorLike>;
    try {
      inputs = this.toOrtFeeds(feeds);
    } catch (err) {
      return Promise.reject(err);
    }
    return this.queue.enqueue(() => this.runNow(inputs));
  }

  /** Refuses new runs, waits for those already queued, then frees the session (idempotent). */
  async release(): Promise<void> {
    if (this.released) return;
    this.released = true;
    await this.queue.drain();
    await this.session.release();
    log.debug(`released ${this.device} session`);
  }

  private toOrtFeeds(feeds: Readonly<Record<string, Tensor>>): Record<string, OrtTensorLike> {
    if (feeds === null || typeof feeds !== 'object') {
      throw new TypeError(
        `feeds: expected an object keyed by input name (${this.inputNames.join(', ')}), got ${String(feeds)}`,
      );
    }
    const unknown = Object.keys(feeds).find((name) => !this.inputNames.includes(name));
    if (unknown !== undefined) {
      throw new RangeError(
        `feeds: expected inputs ${this.inputNames.join(', ')}, got unknown ${JSON.stringify(unknown)}`,
      );
    }
    const inputs: Record<string, OrtTensorLike> = {};
    for (const name of this.inputNames) {
      const t = feeds[name];
      if (t === undefined) {
        throw new RangeError(
          `feeds: expected input ${JSON.stringify(name)}, got only ${Object.keys(feeds).join(', ') || 'none'}`,
        );
      }
      assertTensor(t, `feeds.${name}`);
      inputs[name] = this.tensor(t.data, t.shape);
    }
    return inputs;
  }

  private async runNow(inputs: Record<string, OrtTensorLike>): Promise<Record<string, Tensor>> {
    const out = await this.session.run(inputs);
    const result: Record<string, Tensor> = {};
    for (const name of this.outputNames) {
      const value = out[name];
      if (value === undefined)
        throw new Error(`session: expected output ${JSON.stringify(name)}, got ${Object.keys(out).join(', ')}`);
      if (value.type !== 'float32') throw new TypeError(`output ${name}: expected float32, got ${value.type}`);
      // getData(true) hands over the tensor's own array: onnxruntime-node and onnxruntime-web copy
      // every CPU output out of native or WebAssembly memory into a fresh one, and a GPU output is
      // downloaded into a fresh one, so it aliases nothing and needs no second copy.
      const data = (await value.getData(true)) as Float32Array;
      result[name] = { data, shape: value.dims.map(Number) };
      value.dispose();
    }
    return result;
  }
}
