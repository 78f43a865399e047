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

/**
 * Runs `work`; a SIGTERM or SIGINT meanwhile ends the process at once with 128 + the signal's
 * number (143, 130), without waiting for the work. For work with nothing to finish gracefully but
 * child processes and browsers to end: the process's exit handlers end those (parity's
 * `cleanupOnExit`, playwright-core's and puppeteer-core's own), which a signal's default action
 * would skip, and which the browser libraries' own SIGTERM handlers do without ending the work.
 */
export async function exitOnShutdownSignal<T>(work: () => Promise<T>): Promise<T> {
  const stop = onShutdownSignal((signal) => {
    const code = 128 + constants.signals[signal];
    log.warn(`${signal}: stopping now (exit ${code})`);
    process.exit(code);
  });
  try {
    return await work();
  } finally {
    stop();
  }
}
