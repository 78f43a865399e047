import { getLogger } from '@vae/core';

const log = getLogger('data:exit');

/** Clean-ups of resources still open, run (synchronously) if the process exits first. */
const pending = new Set<() => void>();

function runPending(): void {
  for (const cleanup of pending) {
    try {
      cleanup();
    } catch (err) {
      log.debug(`clean-up at exit failed: ${err instanceof Error ? err.message : String(err)}`);
    }
  }
  pending.clear();
}

/**
 * Runs `cleanup` (synchronous: end a child process, remove a temp file or folder) if this process
 * exits before the returned function is called; call that once the resource is released. So what
 * a command started or half-wrote goes with it when it exits early, e.g. on a second SIGINT: the
 * child processes parity starts (Deno, Bun, workerd, WebKitWebDriver under Xvfb), as playwright-core
 * and puppeteer-core end the browsers they launched, and the temps of `writeFileAtomic` and of a
 * checkpoint save. The clean-ups run after the exit listeners added before this call (e.g.
 * playwright-core's, which kills the Chromium it launched). A SIGKILL runs none of them.
 */
export function cleanupOnExit(cleanup: () => void): () => void {
  process.off('exit', runPending);
  process.once('exit', runPending);
  pending.add(cleanup);
  return () => {
    pending.delete(cleanup);
    if (pending.size === 0) process.off('exit', runPending);
  };
}
