import { getLogger } from '@vae/core';
import type { TrainResult } from '@vae/train';
import { signalExitCode, stopOnShutdownSignal } from './shutdown-signal.js';

const log = getLogger('vae');

/** `@vae/train`, imported when a command runs (it loads the engines' modules). */
export type TrainLib = typeof import('@vae/train');

/** `text` as one shell word (single-quoted when it holds anything but letters, digits and `_./:=@%+-`). */
function shellWord(text: string): string {
  return /^[\w./:=@%+-]+$/.test(text) ? text : `'${text.replaceAll("'", `'\\''`)}'`;
}

/** The one line logged when a signal stopped training: what was kept, how `command` resumes it, the exit status. */
function logStopped(lib: TrainLib, command: string, signal: NodeJS.Signals, outcome: unknown): void {
  const exit = `exit ${signalExitCode(signal)}`;
  if (outcome instanceof lib.TrainingStoppedError) {
    const next = outcome.resumable
      ? `resume with: ${command} --run-dir ${shellWord(outcome.runDir)} --resume`
      : 'run the same command again to start it';
    log.warn(`${signal}: ${outcome.message}; ${next} (${exit})`);
  } else if (outcome instanceof Error) log.warn(`${signal}: training failed meanwhile: ${outcome.message} (${exit})`);
  else log.warn(`${signal}: training had finished; its run folder is complete (${exit})`);
}

/**
 * Runs a training run, `train(signal)`, that stops at its next safe point when the first SIGINT or
 * SIGTERM aborts `signal`; then logs one line (what was kept, and the `command` that resumes the run,
 * e.g. `vae train` or `vae pipeline`) and exits 130 or 143. A second signal ends the process at once.
 */
export function trainUntilShutdownSignal(
  lib: TrainLib,
  command: string,
  train: (signal: AbortSignal) => Promise<TrainResult>,
): Promise<TrainResult> {
  return stopOnShutdownSignal(train, (signal, outcome) => logStopped(lib, command, signal, outcome));
}
