import { availableParallelism } from 'node:os';
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
import { DataParallelClient } from './data-parallel.js';
import { openNodeRunner } from './node-platform.js';
import { parseOrtNodeBinding, requestedOrtNodeBinding, type OrtNodeBinding } from '@vae/device-node';
import {
  ortDeviceSkipReason,
  parseOrtDevice,
  prepareOrtTraining,
  type OrtDeviceRequest,
  type OrtTrainDevice,
} from './ort-devices.js';
import type { OrtWorkerMethod, OrtWorkerMethods } from './ort-protocol.js';
import { withElbo, type OrtBatch, type OrtStepResult, type OrtStepRunner } from './ort-step-runner.js';
import { splitBlocker } from './shard-exchange.js';
import { WorkerClient } from './worker-client.js';

const log = getLogger('train:ort');

/** Options of {@link OrtEngine}. */
export interface OrtEngineOptions {
  /** Run onnxruntime in a worker thread (default true; `run()` is synchronous and blocks its thread). */
  readonly worker?: boolean;
  /** Execution provider; default: from `config.backend` when it names one (`cpu`, `webgpu`, `cuda`), else `auto`. */
  readonly device?: OrtDeviceRequest;
  /** Intra-op threads of the CPU EP (per shard). Default: see {@link ortLayout}. */
  readonly threads?: number;
  /**
   * Worker threads each batch is split over (data parallelism: each runs the step graph on its rows,
   * the gradients are reduced and Adam's update split between them). Default: see {@link ortLayout}.
   */
  readonly shards?: number;
  /**
   * How CPU sessions call onnxruntime: `auto` (default) directly through its C API where the native
   * module is built, else through onnxruntime-node; `direct` fails instead of falling back;
   * `onnxruntime-node` always uses onnxruntime-node's `run()` (which copies every output).
   */
  readonly binding?: OrtNodeBinding;
}

/** How an {@link OrtEngine} runs its steps: worker threads splitting each batch, intra-op threads of each. */
export interface OrtLayout {
  readonly shards: number;
  readonly threads: number;
  /** Why, in words (logged at init). */
  readonly reason: string;
}

/**
 * Worker threads each batch is split over when the options do not say: 1. Two single-thread shards
 * on half batches (784-400-20, b128, 2 cores) measured a tie end to end with one session on 2
 * threads: `vae train` 1.99–2.16 s against 1.96–2.30 s per epoch, the step loop's best 1.74–1.75 s
 * against 1.81–1.97 s, and more sensitive to a busy machine (docs/BENCHMARKS.md "Training
 * pipeline"); ask for `shards: 2` to use it.
 */
export const DEFAULT_ORT_SHARDS = 1;

/**
 * The engine's layout for `options`, a device request and a model (`blocker`: why its batches
 * cannot be split, from `splitBlocker`, or null) on a machine of `parallelism` cores. Without
 * explicit `shards`/`threads`/`worker: false`: one worker with {@link DEFAULT_ORT_THREADS}, or, where
 * `preferred` (default {@link DEFAULT_ORT_SHARDS}) is ≥ 2, on the CPU EP with ≥ 2 cores and a model
 * whose batches can be split, `preferred` shards × ⌊{@link DEFAULT_ORT_THREADS}/`preferred`⌋ threads.
 */
export function ortLayout(
  options: OrtEngineOptions,
  device: OrtDeviceRequest,
  blocker: string | null,
  parallelism = availableParallelism(),
  preferred = DEFAULT_ORT_SHARDS,
): OrtLayout {
  const cpu = device === 'cpu' || (device === 'auto' && ortDeviceSkipReason('cuda') !== null);
  const single = (reason: string): OrtLayout => ({
    shards: 1,
    threads: options.threads ?? defaultTrainingThreads(parallelism),
    reason,
  });
  if (options.shards !== undefined) {
    const why = options.worker === false ? 'worker: false' : !cpu ? `device ${device}` : blocker;
    if (options.shards > 1 && why)
      throw new RangeError(
        `options.shards: expected 1 (data parallelism needs worker threads, the CPU EP and batches that can be split; here ${why}), got ${options.shards}`,
      );
    return options.shards === 1
      ? single('shards: 1 asked')
      : { shards: options.shards, threads: options.threads ?? 1, reason: `shards: ${options.shards} asked` };
  }
  if (options.worker === false) return single('inline (worker: false)');
  if (options.threads !== undefined) return single(`threads: ${options.threads} asked`);
  if (preferred < 2) return single('one session per batch by default');
  if (!cpu) return single(`device ${device}`);
  if (blocker) return single(blocker);
  if (parallelism < 2) return single('one core');
  const threads = Math.max(1, Math.floor(defaultTrainingThreads(parallelism) / preferred));
  return { shards: preferred, threads, reason: `${parallelism} cores: data parallel, a part of each batch per worker` };
}

/** Default intra-op threads of the ort engine's CPU EP: core's `defaultTrainingThreads` for this machine. */
export const DEFAULT_ORT_THREADS = defaultTrainingThreads(availableParallelism());

