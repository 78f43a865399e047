import {
  concatRows,
  listTrainableParameters,
  sliceRows,
  type LogLevel,
  type ParameterSet,
  type Tensor,
} from '@vae/core';
import { arenaLayout, type ArenaTensor } from './adam-arena.js';
import type { OrtTrainDevice } from './ort-devices.js';
import type { OrtNodeBinding } from '@vae/device-node';
import type { OrtWorkerMethod, OrtWorkerMethods } from './ort-protocol.js';
import type { OrtAdamState, OrtBatch, OrtRunnerInit, OrtStepResult, OrtStepTerms } from './ort-step-runner.js';
import { ShardExchange, shardRanges } from './shard-exchange.js';
import { WorkerClient } from './worker-client.js';

/** One part of a batch for one shard, and the buffers that move to its worker. */
interface BatchPart {
  readonly batch: OrtBatch;
  readonly transfer: ArrayBuffer[];
}

/** Rows `[from, to)` of `t`, whose first dimension has `rowsPer` rows per example, in a buffer of their own. */
function rowsOf(t: Tensor, examples: number, from: number, to: number): Tensor {
  const rowsPer = t.shape[0]! / examples;
  const part = sliceRows(t, from * rowsPer, to * rowsPer);
  return { data: part.data.slice(), shape: part.shape };
}

/**
 * `batch` split into `count` consecutive parts of nearly equal rows (a part may be empty when the
 * batch has fewer rows than shards), each with the rows of every part (`shardRows`).
 */
export function splitBatch(batch: OrtBatch, count: number): BatchPart[] {
  const n = batch.target.shape[0]!;
  const bounds = Array.from({ length: count + 1 }, (_, j) => Math.floor((j * n) / count));
  const shardRows = bounds.slice(1).map((b, j) => b - bounds[j]!);
  return shardRows.map((_, j) => {
    const cut = (t: Tensor) => rowsOf(t, n, bounds[j]!, bounds[j + 1]!);
    const target = cut(batch.target);
    const part: OrtBatch = {
      target,
      x: batch.x.data === batch.target.data ? target : cut(batch.x),
      ...(batch.eps ? { eps: cut(batch.eps) } : {}),
      ...(batch.y ? { y: cut(batch.y) } : {}),
      shardRows,
    };
    const transfer = [part.target, part.x, part.eps, part.y].flatMap((t) => (t ? [t.data.buffer as ArrayBuffer] : []));
    return { batch: part, transfer: [...new Set(transfer)] };
  });
}

/** The row-weighted mean of the parts' batch-mean terms (`rows[j]` rows behind `terms[j]`; empty parts left out). */
export function mergeTerms(terms: readonly (OrtStepTerms | null)[], rows: readonly number[]): OrtStepTerms {
  const n = rows.reduce((a, b) => a + b, 0);
  const mean = (value: (t: OrtStepTerms) => number) =>
    terms.reduce((sum: number, t, j) => (rows[j] ? sum + (rows[j]! / n) * value(t!) : sum), 0);
  const first = terms[rows.findIndex((r) => r > 0)]!;
  return {
    loss: mean((t) => t.loss),
    reconstruction: mean((t) => t.reconstruction),
    kl: first.kl === null ? null : mean((t) => t.kl!),
    regularizer: mean((t) => t.regularizer),
  };
}

function mergeResults(results: readonly OrtStepResult[], rows: readonly number[]): OrtStepResult {
  const used = results.filter((_, j) => rows[j]! > 0);
  const joined = (key: 'mu' | 'logvar' | 'code') =>
    used[0]![key] ? { [key]: concatRows(used.map((r) => r[key]!)) } : {};
  return {
    ...mergeTerms(results, rows),
    decoded: concatRows(used.map((r) => r.decoded)),
    ...joined('mu'),
    ...joined('logvar'),
    ...joined('code'),
    ...(used[0]!.objectiveParams ? { objectiveParams: used[0]!.objectiveParams } : {}),
  };
}

/**
 * Merges the shards' Adam states: shard `j` holds the true moments of its arena range only (see
 * `ShardExchange`), so each value is taken from the shard whose range holds it.
 */
