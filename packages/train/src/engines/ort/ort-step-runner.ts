import {
  getLogger,
  listParameters,
  listTrainableParameters,
  modelKindInfo,
  validateParameters,
  type ModelSpec,
  type ObjectiveTerms,
  type ParameterSet,
  type Tensor,
} from '@vae/core';
import {
  TRAIN_STEP_NAMES,
  adamMomentScales,
  buildTrainStepGraph,
  validateAdamOptions,
  type AdamOptions,
  type TrainStepGraph,
} from '@vae/onnx/graphs';
import type * as ort from 'onnxruntime-node';
import { AdamArena } from './adam-arena.js';
import type { OrtModule, OrtPlatform, OrtRunSession } from './ort-platform.js';
import { ShardExchange, splitBlocker, type OrtShard } from './shard-exchange.js';

const N = TRAIN_STEP_NAMES;
const log = getLogger('train:ort');

/** What an {@link OrtStepRunner} is created from (plain data: it crosses the worker boundary). */
export interface OrtRunnerInit<D extends string = string> {
  readonly spec: ModelSpec;
  readonly params: ParameterSet;
  readonly learningRate: number;
  readonly adam: AdamOptions;
  /** A device of the platform, or `auto`. */
  readonly device: D | 'auto';
  /** Intra-op threads of the CPU EP. */
  readonly threads: number;
  /** Importance samples per example of the training graph (S > 1: the IWAE bound). Default 1. */
  readonly samples?: number;
  /** This runner is one shard of a data-parallel engine (models without buffers only). */
  readonly shard?: OrtShard;
}

/** One batch as the training graph takes it. */
export interface OrtBatch {
  /** Clean input `[B, D]`: the reconstruction target. */
  readonly target: Tensor;
  /** Encoder input `[B, D]` (differs from `target` for `denoising-ae`). */
  readonly x: Tensor;
  readonly eps?: Tensor;
  readonly y?: Tensor;
  /** Data-parallel shards: the rows of every shard's part of the batch (this one's may be 0: no run). */
  readonly shardRows?: readonly number[];
}

const EMPTY_TERMS: OrtStepTerms = Object.freeze({ loss: 0, reconstruction: 0, kl: null, regularizer: 0 });

/** The scalar loss terms of one step (batch means, nats per example), as the graph computes them. */
export interface OrtStepTerms {
  readonly loss: number;
  readonly reconstruction: number;
  readonly kl: number | null;
  readonly regularizer: number;
}

/** The graph's terms with the ELBO added (−(reconstruction + KL); null for non-variational kinds), as engines report them. */
export function withElbo(t: OrtStepTerms): ObjectiveTerms {
  return { ...t, elbo: t.kl === null ? null : -(t.reconstruction + t.kl) };
}

/** Loss terms and embedding of one forward pass. */
export interface OrtForwardTerms {
  readonly terms: OrtStepTerms;
  /** `mu` (variational kinds) or `code` `[B, L]`. */
  readonly embedding: Tensor;
}

/** Loss terms and forward outputs of one step. */
export interface OrtStepResult {
  readonly loss: number;
  readonly reconstruction: number;
  readonly kl: number | null;
  readonly regularizer: number;
  readonly decoded: Tensor;
  readonly mu?: Tensor;
  readonly logvar?: Tensor;
  readonly code?: Tensor;
  /** The parameters the kind's objective reads, as used in this forward pass. */
  readonly objectiveParams?: Readonly<Record<string, Tensor>>;
}

/** Adam state of the runner. */
export interface OrtAdamState {
  readonly step: number;
  readonly m: ParameterSet;
  readonly v: ParameterSet;
  /** As in `AdamState`: `m`, `v` are the true moments divided by these (absent: true moments). */
  readonly momentScale?: { readonly m: number; readonly v: number };
}

/** A device that could not be used, and why. */
export interface OrtFallback<D extends string = string> {
  readonly device: D;
  readonly reason: string;
}

function toOrt(o: OrtModule, t: Tensor, copy: boolean): ort.Tensor {
  return new o.Tensor('float32', copy ? Float32Array.from(t.data) : t.data, [...t.shape]);
}

function fromOrt(t: ort.Tensor): Tensor {
  return { data: t.data as Float32Array, shape: [...t.dims] };
}

