import {
  listParameters,
  listTrainableParameters,
  modelKindInfo,
  validateParameters,
  type ModelSpec,
  type ParameterSet,
  type Tensor,
} from '@vae/core';
import { ADAM_DEFAULTS } from '../adam-defaults.js';
import { selectBackend } from './backends.js';
import { trueAdamMoments, type AdamState } from '../../checkpoint/checkpoint.js';
import type { TrainConfig } from '../../config.js';
import type { Engine, StepOutputs, TrainBatch } from '../engine.js';
import { getTfObjective, type TfObjective, type TfObjectiveResult } from './tfjs-objectives.js';
import { createTfNetwork, type TfNetwork, type TfRunMode } from './tfjs-network.js';
import { fromTfAsync, toTf } from './tfjs-model.js';
import { tf } from './tf.js';

/**
 * TensorFlow.js engine: one `tf.Variable` per canonical parameter, the objective from the model-kind
 * registry in tfjs ops, and Adam written out with tfjs ops so its state (m, v, step) is explicit and
 * checkpointable. Randomness comes only from the batch (never `tf.random*`).
 */
let instances = 0;

export class TfjsEngine implements Engine {
  readonly name = 'tfjs';
  /** Prefix that keeps tfjs variable names unique when several engines coexist. */
  private readonly id = `tfjs-engine-${++instances}`;
  backend = 'none';
  private spec: ModelSpec | null = null;
  /** Every state tensor (parameters and buffers). */
  private names: string[] = [];
  /** The parameters Adam updates; buffers are assigned the values their layers report. */
  private trainable: string[] = [];
  private readonly mode: TfRunMode = { training: false, bufferUpdates: new Map() };
  private vars: Record<string, tf.Variable> = {};
  private m: Record<string, tf.Variable> = {};
  private v: Record<string, tf.Variable> = {};
  private adamStep = 0;
  private learningRate = 1e-3;
  private net: TfNetwork | null = null;
  private objective: TfObjective | null = null;

  async init(spec: ModelSpec, params: ParameterSet, config: TrainConfig): Promise<void> {
    validateParameters(spec, params);
    this.dispose();
    if (config.backend === 'cuda') {
      throw new RangeError(
        "backend: expected a TensorFlow.js backend (auto|tensorflow|webgpu|wasm|cpu) for the tfjs engine, got 'cuda' (an ONNX Runtime execution provider: use --engine ort)",
      );
    }
    const selection = await selectBackend(config.backend);
    this.backend = selection.backend;
    this.spec = spec;
    this.learningRate = config.learningRate;
    this.names = listParameters(spec).map((p) => p.name);
    this.trainable = listTrainableParameters(spec).map((p) => p.name);
    for (const name of this.names) {
      const initial = toTf(params[name]!);
      this.vars[name] = tf.variable(initial, this.trainable.includes(name), `${this.id}/p/${name}`);
      initial.dispose();
    }
    for (const name of this.trainable) {
      const t = params[name]!;
      this.m[name] = tf.variable(tf.zeros([...t.shape]), false, `${this.id}/m/${name}`);
      this.v[name] = tf.variable(tf.zeros([...t.shape]), false, `${this.id}/v/${name}`);
    }
    this.adamStep = 0;
    this.net = createTfNetwork(spec, this.vars, this.mode);
    this.objective = getTfObjective(spec.kind);
  }

  private ready(): { spec: ModelSpec; net: TfNetwork; objective: TfObjective } {
    if (!this.spec || !this.net || !this.objective) throw new Error('engine: call init() first');
    return { spec: this.spec, net: this.net, objective: this.objective };
  }

  private run(batch: TrainBatch): TfObjectiveResult {
    const { spec, net, objective } = this.ready();
    return objective({
      spec,
      net,
      params: this.vars,
      x: toTf<tf.Rank.R2>(batch.x),
      target: toTf<tf.Rank.R2>(batch.target),
      ...(batch.y ? { y: toTf<tf.Rank.R2>(batch.y) } : {}),
      ...(batch.eps ? { eps: toTf<tf.Rank.R2>(batch.eps) } : {}),
      samples: batch.samples,
    });
  }

  private async collect(result: TfObjectiveResult, snapshot: Record<string, tf.Tensor>): Promise<StepOutputs> {
    const read = (t: tf.Tensor | undefined): Promise<Tensor | undefined> =>
      t ? fromTfAsync(t) : Promise.resolve(undefined);
    const names = Object.keys(snapshot);
    const [loss, decoded, mu, logvar, code, ...kept] = await Promise.all([
      result.loss.data(),
      fromTfAsync(result.decoded),
      read(result.mu),
      read(result.logvar),
      read(result.code),
      ...names.map((n) => read(snapshot[n])),
    ]);
    const objectiveParams: Record<string, Tensor> = {};
    names.forEach((n, i) => {
      objectiveParams[n] = kept[i]!;
    });
    return {
      loss: loss[0]!,
      decoded,
      ...(mu ? { mu } : {}),
      ...(logvar ? { logvar } : {}),
      ...(code ? { code } : {}),
      ...(names.length ? { objectiveParams } : {}),
    };
  }