/** The device an ort run uses for `config.backend` (a tfjs backend name or an ort device). */
export function ortDeviceForConfig(backend: string): OrtDeviceRequest {
  return backend === 'cpu' || backend === 'webgpu' || backend === 'cuda' ? backend : 'auto';
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
  private client: WorkerClient | DataParallelClient | null = null;
  /** The layout in use after {@link OrtEngine.init} (worker threads × intra-op threads), or null. */
  layout: OrtLayout | null = null;
  private inline: OrtStepRunner<OrtTrainDevice> | null = null;
  /** Importance samples per example of the training graph (`config.iwSamples`). */
  private samples = 1;
  private spec: ModelSpec | null = null;

  constructor(options: OrtEngineOptions = {}) {
    if (options.device !== undefined) parseOrtDevice(options.device, 'options.device');
    if (options.binding !== undefined) parseOrtNodeBinding(options.binding, 'options.binding');
    for (const key of ['threads', 'shards'] as const) {
      const v = options[key];
      if (v !== undefined && !(Number.isInteger(v) && v >= 1))
        throw new RangeError(`options.${key}: expected an integer ≥ 1, got ${String(v)}`);
    }
    this.options = options;
  }

  async init(spec: ModelSpec, params: ParameterSet, config: TrainConfig): Promise<void> {
    validateParameters(spec, params);
    this.dispose();
    const device = this.options.device ?? ortDeviceForConfig(config.backend);
    const layout = ortLayout(this.options, device, splitBlocker(spec));
    const runner = {
      spec,
      params,
      learningRate: config.learningRate,
      adam: { ...ADAM_DEFAULTS },
      device: layout.shards > 1 ? ('cpu' as const) : device,
      threads: layout.threads,
      samples: config.iwSamples,
    };
    this.samples = runner.samples;
    prepareOrtTraining(parseOrtDevice(runner.device));
    const info = await this.start(runner, layout);
    for (const f of info.fallbacks) log.debug(`device ${f.device} unavailable: ${f.reason}`);
    this.backend = info.device;
    this.spec = spec;
    this.layout = layout;
    const where = this.inline ? 'inline' : layout.shards > 1 ? `${layout.shards} worker threads` : 'a worker thread';
    // Inline engines (tests, parity checks) say it at debug level; a training run's choice is shown.
    log[this.inline ? 'debug' : 'info'](
      `ort engine: ${info.device}, ${where} × ${layout.threads} intra-op thread${layout.threads > 1 ? 's' : ''} (${layout.reason})`,
    );
    log[this.inline ? 'debug' : 'info'](`ort engine: sessions on ${info.binding}`);
    log.debug(
      `training graph of ${info.nodes} nodes; onnxruntime-node's output copies ${info.freesOutputCopies ? 'freed at once' : 'left to the garbage collector'}`,
    );
  }

  /** Opens the step runner(s) of `layout`: inline, in one worker thread, or in data-parallel shards. */
  private async start(
    runner: OrtWorkerMethods['init']['args']['runner'],
    layout: OrtLayout,
  ): Promise<OrtWorkerMethods['init']['result']> {
    const binding = this.options.binding ?? 'auto';
    if (this.options.worker === false) {
      const opened = await openNodeRunner(runner, binding);
      this.inline = opened.runner;
      return opened.info;
    }
    if (layout.shards > 1) {
      const { client, info } = await DataParallelClient.start(runner, layout.shards, getLogLevel(), binding);
      this.client = client;
      return info;
    }
    this.client = new WorkerClient();
    return this.client.call('init', { runner, logLevel: getLogLevel(), binding });
  }

  private ready(): ModelSpec {
    if (!this.spec || (!this.client && !this.inline)) throw new Error('engine: call init() first');
    return this.spec;
  }

  /** Calls `method` on the worker(s) or the inline runner; `transfer`: buffers a single worker may take. */
  private call<M extends OrtWorkerMethod>(
    method: M,
    args: OrtWorkerMethods[M]['args'],
    transfer: ArrayBuffer[] = [],
  ): Promise<OrtWorkerMethods[M]['result']> {
    this.ready();
    if (this.client instanceof WorkerClient) return this.client.call(method, args, transfer);
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
  async stepTerms(batch: TrainBatch, handOver = false): Promise<ObjectiveTerms> {
    const b = this.toBatch(batch, this.samples);
    return withElbo(await this.call('stepTerms', b, handOver ? batchBuffers(b) : []));
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
    this.layout = null;
    this.backend = 'none';
  }
}

/**
 * The buffers a batch's tensors own whole (a batch may use one for both `target` and `x`): those the
 * worker can take without a copy. A view of part of a larger buffer is copied as before.
 */
function batchBuffers(b: OrtBatch): ArrayBuffer[] {
  const own = (d: Float32Array) =>
    d.buffer instanceof ArrayBuffer && d.byteOffset === 0 && d.byteLength === d.buffer.byteLength ? [d.buffer] : [];
  return [...new Set([b.target, b.x, b.eps, b.y].flatMap((t) => (t ? own(t.data) : [])))];
}

/**
 * The registered engine: defaults, except the binding, which `VAE_ORT_BINDING` (`auto`, `direct`,
 * `onnxruntime-node`) can set for any command that trains, e.g. to compare the two.
 */
registerEngine('ort', () => new OrtEngine({ binding: requestedOrtNodeBinding() }));