export function mergeShardStates(tensors: readonly ArenaTensor[], states: readonly OrtAdamState[]): OrtAdamState {
  const layout = arenaLayout(tensors);
  const ranges = shardRanges(layout.size, states.length);
  const merged = (key: 'm' | 'v'): ParameterSet => {
    const out: ParameterSet = {};
    tensors.forEach((t, i) => {
      const data = new Float32Array(states[0]![key][t.name]!.data.length);
      const at = layout.offsets[i]!;
      ranges.forEach((r, j) => {
        const from = Math.max(r.from, at) - at;
        const to = Math.min(r.to, at + data.length) - at;
        if (from < to) data.set(states[j]![key][t.name]!.data.subarray(from, to), from);
      });
      out[t.name] = { data, shape: [...t.shape] };
    });
    return out;
  };
  return {
    step: states[0]!.step,
    m: merged('m'),
    v: merged('v'),
    ...(states[0]!.momentScale ? { momentScale: states[0]!.momentScale } : {}),
  };
}

/**
 * The data-parallel ort engine's side of its shards: `count` worker threads, each with an
 * `OrtStepRunner` on one part of every batch (one intra-op thread each by default) and a
 * `ShardExchange` between them. A step splits the batch, posts each part to its shard (moved, not
 * copied) and merges the shards' row-weighted loss terms; the shards then reduce the gradients and
 * update their ranges of the parameters among themselves while the trainer draws the next batch.
 * Forward passes (validation) are split the same way, without the exchange.
 */
export class DataParallelClient {
  private constructor(
    private readonly shards: readonly WorkerClient[],
    private readonly tensors: readonly ArenaTensor[],
  ) {}

  /** Starts `count` shards of `runner` (their step graphs, sessions and exchange) and returns the client and shard 0's init result. */
  static async start(
    runner: OrtRunnerInit<OrtTrainDevice>,
    count: number,
    logLevel: LogLevel,
    binding: OrtNodeBinding,
  ): Promise<{ client: DataParallelClient; info: OrtWorkerMethods['init']['result'] }> {
    const tensors = listTrainableParameters(runner.spec);
    const buffer = ShardExchange.allocate(arenaLayout(tensors).size, count);
    const shards = Array.from({ length: count }, () => new WorkerClient());
    const client = new DataParallelClient(shards, tensors);
    try {
      const infos = await Promise.all(
        shards.map((s, index) =>
          s.call('init', { runner: { ...runner, shard: { index, count, buffer } }, logLevel, binding }),
        ),
      );
      return { client, info: infos[0]! };
    } catch (err) {
      client.terminate();
      throw err;
    }
  }

  private async split<R>(
    method: 'step' | 'stepTerms' | 'forward' | 'forwardTerms',
    batch: OrtBatch,
  ): Promise<{ results: R[]; rows: number[] }> {
    const parts = splitBatch(batch, this.shards.length);
    const rows = [...parts[0]!.batch.shardRows!];
    // Every shard takes part in a step (the exchange waits for all); a forward pass skips empty parts.
    const results = await Promise.all(
      parts.map((p, j) =>
        method.startsWith('step') || rows[j]! > 0
          ? (this.shards[j]!.call(method, p.batch, p.transfer) as Promise<R>)
          : Promise.resolve(null as R),
      ),
    );
    return { results, rows };
  }

  /** Runs `method` on the shards as the single-worker engine runs it on its one worker. */
  async call<M extends OrtWorkerMethod>(
    method: M,
    args: OrtWorkerMethods[M]['args'],
  ): Promise<OrtWorkerMethods[M]['result']> {
    type Result = OrtWorkerMethods[M]['result'];
    switch (method) {
      case 'step':
      case 'forward': {
        const { results, rows } = await this.split<OrtStepResult>(method, args as OrtBatch);
        return mergeResults(results, rows) as Result;
      }
      case 'stepTerms': {
        const { results, rows } = await this.split<OrtStepTerms>(method, args as OrtBatch);
        return mergeTerms(results, rows) as Result;
      }
      case 'forwardTerms': {
        const { results, rows } = await this.split<OrtWorkerMethods['forwardTerms']['result']>(
          method,
          args as OrtBatch,
        );
        const used = results.filter((_, j) => rows[j]! > 0);
        const terms = mergeTerms(
          results.map((r) => r?.terms ?? null),
          rows,
        );
        return { terms, embedding: concatRows(used.map((r) => r.embedding)) } as Result;
      }
      case 'getOptimizerState': {
        const states = await Promise.all(this.shards.map((s) => s.call('getOptimizerState', null)));
        return mergeShardStates(this.tensors, states) as Result;
      }
      case 'getParams':
        // Every shard ends a step with the same parameters (and there are no buffers).
        return this.shards[0]!.call(method, args);
      default: {
        const all = await Promise.all(this.shards.map((s) => s.call(method, args)));
        return all[0] as Result;
      }
    }
  }

  /** Stops every shard's worker. */
  terminate(): void {
    for (const s of this.shards) s.terminate();
  }
}