  /** Copies of the parameters the kind's objective reads, before an update changes them. */
  private paramSnapshot(): Record<string, tf.Tensor> {
    const out: Record<string, tf.Tensor> = {};
    for (const name of this.spec ? (modelKindInfo(this.spec.kind).objectiveParams ?? []) : []) {
      const v = this.vars[name];
      if (v) out[name] = tf.clone(v);
    }
    return out;
  }

  async forward(batch: TrainBatch): Promise<StepOutputs> {
    const snapshot = this.paramSnapshot();
    const result = tf.tidy(() => {
      const r = this.run(batch);
      return [r.loss, r.decoded, r.mu, r.logvar, r.code] as const;
    });
    try {
      const [loss, decoded, mu, logvar, code] = result;
      return await this.collect(
        { loss, decoded, ...(mu ? { mu } : {}), ...(logvar ? { logvar } : {}), ...(code ? { code } : {}) },
        snapshot,
      );
    } finally {
      tf.dispose(result.filter((t): t is NonNullable<typeof t> => t !== undefined));
      for (const t of Object.values(snapshot)) t.dispose();
    }
  }

  async step(batch: TrainBatch): Promise<StepOutputs> {
    const snapshot = this.paramSnapshot();
    let kept: TfObjectiveResult | null = null;
    this.mode.training = true;
    let computed: { value: tf.Scalar; grads: tf.NamedTensorMap };
    try {
      computed = tf.variableGrads(
        () => {
          const r = this.run(batch);
          kept = {
            loss: r.loss,
            decoded: tf.keep(r.decoded),
            ...(r.mu ? { mu: tf.keep(r.mu) } : {}),
            ...(r.logvar ? { logvar: tf.keep(r.logvar) } : {}),
            ...(r.code ? { code: tf.keep(r.code) } : {}),
          };
          return r.loss;
        },
        this.trainable.map((n) => this.vars[n]!),
      );
    } finally {
      this.mode.training = false;
    }
    const { value, grads } = computed;
    const outputs = kept as TfObjectiveResult | null;
    try {
      this.applyAdam(grads);
      this.applyBufferUpdates();
      return await this.collect({ ...outputs!, loss: value }, snapshot);
    } finally {
      value.dispose();
      tf.dispose(Object.values(grads));
      if (outputs)
        tf.dispose(
          [outputs.decoded, outputs.mu, outputs.logvar, outputs.code].filter((t): t is tf.Tensor2D => t !== undefined),
        );
      for (const t of Object.values(snapshot)) t.dispose();
    }
  }

  /** Assigns each buffer the value its layer computed in the last training forward pass. */
  private applyBufferUpdates(): void {
    for (const [name, value] of this.mode.bufferUpdates) {
      this.vars[name]!.assign(value);
      value.dispose();
    }
    this.mode.bufferUpdates.clear();
  }

  private applyAdam(grads: tf.NamedTensorMap): void {
    const { beta1, beta2, epsilon } = ADAM_DEFAULTS;
    this.adamStep += 1;
    const t = this.adamStep;
    const c1 = 1 - beta1 ** t;
    const c2 = 1 - beta2 ** t;
    tf.tidy(() => {
      for (const name of this.trainable) {
        const g = grads[this.vars[name]!.name];
        if (!g) throw new Error(`engine: no gradient for parameter ${name}`);
        const m = this.m[name]!;
        const v = this.v[name]!;
        const p = this.vars[name]!;
        const m1 = tf.add(tf.mul(m, beta1), tf.mul(g, 1 - beta1));
        const v1 = tf.add(tf.mul(v, beta2), tf.mul(tf.square(g), 1 - beta2));
        m.assign(m1);
        v.assign(v1);
        const update = tf.div(tf.div(m1, c1), tf.add(tf.sqrt(tf.div(v1, c2)), epsilon));
        p.assign(tf.sub(p, tf.mul(update, this.learningRate)));
      }
    });
  }

  private async readSet(set: Record<string, tf.Variable>): Promise<ParameterSet> {
    const out: ParameterSet = {};
    for (const name of Object.keys(set)) out[name] = await fromTfAsync(set[name]!);
    return out;
  }

  getParams(): Promise<ParameterSet> {
    this.ready();
    return this.readSet(this.vars);
  }

  async getOptimizerState(): Promise<AdamState> {
    this.ready();
    return { step: this.adamStep, ...ADAM_DEFAULTS, m: await this.readSet(this.m), v: await this.readSet(this.v) };
  }

  async setOptimizerState(saved: AdamState): Promise<void> {
    const { spec } = this.ready();
    const state = trueAdamMoments(saved);
    validateParameters(spec, state.m, 'optimizer.m', true);
    validateParameters(spec, state.v, 'optimizer.v', true);
    for (const key of ['beta1', 'beta2', 'epsilon'] as const) {
      if (state[key] !== ADAM_DEFAULTS[key])
        throw new RangeError(`optimizer.${key}: expected ${ADAM_DEFAULTS[key]}, got ${state[key]}`);
    }
    tf.tidy(() => {
      for (const name of this.trainable) {
        this.m[name]!.assign(toTf(state.m[name]!));
        this.v[name]!.assign(toTf(state.v[name]!));
      }
    });
    this.adamStep = state.step;
  }

  dispose(): void {
    for (const set of [this.vars, this.m, this.v]) for (const t of Object.values(set)) t.dispose();
    this.vars = {};
    this.m = {};
    this.v = {};
    this.net = null;
    this.spec = null;
  }
}
