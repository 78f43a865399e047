/**
 * Resolves with the first SIGTERM or SIGINT. Without `onRepeat` the handlers are removed then (a
 * second signal ends the process as usual); with it they stay, and each later signal calls it.
 */
export function shutdownSignal(onRepeat?: () => void): Promise<NodeJS.Signals> {
  return new Promise((resolve) => {
    let first = true;
    const on = (signal: NodeJS.Signals) => {
      if (!first) return onRepeat?.();
      first = false;
      if (!onRepeat) {
        process.off('SIGTERM', on);
        process.off('SIGINT', on);
      }
      resolve(signal);
    };
    process.on('SIGTERM', on);
    process.on('SIGINT', on);
  });
}