function scalar(o: OrtModule, v: number): ort.Tensor {
  return new o.Tensor('float32', Float32Array.of(v), []);
}

const errorText = (err: unknown): string => (err instanceof Error ? err.message.split('\n')[0]! : String(err));

/**
 * Drives the ONNX training graph of one model (forward and backward, `gradients` mode) on one
 * onnxruntime session, with Adam in an {@link AdamArena}: the trainable parameters are views of
 * the arena fed to every run as the same tensors, onnxruntime writes the gradients into the arena
 * (pre-allocated outputs; on a platform that does not, they are copied in), and the arena's SIMD
 * kernel updates parameters and moments in place. Buffers (batch-norm statistics) are adopted from
 * the graph's `next.<name>` outputs. A step returns its loss terms as soon as onnxruntime has run;
 * the Adam update follows in {@link OrtStepRunner.flush}, which the worker calls right after replying
 * (so the trainer prepares the next batch meanwhile) and every other method calls first. The same class runs on onnxruntime-node (the ort engine's
 * worker thread) and on onnxruntime-web (a browser Web Worker): the {@link OrtPlatform} says which.
 */
export class OrtStepRunner<D extends string = string> {
  readonly device: D;
  readonly fallbacks: readonly OrtFallback<D>[];
  /** `direct` when the training session calls onnxruntime's C API directly, else the platform's module. */
  get binding(): 'direct' | 'module' {
    return this.session.binding === 'direct' ? 'direct' : 'module';
  }
  private readonly platform: OrtPlatform<D>;
  private readonly spec: ModelSpec;
  private readonly graph: TrainStepGraph;
  private readonly session: OrtRunSession;
  private forwardSession: OrtRunSession | null = null;
  private readonly init: OrtRunnerInit<D>;
  /** Every state tensor (parameters and buffers). */
  private readonly names: string[];
  /** The parameters Adam updates (buffers are updated by their layers, in the graph). */
  private readonly trainable: string[];
  /** Every state tensor as fed to the graph: arena views for parameters, adopted outputs for buffers. */
  private readonly state: Record<string, ort.Tensor> = {};
  private readonly arena: AdamArena;
  /** Pre-allocated `grad.<name>` outputs: the arena's gradient views. */
  private readonly gradOutputs: Record<string, ort.Tensor> = {};
  private adamStep = 0;
  /**
   * The Adam update of the last step's gradients, not applied yet (see {@link OrtStepRunner.flush}):
   * null when none, else the rows of every shard's part of that step (one entry without shards).
   */
  private pendingRows: readonly number[] | null = null;
  private readonly exchange: ShardExchange | null;

  private constructor(
    platform: OrtPlatform<D>,
    init: OrtRunnerInit<D>,
    graph: TrainStepGraph,
    session: OrtRunSession,
    device: D,
    fallbacks: OrtFallback<D>[],
  ) {
    this.platform = platform;
    this.init = init;
    this.spec = init.spec;
    this.graph = graph;
    this.session = session;
    this.device = device;
    this.fallbacks = fallbacks;
    this.names = listParameters(init.spec).map((p) => p.name);
    const trainable = listTrainableParameters(init.spec);
    this.trainable = trainable.map((p) => p.name);
    this.arena = AdamArena.create(trainable, {
      scratch: init.shard !== undefined,
      ...(platform.adamKernel ? { kernel: platform.adamKernel } : {}),
    });
    this.exchange = init.shard ? new ShardExchange(init.shard, this.arena.size) : null;
    log.debug(
      `Adam on ${platform.adamKernel ? 'the native kernel' : this.arena.simd ? 'the WebAssembly SIMD kernel' : 'the JavaScript loop'}${this.exchange ? `, floats [${this.exchange.range.from}, ${this.exchange.range.to}) of shard ${init.shard!.index + 1}/${init.shard!.count}` : ''}`,
    );
    for (const p of trainable) {
      const value = this.arena.param(p.name);
      value.set(init.params[p.name]!.data);
      this.state[p.name] = new platform.ort.Tensor('float32', value, [...p.shape]);
      this.gradOutputs[N.grad(p.name)] = new platform.ort.Tensor('float32', this.arena.grad(p.name), [...p.shape]);
    }
    for (const name of this.names) this.state[name] ??= toOrt(platform.ort, init.params[name]!, true);
  }

