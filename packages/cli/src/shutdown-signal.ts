import { constants } from 'node:os';
import { getLogger } from '@vae/core';

const log = getLogger('vae');

/** Calls `listener` on every SIGTERM and SIGINT until the returned function is called. */
export function onShutdownSignal(listener: (signal: NodeJS.Signals) => void): () => void {
  process.on('SIGTERM', listener);
  process.on('SIGINT', listener);
  return () => {
    process.off('SIGTERM', listener);
    process.off('SIGINT', listener);
  };
}

/**
 * Resolves with the first SIGTERM or SIGINT. Without `onRepeat` the handlers are removed then (a
 * second signal ends the process as usual); with it they stay, and each later signal calls it.
 */
export function shutdownSignal(onRepeat?: () => void): Promise<NodeJS.Signals> {
  return new Promise((resolve) => {
    let first = true;
    const stop = onShutdownSignal((signal) => {
      if (!first) return onRepeat?.();
      first = false;
      if (!onRepeat) stop();
      resolve(signal);
    });
  });
}

/** 128 + the signal's number: the exit status of a process `signal` ended (143 for SIGTERM, 130 for SIGINT). */
export function signalExitCode(signal: NodeJS.Signals): number {
  return 128 + constants.signals[signal];
}

/** Logs the signal and ends the process at once with {@link signalExitCode}; the exit handlers run. */
function exitNow(signal: NodeJS.Signals): never {
  const code = signalExitCode(signal);
  log.warn(`${signal}: stopping now (exit ${code})`);
  process.exit(code);
}

/**
 * Runs `work`; a SIGTERM or SIGINT meanwhile ends the process at once with 128 + the signal's
 * number (143, 130), without waiting for the work. For work with nothing to finish gracefully but
 * child processes and browsers to end: the process's exit handlers end those (`cleanupOnExit`,
 * playwright-core's and puppeteer-core's own), which a signal's default action would skip, and
 * which the browser libraries' own SIGTERM handlers do without ending the work.
 */
export async function exitOnShutdownSignal<T>(work: () => Promise<T>): Promise<T> {
  const stop = onShutdownSignal(exitNow);
  try {
    return await work();
  } finally {
    stop();
  }
}

/**
 * Runs `work` with an AbortSignal that the first SIGTERM or SIGINT aborts (its reason: the
 * signal's name), for work that stops at a safe point of its own. When `work` then settles,
 * `stopped(signal, outcome)` says what was kept (`outcome`: the work's error, or its result when it
 * finished anyway) and the process exits with 128 + the signal's number (143, 130). A second
 * signal ends the process at once, as {@link exitOnShutdownSignal} does.
 */
export async function stopOnShutdownSignal<T>(
  work: (abort: AbortSignal) => Promise<T>,
  stopped: (signal: NodeJS.Signals, outcome: unknown) => void,
): Promise<T> {
  const controller = new AbortController();
  const stop = onShutdownSignal((signal) => {
    if (controller.signal.aborted) exitNow(signal);
    controller.abort(signal);
  });
  const ended = (outcome: unknown): never => {
    const signal = controller.signal.reason as NodeJS.Signals;
    stopped(signal, outcome);
    process.exit(signalExitCode(signal));
  };
  try {
    const result = await work(controller.signal);
    return controller.signal.aborted ? ended(result) : result;
  } catch (err) {
    if (controller.signal.aborted) ended(err);
    throw err;
  } finally {
    stop();
  }
}
