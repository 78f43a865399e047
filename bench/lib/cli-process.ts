/** A `vae` CLI child process whose output a test or benchmark waits on (e.g. `vae worker`). */
import { spawn, type ChildProcess } from 'node:child_process';
import { fileURLToPath } from 'node:url';

const VAE_BIN = fileURLToPath(new URL('../../packages/cli/bin/vae.js', import.meta.url));

/** A `vae` CLI child process with its output collected. */
export interface CliProcess {
  readonly child: ChildProcess;
  readonly output: () => string;
  /** Resolves when the output matches `pattern` (rejects if the process exits first). */
  waitFor(pattern: RegExp): Promise<void>;
  /** Resolves with the exit code and signal. */
  readonly exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
}

/** Starts the real `vae` CLI (packages/cli/bin/vae.js, from source through tsx) with `args`. */
export function spawnCli(args: string[], env: Record<string, string> = {}): CliProcess {
  const child = spawn(process.execPath, [VAE_BIN, ...args], {
    env: { ...process.env, ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let out = '';
  const listeners = new Set<() => void>();
  const onData = (d: Buffer) => {
    out += d.toString();
    for (const l of listeners) l();
  };
  child.stdout?.on('data', onData);
  child.stderr?.on('data', onData);
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((r) =>
    child.once('exit', (code, signal) => {
      for (const l of listeners) l();
      r({ code, signal });
    }),
  );
  return {
    child,
    output: () => out,
    exited,
    waitFor: (pattern) =>
      new Promise((resolveWait, reject) => {
        const check = () => {
          if (pattern.test(out)) {
            listeners.delete(check);
            resolveWait();
          } else if (child.exitCode !== null || child.signalCode !== null) {
            listeners.delete(check);
            reject(new Error(`process exited before printing ${pattern}:\n${out}`));
          }
        };
        listeners.add(check);
        check();
      }),
  };
}

/** Sends `signal` if the process still runs, and waits for its exit. */
export async function stopCli(p: CliProcess, signal: NodeJS.Signals = 'SIGTERM') {
  if (p.child.exitCode === null && p.child.signalCode === null) p.child.kill(signal);
  return p.exited;
}