  /**
   * Builds the training graph of `init.spec` and opens a session on the requested (or first working)
   * device of `platform`.
   */
  static async create<D extends string>(init: OrtRunnerInit<D>, platform: OrtPlatform<D>): Promise<OrtStepRunner<D>> {
    validateParameters(init.spec, init.params);
    validateAdamOptions(init.adam);
    const blocker = init.shard ? splitBlocker(init.spec) : null;
    if (blocker) throw new RangeError(`shard: expected a model whose batches can be split, got one where ${blocker}`);
    const request = platform.parseDevice(init.device);
    const graph = buildTrainStepGraph(init.spec, {
      mode: 'gradients',
      exposeForward: true,
      samples: init.samples ?? 1,
    });
    log.debug(`training graph: ${graph.stats.nodes} nodes, ${graph.bytes.byteLength} bytes`);
    const candidates = request === 'auto' ? platform.autoOrder : [request];
    const fallbacks: OrtFallback<D>[] = [];
    for (const device of candidates) {
      const skip = platform.skipReason(device);
      if (skip && request === 'auto') {
        fallbacks.push({ device, reason: skip });
        continue;
      }
      try {
        const session = await platform.ort.InferenceSession.create(
          graph.bytes,
          platform.sessionOptions(device, init.threads),
        );
        const runner = new OrtStepRunner(platform, init, graph, session, device, fallbacks);
        // The validation session too, so that the first epoch does not pay for its creation.
        try {
          await runner.openForward();
        } catch (err) {
          await runner.release();
          throw err;
        }
        return runner;
      } catch (err) {
        fallbacks.push({ device, reason: skip ? `${errorText(err)}: ${skip}` : errorText(err) });
        log.debug(`device ${device} unavailable: ${errorText(err)}`);
      }
    }
    throw new Error(
      `device: no onnxruntime execution provider could run the training graph (${fallbacks.map((f) => `${f.device}: ${f.reason}`).join('; ')})`,
    );
  }

  /** Graph feeds of `batch`; ε has `samples` rows per example (the step graph's S, or 1 for the forward graph). */
  private feeds(batch: OrtBatch, samples: number): Record<string, ort.Tensor> {
    const info = modelKindInfo(this.spec.kind);
    const o = this.platform.ort;
    const feeds: Record<string, ort.Tensor> = { [N.x]: toOrt(o, batch.target, false) };
    if (info.corruptsInput) feeds[N.xInput] = toOrt(o, batch.x, false);
    if (info.variational) {
      if (!batch.eps)
        throw new RangeError(`batch.eps: expected ε [B, ${this.spec.latentDim}] for kind ${this.spec.kind}, got none`);
      const rows = batch.target.shape[0]! * samples;
      if (batch.eps.shape[0] !== rows)
        throw new RangeError(
          `batch.eps: expected ${rows} rows (${samples} sample(s) per example), got ${batch.eps.shape[0]}`,
        );
      feeds[N.eps] = toOrt(o, batch.eps, false);
      feeds[N.beta] = scalar(o, this.spec.beta);
    }
    if (info.conditional) {
      if (!batch.y) throw new RangeError(`batch.y: expected one-hot labels for kind ${this.spec.kind}, got none`);
      feeds[N.y] = toOrt(o, batch.y, false);
    }
    for (const name of this.names) feeds[name] = this.state[name]!;
    return feeds;
  }

  private result(out: ort.InferenceSession.ReturnType, kept: Record<string, ort.Tensor>): OrtStepResult {
    const num = (name: string) => Number((out[name] as ort.Tensor).data[0]);
    const opt = (name: string) => (out[name] ? { [name]: fromOrt(out[name] as ort.Tensor) } : {});
    return {
      loss: num(N.loss),
      reconstruction: num(N.reconstruction),
      kl: out[N.kl] ? num(N.kl) : null,
      regularizer: num(N.regularizer),
      decoded: fromOrt(out.decoded as ort.Tensor),
      ...opt('mu'),
      ...opt('logvar'),
      ...opt('code'),
      ...(Object.keys(kept).length
        ? { objectiveParams: Object.fromEntries(Object.entries(kept).map(([n, t]) => [n, fromOrt(t)])) }
        : {}),
    };
  }

