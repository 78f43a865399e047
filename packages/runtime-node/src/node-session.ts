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
 * execute one at a time, in call order.
 */
export class NodeSession implements BackendSession {
  readonly inputNames: readonly string[];
  readonly outputNames: readonly string[];
  readonly inputMetadata: readonly SessionValueInfo[];
  readonly outputMetadata: readonly SessionValueInfo[];
  private tail: Promise<unknown> = Promise.resolve();
  private released = false;

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
    const result = this.tail.then(() => this.runNow(feeds));
    this.tail = result.catch(() => undefined);
    return result;
  }

  /** Waits for queued runs, then frees the native session. */
  async release(): Promise<void> {
    if (this.released) return;
    this.released = true;
    await this.tail;
    await this.session.release();
    log.debug(`released ${this.device} session`);
  }

  private async runNow(feeds: Readonly<Record<string, Tensor>>): Promise<Record<string, Tensor>> {
    if (this.released) throw new Error('session: expected a live session, got a released one');
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
    for (const name of Object.keys(feeds)) {
      if (!this.inputNames.includes(name))
        throw new RangeError(
          `feeds: expected inputs ${this.inputNames.join(', ')}, got unknown ${JSON.stringify(name)}`,
        );
    }
    const out = await this.session.run(inputs);
    const result: Record<string, Tensor> = {};
    for (const [name, value] of Object.entries(out)) {
      if (value.type !== 'float32') throw new TypeError(`output ${name}: expected float32, got ${value.type}`);
      result[name] = { data: value.data as Float32Array, shape: value.dims.map(Number) };
    }
    return result;
  }
}
