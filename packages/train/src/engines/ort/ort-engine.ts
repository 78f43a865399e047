import { availableParallelism } from 'node:os';
import { setFlagsFromString } from 'node:v8';
import { Worker } from 'node:worker_threads';
import {
  defaultTrainingThreads,
  getLogLevel,
  getLogger,
  validateParameters,
  type ModelSpec,
  type ObjectiveTerms,
  type ParameterSet,
} from '@vae/core';
import { ADAM_DEFAULTS } from '../adam-defaults.js';
import type { AdamState } from '../../checkpoint/checkpoint.js';
import type { TrainConfig } from '../../config.js';
import { registerEngine, type Engine, type ForwardTerms, type StepOutputs, type TrainBatch } from '../engine.js';
import { workerStart } from '@vae/data/node';
import { NODE_ORT_PLATFORM } from './node-platform.js';
import { parseOrtDevice, prepareOrtTraining, type OrtDeviceRequest, type OrtTrainDevice } from './ort-devices.js';
import type { OrtWorkerMethod, OrtWorkerMethods, OrtWorkerRequest, OrtWorkerResponse } from './ort-protocol.js';
import { OrtStepRunner, withElbo, type OrtBatch, type OrtStepResult } from './ort-step-runner.js';

const log = getLogger('train:ort');

/** Options of {@link OrtEngine}. */
export interface OrtEngineOptions {
  /** Run onnxruntime in a worker thread (default true; `run()` is synchronous and blocks its thread). */
  readonly worker?: boolean;
  /** Execution provider; default: from `config.backend` when it names one (`cpu`, `webgpu`, `cuda`), else `auto`. */
  readonly device?: OrtDeviceRequest;
  /** Intra-op threads of the CPU EP. Default: {@link DEFAULT_ORT_THREADS}. */
  readonly threads?: number;
}

/** Default intra-op threads of the ort engine's CPU EP: core's `defaultTrainingThreads` for this machine. */
export const DEFAULT_ORT_THREADS = defaultTrainingThreads(availableParallelism());

/** The device an ort run uses for `config.backend` (a tfjs backend name or an ort device). */
export function ortDeviceForConfig(backend: string): OrtDeviceRequest {
  return backend === 'cpu' || backend === 'webgpu' || backend === 'cuda' ? backend : 'auto';
}

/**
 * Initial old-generation limit (MiB) of the engine worker's heap. onnxruntime-node returns every
 * fetched output in a fresh ArrayBuffer (the gradients: 2.6 MB per step for the 784-400-20 VAE), and
 * with V8's default limit the worker's heap ran a mark-compact every ~12 steps (~110 in a 2-epoch
 * `vae train`); from 512 MiB, none (the young generation still frees those buffers: the process's
 * peak RSS grew 455 → 474 MB). Epochs of the per-step loop: 1.94–2.15 s against 2.34–2.78 s
 * (medians of 3, alternating processes, docs/BENCHMARKS.md "Training pipeline").
 */
const WORKER_INITIAL_OLD_SPACE_MB = 512;

/** A client of `ort-worker.ts`: one request at a time per id, results matched by id. */
class WorkerClient {
  private readonly worker: Worker;
  private readonly pending = new Map<number, { resolve: (v: unknown) => void; reject: (e: Error) => void }>();
  private nextId = 1;
  private failure: Error | null = null;

  constructor() {
    const start = workerStart(import.meta.url, 'ort-worker');
    // V8 reads heap flags when an isolate is created: this one applies to the worker started below,
    // and is put back to V8's default (0: computed) once that worker runs, so that workers the host
    // process starts later keep their own defaults.
    setFlagsFromString(`--initial-old-space-size=${WORKER_INITIAL_OLD_SPACE_MB}`);
    this.worker = new Worker(start.source, { eval: start.eval });
    this.worker.once('online', () => setFlagsFromString('--initial-old-space-size=0'));
    // Keep the process alive only while a call is in flight, so a forgotten dispose() cannot hang it.
    this.worker.unref();
    this.worker.on('message', (msg: OrtWorkerResponse) => {
      const p = this.pending.get(msg.id);
      if (!p) return;
      this.pending.delete(msg.id);
      if (this.pending.size === 0) this.worker.unref();
      if (msg.ok) p.resolve(msg.result);
      else p.reject(Object.assign(new Error(msg.error.message), { name: msg.error.name }));
    });
    const fail = (err: Error) => {
      this.failure = err;
      for (const p of this.pending.values()) p.reject(err);
      this.pending.clear();
    };
    this.worker.on('error', fail);
    this.worker.on('exit', (code) => fail(new Error(`ort engine: the worker thread exited (code ${code})`)));
  }