  /**
   * One Adam step; returns the loss terms and forward outputs computed before the update (for a
   * shard without rows in this batch: zero terms and empty outputs, which the engine leaves out).
   */
  async step(batch: OrtBatch): Promise<OrtStepResult> {
    this.flush();
    const kept = this.objectiveParams();
    const out = await this.runStep(batch, true);
    return out ? this.result(out, kept) : { ...EMPTY_TERMS, decoded: { data: new Float32Array(0), shape: [0] } };
  }

  /**
   * One Adam step that fetches only the scalar loss terms: the forward tensors (decoded images, μ,
   * log σ², code) are neither copied out of onnxruntime nor sent to the main thread.
   */
  async stepTerms(batch: OrtBatch): Promise<OrtStepTerms> {
    const out = await this.runStep(batch, false);
    return out ? this.terms(out) : EMPTY_TERMS;
  }

  private terms(out: ort.InferenceSession.ReturnType): OrtStepTerms {
    const num = (name: string) => Number((out[name] as ort.Tensor).data[0]);
    return {
      loss: num(N.loss),
      reconstruction: num(N.reconstruction),
      kl: out[N.kl] ? num(N.kl) : null,
      regularizer: num(N.regularizer),
    };
  }

  /**
   * Forward and backward on one batch (gradients land in the arena) and the buffers' new values; the
   * arena's Adam update is left pending. Forward tensors are fetched only `withForward`. Null (no
   * run) for a shard whose part of the batch is empty.
   */
  private async runStep(batch: OrtBatch, withForward: boolean): Promise<ort.InferenceSession.ReturnType | null> {
    this.flush();
    const rows = this.stepRows(batch);
    if (rows[this.init.shard?.index ?? 0] === 0) {
      this.pendingRows = rows;
      return null;
    }
    const fetches: Record<string, ort.Tensor | null> = {};
    for (const name of this.graph.outputs)
      if (withForward || this.graph.lossOutputs.includes(name) || name.startsWith(N.next(''))) fetches[name] = null;
    const inPlace = this.platform.writesPreallocatedOutputs;
    for (const [name, t] of Object.entries(this.gradOutputs)) fetches[name] = inPlace ? t : null;
    const out = await this.session.run(
      this.feeds(batch, this.graph.samples),
      fetches as ort.InferenceSession.FetchesType,
    );
    for (const [name, t] of Object.entries(this.gradOutputs)) {
      const fetched = (out[name] as ort.Tensor).data as Float32Array;
      if (!inPlace) (t.data as Float32Array).set(fetched);
      else if (fetched !== t.data) this.platform.releaseFetchedCopy?.(fetched);
    }
    for (const b of this.graph.buffers) this.state[b.name] = out[N.next(b.name)] as ort.Tensor;
    this.pendingRows = rows;
    return out;
  }

  /** The rows of every shard's part of `batch` (checked against this shard's part), or `[rows]` without shards. */
  private stepRows(batch: OrtBatch): readonly number[] {
    const rows = batch.target.shape[0]!;
    const shard = this.init.shard;
    if (!shard) return [rows];
    const all = batch.shardRows;
    if (!all || all.length !== shard.count || all[shard.index] !== rows)
      throw new RangeError(
        `batch.shardRows: expected ${shard.count} row counts with ${rows} at ${shard.index}, got ${JSON.stringify(all)}`,
      );
    return all;
  }

  /**
   * Applies the pending Adam update of the last step (parameters and moments in place), if any. Every
   * other method calls it first, so the update is never skipped nor applied twice; calling it early
   * only moves work to a moment when the caller's thread would otherwise wait.
   */
  flush(): void {
    const rows = this.pendingRows;
    if (!rows) return;
    this.pendingRows = null;
    const step = this.adamStep + 1;
    if (this.exchange)
      this.exchange.step(this.arena, rows, (range) =>
        this.arena.update(this.init.adam, this.init.learningRate, step, range),
      );
    else this.arena.update(this.init.adam, this.init.learningRate, step);
    this.adamStep = step;
  }

  /** Copies of the parameters the kind's objective reads (`objectiveParams`), before an update changes them. */
  private objectiveParams(): Record<string, ort.Tensor> {
    const out: Record<string, ort.Tensor> = {};
    for (const name of modelKindInfo(this.spec.kind).objectiveParams ?? []) out[name] = this.copyOf(this.state[name]!);
    return out;
  }

