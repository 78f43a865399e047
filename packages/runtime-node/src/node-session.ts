import {
  assertTensor,
  getLogger,
  sessionValueInfos,
  type BackendSession,
  type SessionValueInfo,
  type ExecutionDevice,
  type Tensor,
} from '@vae/core';
import * as ort from 'onnxruntime-node';

const log = getLogger('runtime-node:session');

/**
 * A {@link BackendSession} over one `onnxruntime-node` InferenceSession. `run` calls are queued and
 * execute one at a time, in call order; a call on an idle session starts at once.
 */
export class NodeSession implements BackendSession {
  readonly inputNames: readonly string[];
  readonly outputNames: readonly string[];
  readonly inputMetadata: readonly SessionValueInfo[];
  readonly outputMetadata: readonly SessionValueInfo[];
  private tail: Promise<unknown> = Promise.resolve();
  /** Runs started or queued and not yet settled. */
  private inFlight = 0;
  private released = false;
  private readonly settle = (): void => {
    this.inFlight--;
  };

  constructor(
    private readonly session: ort.InferenceSession,
    readonly device: ExecutionDevice,
  ) {
    this.inputNames = [...session.inputNames];
    this.outputNames = [...session.outputNames];
    this.inputMetadata = sessionValueInfos(this.inputNames, session.inputMetadata);
    this.outputMetadata = sessionValueInfos(this.outputNames, session.outputMetadata);
  }

  /** Runs the graph after every earlier call has finished; float32 in, float32 out. */
  run(feeds: Readonly<Record<string, Tensor>>): Promise<Record<string, Tensor>> {
    if (this.released) return Promise.reject(new Error('session: expected a live session, got a released one'));
    const result = this.inFlight === 0 ? this.runNow(feeds) : this.tail.then(() => this.runNow(feeds));
    this.inFlight++;
    this.tail = result.then(this.settle, this.settle);
    return result;
  }

  /** Refuses new runs, waits for those already started or queued, then frees the native session. */
  async release(): Promise<void> {
    if (this.released) return;
    this.released = true;
    await this.tail;
    await this.session.release();
    log.debug(`released ${this.device} session`);
  }

  private async runNow(feeds: Readonly<Record<string, Tensor>>): Promise<Record<string, Tensor>> {
    const inputs: Record<string, ort.Tensor> = {};
    for (const name of this.inputNames) {
      const t = feeds[name];
      if (t === undefined)
        throw new RangeError(
          `feeds: expected input ${JSON.stringify(name)}, got only ${Object.keys(feeds).join(', ') || 'none'}`,
        );
      assertTensor(t, `feeds.${name}`);
      inputs[name] = new ort.Tensor('float32', t.data, t.shape);
    }
    // Every input name is present, so more keys means an unknown one.
    if (Object.keys(feeds).length !== this.inputNames.length) {
      const unknown = Object.keys(feeds).find((name) => !this.inputNames.includes(name));
      throw new RangeError(
        `feeds: expected inputs ${this.inputNames.join(', ')}, got unknown ${JSON.stringify(unknown)}`,
      );
    }
    const out = await this.session.run(inputs);
    const result: Record<string, Tensor> = {};
    for (const name in out) {
      const value = out[name]!;
      if (value.type !== 'float32') throw new TypeError(`output ${name}: expected float32, got ${value.type}`);
      result[name] = { data: value.data as Float32Array, shape: value.dims.slice() };
    }
    return result;
  }
}