  call<M extends OrtWorkerMethod>(
    method: M,
    args: OrtWorkerMethods[M]['args'],
  ): Promise<OrtWorkerMethods[M]['result']> {
    if (this.failure) return Promise.reject(this.failure);
    const id = this.nextId++;
    const req: OrtWorkerRequest = { id, method, args };
    return new Promise((resolve, reject) => {
      if (this.pending.size === 0) this.worker.ref();
      this.pending.set(id, { resolve: resolve as (v: unknown) => void, reject });
      this.worker.postMessage(req);
    });
  }

  terminate(): void {
    this.failure ??= new Error('ort engine: disposed');
    void this.worker.terminate();
  }
}

/**
 * The ONNX Runtime training engine: one ONNX training-step graph (forward, reverse-mode backward,
 * Adam) built by `@vae/onnx` from the model spec, run by onnxruntime-node on the CPU, CUDA or
 * WebGPU execution provider, in a worker thread. Same batches, ε, checkpoints and Adam state as the
 * tfjs engine, so runs can resume across engines.
 */
export class OrtEngine implements Engine {
  readonly name = 'ort';
  backend = 'none';
  private readonly options: OrtEngineOptions;
  private client: WorkerClient | null = null;
  private inline: OrtStepRunner<OrtTrainDevice> | null = null;
  /** Importance samples per example of the training graph (`config.iwSamples`). */
  private samples = 1;
  private spec: ModelSpec | null = null;

  constructor(options: OrtEngineOptions = {}) {
    if (options.device !== undefined) parseOrtDevice(options.device, 'options.device');
    if (options.threads !== undefined && !(Number.isInteger(options.threads) && options.threads >= 1)) {
      throw new RangeError(`options.threads: expected an integer ≥ 1, got ${String(options.threads)}`);
    }
    this.options = options;
  }

  async init(spec: ModelSpec, params: ParameterSet, config: TrainConfig): Promise<void> {
    validateParameters(spec, params);
    this.dispose();
    const runner = {
      spec,
      params,
      learningRate: config.learningRate,
      adam: { ...ADAM_DEFAULTS },
      device: this.options.device ?? ortDeviceForConfig(config.backend),
      threads: this.options.threads ?? DEFAULT_ORT_THREADS,
      samples: config.iwSamples,
    };
    this.samples = runner.samples;
    prepareOrtTraining(parseOrtDevice(runner.device));
    let info: OrtWorkerMethods['init']['result'];
    if (this.options.worker === false) {
      this.inline = await OrtStepRunner.create(runner, NODE_ORT_PLATFORM);
      info = { device: this.inline.device, fallbacks: this.inline.fallbacks, nodes: this.inline.graphInfo().nodes };
    } else {
      this.client = new WorkerClient();
      info = await this.client.call('init', { runner, logLevel: getLogLevel() });
    }
    for (const f of info.fallbacks) log.debug(`device ${f.device} unavailable: ${f.reason}`);
    this.backend = info.device;
    this.spec = spec;
    log.debug(`training graph of ${info.nodes} nodes on ${info.device}${this.client ? ' (worker thread)' : ''}`);
  }

  private ready(): ModelSpec {
    if (!this.spec || (!this.client && !this.inline)) throw new Error('engine: call init() first');
    return this.spec;
  }

