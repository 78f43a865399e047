import {
  assertTensor,
  getLogger,
  sessionValueInfos,
  type BackendSession,
  type SessionValueInfo,
  type ExecutionDevice,
  type Tensor,
} from '@vae/core';
import type { OrtInferenceSession, OrtTensor, OrtWebModule } from './ort-types.js';
import { RunQueue } from './run-queue.js';

const log = getLogger('runtime-web:session');

/**
 * A {@link BackendSession} over one onnxruntime-web `InferenceSession`. Concurrent `run()` calls on
 * one onnxruntime-web session are unsafe (reported to fail with "Session already started"; measured
 * here, four concurrent WebGPU runs in Node never finished), so calls are queued and execute one at
 * a time in call order. Outputs are copied into fresh `Float32Array`s (WebGPU outputs are
 * downloaded first), so results never alias runtime memory.
 */
export class WebSession implements BackendSession {
  readonly inputNames: readonly string[];
  readonly outputNames: readonly string[];
  readonly inputMetadata: readonly SessionValueInfo[];
  readonly outputMetadata: readonly SessionValueInfo[];
  private readonly queue = new RunQueue();
  private released = false;

  constructor(
    private readonly ort: OrtWebModule,
    private readonly session: OrtInferenceSession,
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
    let inputs: Record<string, OrtTensor>;
    try {
      inputs = this.toOrtFeeds(feeds);
    } catch (err) {
      return Promise.reject(err);
    }
    return this.queue.enqueue(() => this.runNow(inputs));
  }

  /** Waits for queued runs, then frees the session (idempotent). */
  async release(): Promise<void> {
    if (this.released) return;
    this.released = true;
    await this.queue.drain();
    await this.session.release();
    log.debug(`released ${this.device} session`);
  }

  private toOrtFeeds(feeds: Readonly<Record<string, Tensor>>): Record<string, OrtTensor> {
    if (feeds === null || typeof feeds !== 'object') {
      throw new TypeError(
        `feeds: expected an object keyed by input name (${this.inputNames.join(', ')}), got ${String(feeds)}`,
      );
    }
    for (const name of Object.keys(feeds)) {
      if (!this.inputNames.includes(name)) {
        throw new RangeError(
          `feeds: expected inputs ${this.inputNames.join(', ')}, got unknown ${JSON.stringify(name)}`,
        );
      }
    }
    const inputs: Record<string, OrtTensor> = {};
    for (const name of this.inputNames) {
      const t = feeds[name];
      if (t === undefined) {
        throw new RangeError(
          `feeds: expected input ${JSON.stringify(name)}, got only ${Object.keys(feeds).join(', ') || 'none'}`,
        );
      }
      assertTensor(t, `feeds.${name}`);
      inputs[name] = new this.ort.Tensor('float32', t.data, [...t.shape]);
    }
    return inputs;
  }

  private async runNow(inputs: Record<string, OrtTensor>): Promise<Record<string, Tensor>> {
    const out = await this.session.run(inputs);
    const result: Record<string, Tensor> = {};
    for (const name of this.outputNames) {
      const value = out[name];
      if (value === undefined)
        throw new Error(`session: expected output ${JSON.stringify(name)}, got ${Object.keys(out).join(', ')}`);
      if (value.type !== 'float32') throw new TypeError(`output ${name}: expected float32, got ${value.type}`);
      const data = (await value.getData(true)) as Float32Array;
      result[name] = { data: new Float32Array(data), shape: value.dims.map(Number) };
      value.dispose();
    }
    return result;
  }
}
