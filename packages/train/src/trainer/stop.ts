import { join } from 'node:path';
import { CHECKPOINT_DIR } from '../checkpoint/checkpoint.js';

/** Where a stopped run was: epochs checkpointed, steps done, whether its folder can be resumed. */
export interface StoppedAt {
  readonly runDir: string;
  /** Epochs completed and checkpointed (0: no checkpoint yet). */
  readonly epoch: number;
  /** Optimizer steps completed in the whole run, those after the checkpoint included (they are lost). */
  readonly step: number;
  /** Whether `config.json` was written, so `--resume` continues the run (from epoch 1 without a checkpoint). */
  readonly resumable: boolean;
}

/**
 * Thrown by `train` when its `signal` aborted the run: it stopped at the next safe point (the step,
 * validation or plots in flight abandoned, a checkpoint being saved finished first), keeping the last
 * complete checkpoint. `cause` is the abort's reason.
 */
export class TrainingStoppedError extends Error {
  readonly runDir: string;
  readonly epoch: number;
  readonly step: number;
  readonly resumable: boolean;

  constructor(at: StoppedAt, reason: unknown) {
    super(`training stopped after ${at.step} steps; ${keptText(at)}`, { cause: reason });
    this.name = 'TrainingStoppedError';
    this.runDir = at.runDir;
    this.epoch = at.epoch;
    this.step = at.step;
    this.resumable = at.resumable;
  }
}

function keptText(at: StoppedAt): string {
  if (!at.resumable) return `nothing kept in ${at.runDir} (training had not begun)`;
  if (at.epoch === 0) return `no epoch had finished, so ${at.runDir} holds no checkpoint yet, only its config.json`;
  return `kept the checkpoint of epoch ${at.epoch} in ${join(at.runDir, CHECKPOINT_DIR)}`;
}

/** Longest the trainer runs without letting the event loop turn (so a signal's handler can run). */
const TURN_MS = 50;

/**
 * Races a run's work against its AbortSignal. {@link AbortRace.race} settles as the work does, or
 * rejects with the signal's reason as soon as it aborts, abandoning the work (its outcome dropped).
 * The engine may still be inside a call then (an onnxruntime run in its worker thread cannot be
 * interrupted, and terminating the worker meanwhile aborts the process), so engine calls go through
 * {@link AbortRace.track} and the run disposes of the engine once {@link AbortRace.settled}.
 */
export class AbortRace {
  private readonly calls = new Set<Promise<unknown>>();
  private lastTurn = performance.now();

  constructor(private readonly signal: AbortSignal | undefined) {}

  /** `work`, or the abort's reason as soon as the signal aborts (at once when it already has). */
  race<T>(work: Promise<T>): Promise<T> {
    const { signal } = this;
    if (!signal) return work;
    return new Promise<T>((resolve, reject) => {
      const onAbort = () => {
        work.catch(() => undefined);
        reject(signal.reason);
      };
      if (signal.aborted) return onAbort();
      signal.addEventListener('abort', onAbort, { once: true });
      work.then(resolve, reject).finally(() => signal.removeEventListener('abort', onAbort));
    });
  }

  /** `call`, an engine call, remembered until it settles (see {@link AbortRace.settled}). */
  track<T>(call: Promise<T>): Promise<T> {
    if (!this.signal) return call;
    const settled: Promise<unknown> = call.then(
      () => this.calls.delete(settled),
      () => this.calls.delete(settled),
    );
    this.calls.add(settled);
    return call;
  }

  /** Settles once every engine call in flight has. */
  async settled(): Promise<void> {
    await Promise.all(this.calls);
  }

  /**
   * A safe point between engine calls: rejects with the abort's reason once the signal has aborted,
   * and lets the event loop turn when it has not for {@link TURN_MS} (work that never waits on I/O,
   * as tfjs on the main thread, would keep the signal's handler from running to the epoch's end).
   */
  async safePoint(): Promise<void> {
    const { signal } = this;
    if (!signal) return;
    signal.throwIfAborted();
    if (performance.now() - this.lastTurn < TURN_MS) return;
    await new Promise((turned) => setImmediate(turned));
    this.lastTurn = performance.now();
    signal.throwIfAborted();
  }
}