  private call<M extends OrtWorkerMethod>(
    method: M,
    args: OrtWorkerMethods[M]['args'],
  ): Promise<OrtWorkerMethods[M]['result']> {
    this.ready();
    if (this.client) return this.client.call(method, args);
    const r = this.inline!;
    switch (method) {
      case 'step':
        return r.step(args as OrtBatch) as Promise<OrtWorkerMethods[M]['result']>;
      case 'forward':
        return r.forward(args as OrtBatch) as Promise<OrtWorkerMethods[M]['result']>;
      case 'stepTerms':
        return r.stepTerms(args as OrtBatch) as Promise<OrtWorkerMethods[M]['result']>;
      case 'forwardTerms':
        return r.forwardTerms(args as OrtBatch) as Promise<OrtWorkerMethods[M]['result']>;
      case 'getParams':
        return Promise.resolve(r.getParams() as OrtWorkerMethods[M]['result']);
      case 'getOptimizerState':
        return Promise.resolve(r.getOptimizerState() as OrtWorkerMethods[M]['result']);
      case 'setOptimizerState':
        r.setOptimizerState(args as OrtWorkerMethods['setOptimizerState']['args']);
        return Promise.resolve(null as OrtWorkerMethods[M]['result']);
      default:
        return Promise.reject(new Error(`ort engine: ${method} is not an inline call`));
    }
  }

  private toBatch(batch: TrainBatch, samples: number): OrtBatch {
    if (batch.samples !== samples)
      throw new RangeError(
        `batch.samples: expected ${samples} (the samples per example of this engine's ${samples === this.samples ? 'training' : 'forward'} graph), got ${batch.samples}`,
      );
    return {
      target: batch.target,
      x: batch.x,
      ...(batch.eps ? { eps: batch.eps } : {}),
      ...(batch.y ? { y: batch.y } : {}),
    };
  }

  private static toOutputs(r: OrtStepResult): StepOutputs {
    return {
      loss: r.loss,
      decoded: r.decoded,
      ...(r.mu ? { mu: r.mu } : {}),
      ...(r.logvar ? { logvar: r.logvar } : {}),
      ...(r.code ? { code: r.code } : {}),
      ...(r.objectiveParams ? { objectiveParams: r.objectiveParams } : {}),
    };
  }

  async step(batch: TrainBatch): Promise<StepOutputs> {
    return OrtEngine.toOutputs(await this.call('step', this.toBatch(batch, this.samples)));
  }

  async forward(batch: TrainBatch): Promise<StepOutputs> {
    return OrtEngine.toOutputs(await this.call('forward', this.toBatch(batch, 1)));
  }

  /**
   * One Adam step returning only the graph's own batch-mean loss terms (equal to core's
   * `modelObjective` on the step's forward outputs; tested in `ort-engine.test.ts`). The trainer uses
   * it instead of {@link OrtEngine.step} + a JavaScript recomputation, which cost a third of an epoch.
   */
  async stepTerms(batch: TrainBatch): Promise<ObjectiveTerms> {
    return withElbo(await this.call('stepTerms', this.toBatch(batch, this.samples)));
  }

  /** The forward graph's own loss terms and the embedding (tested equal to core's `modelObjective` on {@link OrtEngine.forward}). */
  async forwardTerms(batch: TrainBatch): Promise<ForwardTerms> {
    const r = await this.call('forwardTerms', this.toBatch(batch, 1));
    return { terms: withElbo(r.terms), embedding: r.embedding };
  }

  getParams(): Promise<ParameterSet> {
    return this.call('getParams', null);
  }

  async getOptimizerState(): Promise<AdamState> {
    const s = await this.call('getOptimizerState', null);
    return { step: s.step, ...ADAM_DEFAULTS, m: s.m, v: s.v, ...(s.momentScale ? { momentScale: s.momentScale } : {}) };
  }

  async setOptimizerState(state: AdamState): Promise<void> {
    for (const key of ['beta1', 'beta2', 'epsilon'] as const) {
      if (state[key] !== ADAM_DEFAULTS[key])
        throw new RangeError(`optimizer.${key}: expected ${ADAM_DEFAULTS[key]}, got ${state[key]}`);
    }
    await this.call('setOptimizerState', {
      step: state.step,
      m: state.m,
      v: state.v,
      ...(state.momentScale ? { momentScale: state.momentScale } : {}),
    });
  }

  dispose(): void {
    this.client?.terminate();
    this.client = null;
    void this.inline?.release();
    this.inline = null;
    this.spec = null;
    this.backend = 'none';
  }
}

registerEngine('ort', () => new OrtEngine());