  private copyOf(t: ort.Tensor): ort.Tensor {
    return new this.platform.ort.Tensor('float32', Float32Array.from(t.data as Float32Array), [...t.dims]);
  }

  /** The forward-mode graph's session (validation), created by {@link OrtStepRunner.create}. */
  private async openForward(): Promise<OrtRunSession> {
    if (!this.forwardSession) {
      const g = buildTrainStepGraph(this.spec, { mode: 'forward', exposeForward: true });
      this.forwardSession = await this.platform.ort.InferenceSession.create(
        g.bytes,
        this.platform.sessionOptions(this.device, this.init.threads),
      );
    }
    return this.forwardSession;
  }

  /** Runs the forward-mode graph, fetching `fetches` or every output. */
  private async runForward(batch: OrtBatch, fetches?: readonly string[]): Promise<ort.InferenceSession.ReturnType> {
    this.flush();
    const session = await this.openForward();
    const feeds = this.feeds(batch, 1);
    return fetches ? session.run(feeds, [...fetches]) : session.run(feeds);
  }

  /**
   * Forward pass without an update returning the graph's loss terms and the embedding (`mu` or
   * `code`) only: what validation needs.
   */
  async forwardTerms(batch: OrtBatch): Promise<OrtForwardTerms> {
    const embedding = modelKindInfo(this.spec.kind).variational ? 'mu' : 'code';
    const out = await this.runForward(batch, [...this.graph.lossOutputs, embedding]);
    return { terms: this.terms(out), embedding: fromOrt(out[embedding] as ort.Tensor) };
  }

  /** Forward pass and loss terms without an update (validation). */
  async forward(batch: OrtBatch): Promise<OrtStepResult> {
    this.flush();
    const out = await this.runForward(batch);
    const kept = this.objectiveParams();
    return this.result(out, kept);
  }

  private copySet(data: (name: string) => Float32Array, names: readonly string[]): ParameterSet {
    const out: ParameterSet = {};
    for (const name of names) out[name] = { data: Float32Array.from(data(name)), shape: [...this.state[name]!.dims] };
    return out;
  }

  /** Copies of the current parameters and buffers. */
  getParams(): ParameterSet {
    this.flush();
    return this.copySet((n) => this.state[n]!.data as Float32Array, this.names);
  }

  /**
   * Copies of the Adam moments exactly as the arena keeps them (scaled, see `adamMomentScales`; the
   * scale is returned with them) and the number of steps taken: restoring them is bit-exact.
   */
  getOptimizerState(): OrtAdamState {
    this.flush();
    const scale = adamMomentScales(this.init.adam);
    return {
      step: this.adamStep,
      m: this.copySet((n) => this.arena.m(n), this.trainable),
      v: this.copySet((n) => this.arena.v(n), this.trainable),
      momentScale: { m: scale.m, v: scale.v },
    };
  }

  /**
   * Restores Adam moments and step count (e.g. from a checkpoint written by any engine): moments
   * stored in the arena's scale are adopted as they are, others are converted.
   */
  setOptimizerState(state: OrtAdamState): void {
    this.flush();
    validateParameters(this.spec, state.m, 'optimizer.m', true);
    validateParameters(this.spec, state.v, 'optimizer.v', true);
    if (!Number.isInteger(state.step) || state.step < 0)
      throw new RangeError(`optimizer.step: expected an integer ≥ 0, got ${String(state.step)}`);
    const scale = adamMomentScales(this.init.adam);
    const from = state.momentScale ?? { m: 1, v: 1 };
    const rescaled = (t: Tensor, by: number): Float32Array =>
      by === 1 ? t.data : Float32Array.from(t.data, (u) => Math.fround(u * by));
    const factor = (a: number, b: number): number => (a === b ? 1 : a / b);
    for (const name of this.trainable) {
      this.arena.m(name).set(rescaled(state.m[name]!, factor(from.m, scale.m)));
      this.arena.v(name).set(rescaled(state.v[name]!, factor(from.v, scale.v)));
    }
    this.adamStep = state.step;
  }

  /** Node count and size of the training graph. */
  graphInfo(): { nodes: number; bytes: number } {
    return { nodes: this.graph.stats.nodes, bytes: this.graph.bytes.byteLength };
  }

  /** Releases the sessions. */
  async release(): Promise<void> {
    await this.session.release();
    await this.forwardSession?.release();
    this.forwardSession = null;
  }
}
